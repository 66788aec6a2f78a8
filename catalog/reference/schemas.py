"""Schemas of industries, occupations and skill levels."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from catalog.fields import Pattern

NAME = validate.Length(min=1, max=100)


class IndustrySchema(ma.Schema):
    code = fields.String(
        required=True,
        validate=Pattern(r"^[a-z0-9][a-z0-9\-]{0,39}$", error="小写字母、数字或 - / a-z 0-9 -"),
    )
    name = fields.String(required=True, validate=NAME)
    name_en = fields.String(load_default="", validate=validate.Length(max=100))
    sort_order = fields.Integer(load_default=0)


class IndustryUpdateSchema(ma.Schema):
    name = fields.String(validate=NAME)
    name_en = fields.String(validate=validate.Length(max=100))
    sort_order = fields.Integer()


class OccupationSchema(ma.Schema):
    code = fields.String()
    name = fields.String()
    industry = fields.Function(lambda o: o.industry.code if o.industry else None, allow_none=True)


class OccupationCreateSchema(ma.Schema):
    code = fields.String(
        required=True,
        validate=Pattern(
            r"^[0-9]-[0-9]{2}-[0-9]{2}-[0-9]{2}$",
            error="国家职业分类代码，如 6-31-01-03 / like 6-31-01-03",
        ),
    )
    name = fields.String(required=True, validate=NAME)
    industry = fields.String(load_default=None, metadata={"description": "industry code"})


class OccupationUpdateSchema(ma.Schema):
    name = fields.String(validate=NAME)
    industry = fields.String(allow_none=True)


class OccupationQueryArgsSchema(ma.Schema):
    industry = fields.String(load_default=None)


class SkillLevelSchema(ma.Schema):
    level = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=40))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=60))


class SkillLevelUpdateSchema(ma.Schema):
    name = fields.String(validate=validate.Length(min=1, max=40))
    name_en = fields.String(validate=validate.Length(min=1, max=60))
