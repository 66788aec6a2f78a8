"""Users of an organisation, managed by its admins (a scoped admin: their department's)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_jwt_extended import current_user

from catalog.accounts import audit, lifecycle, personal, services
from catalog.accounts.models import Role, User
from catalog.accounts.schemas import (
    AccountAuditEntrySchema,
    PageArgsSchema,
    PasswordResetSchema,
    PersonalDataSchema,
    RolesSchema,
    UserCreateSchema,
    UserQueryArgsSchema,
    UserSchema,
    UserUpdateSchema,
)
from catalog.accounts.scope import managed_user
from catalog.api import API_PREFIX, Blueprint, page_schema
from catalog.api.paging import paginate

blp = Blueprint("users", __name__, url_prefix=f"{API_PREFIX}/users", description="用户 / Users")

UserPageSchema = page_schema(UserSchema, "UserPageSchema")
AuditPageSchema = page_schema(AccountAuditEntrySchema, "AccountAuditPageSchema")


@blp.route("")
class Users(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(UserQueryArgsSchema, location="query")
    @blp.response(200, UserPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Users the admin manages: by department (its subtree), occupation, level, status."""
        page, page_size = args.pop("page"), args.pop("page_size")
        return paginate(lifecycle.users_query(current_user, **args), page=page, page_size=page_size)

    @blp.auth(Role.ADMIN)
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    def post(self, data: dict[str, Any]) -> User:
        """Create a user in the admin's organisation (a scoped admin: in their department)."""
        return services.create_user_as(current_user, **data)


@blp.route("/<int:user_id>")
class OneUser(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.response(200, UserSchema)
    def get(self, user_id: int) -> User:
        """One user the admin manages (404 for anyone else)."""
        return managed_user(current_user, user_id)

    @blp.auth(Role.ADMIN)
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, changes: dict[str, Any], user_id: int) -> User:
        """Profile: name, employee number (工号), phone, occupation (工种), level, department."""
        return lifecycle.update_profile(current_user, user_id, changes)


@blp.route("/<int:user_id>/roles")
class UserRoles(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(RolesSchema)
    @blp.response(200, UserSchema)
    def put(self, data: dict[str, Any], user_id: int) -> User:
        """Set the roles: admins grant learner, instructor and editor; only a platform admin
        appoints admins and scopes them to a department; nobody changes their own."""
        return lifecycle.set_roles(
            current_user,
            user_id,
            set(data["roles"]),
            data.get("admin_scope_id", lifecycle.KEEP_SCOPE),
        )


@blp.route("/<int:user_id>/disable")
class DisableUser(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.response(200, UserSchema)
    def post(self, user_id: int) -> User:
        """Disable a leaver: every login of theirs ends at once. Records are kept."""
        return lifecycle.set_active(current_user, user_id, False)


@blp.route("/<int:user_id>/enable")
class EnableUser(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.response(200, UserSchema)
    def post(self, user_id: int) -> User:
        """Enable a disabled user again."""
        return lifecycle.set_active(current_user, user_id, True)


@blp.route("/<int:user_id>/password-reset")
class ResetPassword(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.response(200, PasswordResetSchema)
    def post(self, user_id: int) -> dict[str, Any]:
        """A one-time password to hand over; it must be changed at the next sign-in, and the
        user's current logins end."""
        user, temporary = lifecycle.reset_password(current_user, user_id)
        return {"user": user, "temporary_password": temporary}


@blp.route("/<int:user_id>/audit")
class UserAudit(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, AuditPageSchema)
    def get(self, args: dict[str, int], user_id: int) -> dict[str, Any]:
        """What admins did to this user, newest first."""
        user = managed_user(current_user, user_id)
        return paginate(audit.entries_for(user.id), **args)


@blp.route("/<int:user_id>/personal-data")
class UserPersonalData(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.response(200, PersonalDataSchema)
    def get(self, user_id: int) -> dict[str, Any]:
        """Everything held about a user you manage (a request made to the organisation)."""
        return personal.export_for(current_user, user_id)


@blp.route("/<int:user_id>/anonymise")
class AnonymiseUser(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.response(200, UserSchema)
    def post(self, user_id: int) -> User:
        """Delete a user as a person: personal fields and logins go; their records stay, named
        by id only, so credits, statements and reports still add up."""
        return personal.anonymise(current_user, user_id)
