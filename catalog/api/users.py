"""Users of an organisation, managed by its admins."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_jwt_extended import current_user

from catalog.accounts import services
from catalog.accounts.models import Role, User
from catalog.accounts.schemas import PageArgsSchema, UserCreateSchema, UserSchema
from catalog.api import API_PREFIX, Blueprint, page_schema
from catalog.api.paging import paginate

blp = Blueprint("users", __name__, url_prefix=f"{API_PREFIX}/users", description="用户 / Users")

UserPageSchema = page_schema(UserSchema, "UserPageSchema")


@blp.route("")
class Users(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, UserPageSchema)
    def get(self, args: dict[str, int]) -> dict[str, Any]:
        """List users of the admin's organisation (all users for a platform admin)."""
        return paginate(services.users_visible_to(current_user), **args)

    @blp.auth(Role.ADMIN)
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    def post(self, data: dict[str, Any]) -> User:
        """Create a user in the admin's organisation."""
        return services.create_user_as(current_user, **data)
