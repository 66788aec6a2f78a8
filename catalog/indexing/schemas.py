"""Schemas of the search API."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from catalog.banks.models import QuestionStatus, QuestionType
from catalog.courses.schemas import CourseListItemSchema
from catalog.fields import Pattern
from catalog.lectures.schemas import MicrolectureListItemSchema


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
                "title",
                "-title",
            ]
        ),
        metadata={"description": "title: in pinyin order (拼音排序); default: relevance"},
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


class _FoundSchema(ma.Schema):
    highlights = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "fields with matches marked <em>…</em>"},
    )
    score = fields.Float(
        allow_none=True, metadata={"description": "relevance in (0, 1]; null without text"}
    )


class CourseHitSchema(CourseListItemSchema, _FoundSchema):
    """A course as every list shows it, with its highlights and score."""


class MicrolectureHitSchema(MicrolectureListItemSchema, _FoundSchema):
    """A microlecture as every list shows it, with its highlights and score."""


class _CatalogueHits(fields.Field):  # type: ignore[type-arg]
    """Courses or microlectures, by the search's type."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        schema = CourseHitSchema if obj["type"] == "course" else MicrolectureHitSchema
        return schema(many=True).dump(value)


class CatalogueSearchSchema(ma.Schema):
    type = fields.String()
    hits = _CatalogueHits(
        metadata={
            "description": "CourseHit or MicrolectureHit items, by type: the list item of "
            "GET /courses or /microlectures, plus highlights and score"
        }
    )
    estimated_total = fields.Integer()
    facets = fields.Dict(
        keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.Integer())
    )
    offset = fields.Integer()
    limit = fields.Integer()


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


VOCABULARY_TERM = Pattern(
    r"^[\u3400-\u9fffA-Za-z0-9\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]{2,20}$",
    error="2–20 个汉字、字母或数字，不含空格和标点 / 2–20 characters: Chinese, letters or digits",
)


class VocabularySchema(ma.Schema):
    builtin = fields.List(
        fields.String(),
        dump_only=True,
        metadata={"description": "the industry vocabulary shipped with the service"},
    )
    terms = fields.List(
        fields.String(validate=VOCABULARY_TERM),
        required=True,
        validate=validate.Length(max=5000),
        metadata={
            "description": "terms the admins added (a PUT replaces them all)",
            "example": ["倒闸操作", "两票三制"],
        },
    )


class VocabularyChangeSchema(VocabularySchema):
    reindex_task_id = fields.String(
        dump_only=True,
        metadata={"description": "the rebuild of every index: GET /api/v1/tasks/{id}"},
    )
