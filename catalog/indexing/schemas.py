"""Schemas of the search API."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from catalog.banks.models import QuestionStatus, QuestionType


def _facet_list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


class CatalogueSearchArgsSchema(ma.Schema):
    q = fields.String(load_default="", validate=validate.Length(max=200))
    type = fields.String(load_default="course", validate=validate.OneOf(["course", "microlecture"]))
    industry = fields.String(load_default=None)
    occupation = fields.String(load_default=None)
    level = fields.Integer(load_default=None, validate=validate.Range(min=1, max=5))
    tag = fields.String(load_default=None, metadata={"description": "a tag or knowledge point"})
    provider = fields.String(load_default=None)
    facets = fields.String(load_default="", metadata={"description": "comma-separated"})
    sort = fields.String(
        load_default=None,
        validate=validate.OneOf(
            [
                "published_at",
                "-published_at",
                "class_hours",
                "-class_hours",
                "duration_seconds",
                "-duration_seconds",
            ]
        ),
    )
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1000))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=50))

    @ma.post_load
    def split(self, data: dict[str, object], **_: object) -> dict[str, object]:
        data["facets"] = _facet_list(str(data["facets"]))
        return data


class QuestionSearchArgsSchema(ma.Schema):
    q = fields.String(load_default="", validate=validate.Length(max=200))
    bank_id = fields.Integer(load_default=None)
    type = fields.Enum(QuestionType, by_value=True, load_default=None)
    difficulty = fields.Integer(load_default=None, validate=validate.Range(min=1, max=5))
    knowledge_point = fields.String(load_default=None)
    tag = fields.String(load_default=None)
    status = fields.Enum(QuestionStatus, by_value=True, load_default=None)
    facets = fields.String(load_default="", metadata={"description": "comma-separated"})
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1000))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))

    @ma.post_load
    def split(self, data: dict[str, object], **_: object) -> dict[str, object]:
        data["facets"] = _facet_list(str(data["facets"]))
        for name in ("type", "status"):
            if data[name] is not None:
                data[name] = data[name].value  # type: ignore[attr-defined]
        return data


class HitSchema(ma.Schema):
    id = fields.String()
    document = fields.Dict(metadata={"description": "the indexed fields (no answer keys)"})
    highlights = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "fields with matches marked <em>…</em>"},
    )


class SearchResultSchema(ma.Schema):
    hits = fields.List(fields.Nested(HitSchema))
    estimated_total = fields.Integer()
    facets = fields.Dict(
        keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.Integer())
    )
    offset = fields.Integer()
    limit = fields.Integer()


class CatalogueSearchSchema(SearchResultSchema):
    type = fields.String()


class SynonymsSchema(ma.Schema):
    groups = fields.List(
        fields.List(
            fields.String(validate=validate.Length(min=1, max=40)),
            validate=validate.Length(min=2, max=20),
        ),
        required=True,
        validate=validate.Length(max=1000),
        metadata={"example": [["变电站", "变电所"]]},
    )
