"""Schemas of the account resources: logins, tokens, users and organisations."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from catalog.accounts.models import OrganisationKind, Role
from catalog.fields import AwareDateTime

USERNAME = validate.Regexp(
    r"^[A-Za-z0-9_.@+\-]{3,64}$",
    error="用户名为 3–64 位字母、数字或 _.@+- / 3–64 letters, digits or _.@+-",
)
ORG_CODE = validate.Regexp(
    r"^[a-z0-9][a-z0-9\-]{1,63}$",
    error="组织代码为 2–64 位小写字母、数字或连字符 / 2–64 lowercase letters, digits or hyphens",
)


class LoginSchema(ma.Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=1024)
    )


class OrganisationSchema(ma.Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(required=True, validate=ORG_CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.Enum(OrganisationKind, by_value=True, required=True)
    created_at = AwareDateTime(dump_only=True)


class OrganisationCreateSchema(OrganisationSchema):
    pass


class OrganisationBriefSchema(ma.Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class UserSchema(ma.Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    organisation = fields.Nested(OrganisationBriefSchema, allow_none=True)
    roles = fields.Method("_roles", metadata={"type": "array", "items": {"type": "string"}})
    is_active = fields.Boolean()
    created_at = AwareDateTime()

    def _roles(self, user: object) -> list[str]:
        return sorted(role.value for role in user.roles)  # type: ignore[attr-defined]


class UserCreateSchema(ma.Schema):
    username = fields.String(required=True, validate=USERNAME)
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=8, max=1024)
    )
    roles = fields.List(
        fields.Enum(Role, by_value=True),
        load_default=lambda: [Role.LEARNER],
        validate=validate.Length(min=1),
    )
    organisation_code = fields.String(
        load_default=None,
        metadata={"description": "platform admins only; admins create in their own organisation"},
    )


class AccessTokenSchema(ma.Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "seconds"})
    user = fields.Nested(UserSchema, required=True)


class TokenSchema(AccessTokenSchema):
    refresh_token = fields.String(required=True)
    refresh_expires_in = fields.Integer(required=True, metadata={"description": "seconds"})


class PageArgsSchema(ma.Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
