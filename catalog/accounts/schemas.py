"""Schemas of the account resources: logins, tokens, users and organisations."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_jwt_extended import get_current_user
from flask_smorest.fields import Upload
from marshmallow import fields, validate

from catalog.accounts.models import OrganisationKind, Role
from catalog.fields import AwareDateTime, Pattern

USERNAME = Pattern(
    r"^[A-Za-z0-9_.@+\-]{3,64}$",
    error="用户名为 3–64 位字母、数字或 _.@+- / 3–64 letters, digits or _.@+-",
)
ORG_CODE = Pattern(
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


class DepartmentBriefSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    parent_id = fields.Integer(allow_none=True)


def _viewer() -> Any:
    try:
        return get_current_user()
    except RuntimeError:  # outside a signed-in request (a CLI command)
        return None


class UserSchema(ma.Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    organisation = fields.Nested(OrganisationBriefSchema, allow_none=True)
    roles = fields.Method("_roles", metadata={"type": "array", "items": {"type": "string"}})
    is_active = fields.Boolean()
    created_at = AwareDateTime()
    department = fields.Nested(DepartmentBriefSchema, allow_none=True)
    employee_no = fields.String(allow_none=True, metadata={"description": "工号"})
    phone = fields.Method(
        "_phone",
        allow_none=True,
        metadata={
            "type": "string",
            "description": "masked (138****5678) but for the user and their admins",
        },
    )
    occupation = fields.String(allow_none=True, metadata={"description": "工种"})
    skill_level = fields.Integer(allow_none=True, metadata={"description": "1 初级工 … 5 高级技师"})
    admin_scope_id = fields.Integer(
        allow_none=True, metadata={"description": "an admin's department subtree (null: all)"}
    )
    must_change_password = fields.Boolean()

    def _roles(self, user: object) -> list[str]:
        return sorted(role.value for role in user.roles)  # type: ignore[attr-defined]

    def _phone(self, user: Any) -> str | None:
        from catalog.accounts.lifecycle import mask_phone
        from catalog.accounts.scope import manages

        viewer = _viewer()
        if viewer is not None and (viewer.id == user.id or manages(viewer, user)):
            return user.phone  # type: ignore[no-any-return]
        return mask_phone(user.phone)


class UserUpdateSchema(ma.Schema):
    display_name = fields.String(validate=validate.Length(min=1, max=100))
    employee_no = fields.String(allow_none=True, validate=validate.Length(max=64))
    phone = fields.String(allow_none=True, validate=validate.Length(max=30))
    occupation = fields.String(allow_none=True, validate=validate.Length(max=60))
    skill_level = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=5))
    department_id = fields.Integer(allow_none=True)


class UserQueryArgsSchema(ma.Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    department_id = fields.Integer(load_default=None, metadata={"description": "its subtree"})
    occupation = fields.String(load_default=None, validate=validate.Length(max=60))
    skill_level = fields.Integer(load_default=None, validate=validate.Range(min=1, max=5))
    active = fields.Boolean(load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(max=64))


class RolesSchema(ma.Schema):
    roles = fields.List(
        fields.Enum(Role, by_value=True), required=True, validate=validate.Length(min=1, max=5)
    )
    admin_scope_id = fields.Integer(
        allow_none=True,
        metadata={
            "description": "for an admin: the department they manage (null: the whole "
            "organisation; left out: unchanged)"
        },
    )


class PasswordResetSchema(ma.Schema):
    user = fields.Nested(UserSchema)
    temporary_password = fields.String(
        metadata={"description": "shown once; must be changed at the next sign-in"}
    )


class PasswordChangeSchema(ma.Schema):
    current_password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=1024)
    )
    new_password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=8, max=1024)
    )


class AccountAuditEntrySchema(ma.Schema):
    id = fields.Integer()
    actor_id = fields.Integer(allow_none=True)
    user_id = fields.Integer(allow_none=True)
    action = fields.String()
    details = fields.Dict()
    created_at = AwareDateTime()


class DepartmentSchema(ma.Schema):
    id = fields.Integer(attribute="department.id")
    name = fields.String(attribute="department.name")
    parent_id = fields.Integer(attribute="department.parent_id", allow_none=True)
    depth = fields.Integer(metadata={"description": "0 for the top of what you see"})
    members = fields.Integer(metadata={"description": "active users in this department"})
    total = fields.Integer(metadata={"description": "active users in its whole subtree"})


class DepartmentListSchema(ma.Schema):
    items = fields.List(fields.Nested(DepartmentSchema))


class DepartmentCreateSchema(ma.Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    parent_id = fields.Integer(load_default=None)
    organisation_code = fields.String(
        load_default=None, metadata={"description": "platform admins only"}
    )


class DepartmentUpdateSchema(ma.Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    parent_id = fields.Integer(
        allow_none=True, metadata={"description": "move under this department (null: a root)"}
    )


class DepartmentMergeSchema(ma.Schema):
    target_id = fields.Integer(required=True)


class DepartmentArgsSchema(ma.Schema):
    organisation_code = fields.String(load_default=None)


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
    department_id = fields.Integer(
        load_default=None, metadata={"description": "required of an admin scoped to a department"}
    )
    employee_no = fields.String(load_default=None, validate=validate.Length(max=64))
    phone = fields.String(load_default=None, validate=validate.Length(max=30))
    occupation = fields.String(load_default=None, validate=validate.Length(max=60))
    skill_level = fields.Integer(load_default=None, validate=validate.Range(min=1, max=5))


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


class RosterFormSchema(ma.Schema):
    file = Upload(required=True)
    mode = fields.String(
        load_default="all_or_nothing", validate=validate.OneOf(["all_or_nothing", "skip_invalid"])
    )
    dry_run = fields.Boolean(load_default=False)
    disable_missing = fields.Boolean(
        load_default=False,
        metadata={"description": "disable the workers of your scope the roster no longer lists"},
    )
    organisation_code = fields.String(
        load_default=None, metadata={"description": "platform admins only"}
    )


class RosterProblemSchema(ma.Schema):
    sheet = fields.String(allow_none=True)
    row = fields.Integer(allow_none=True)
    column = fields.String(allow_none=True)
    field = fields.String(allow_none=True)
    severity = fields.String()
    message = fields.String()


class RosterImportSchema(ma.Schema):
    id = fields.String()
    organisation_id = fields.Integer()
    file_name = fields.String()
    file_size = fields.Integer()
    mode = fields.String()
    dry_run = fields.Boolean()
    disable_missing = fields.Boolean()
    status = fields.String(metadata={"description": "queued, running, done or failed"})
    task_id = fields.String(allow_none=True)
    counts = fields.Dict(
        metadata={
            "description": "read, valid, errors, warnings, created, updated, unchanged, disabled"
        }
    )
    problem_count = fields.Integer()
    problems = fields.List(
        fields.Nested(RosterProblemSchema), metadata={"description": "first 1,000"}
    )
    created_at = AwareDateTime()
    finished_at = AwareDateTime(allow_none=True)


class RosterExportArgsSchema(ma.Schema):
    department_id = fields.Integer(load_default=None, metadata={"description": "its subtree"})


class OneTimePasswordsSchema(ma.Schema):
    department_id = fields.Integer(load_default=None)
    user_ids = fields.List(
        fields.Integer(),
        load_default=None,
        validate=validate.Length(max=10000),
        metadata={"description": "these users (else: everyone in scope without a password)"},
    )


class OneTimePasswordSchema(ma.Schema):
    user_id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    employee_no = fields.String(allow_none=True)
    password = fields.String(metadata={"description": "shown once; changed at first sign-in"})


class OneTimePasswordListSchema(ma.Schema):
    items = fields.List(fields.Nested(OneTimePasswordSchema))


class PersonalDataSchema(ma.Schema):
    exported_at = fields.String()
    user_id = fields.Integer()
    data = fields.Dict(
        metadata={"description": "profile, then every table that holds rows about the user"}
    )
