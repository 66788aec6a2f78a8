"""The signed-in user."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user

from catalog.accounts.models import User
from catalog.accounts.schemas import UserSchema
from catalog.api import API_PREFIX, Blueprint

blp = Blueprint("me", __name__, url_prefix=f"{API_PREFIX}/me", description="我的 / Me")


@blp.route("")
class Me(MethodView):
    @blp.auth()
    @blp.response(200, UserSchema)
    def get(self) -> User:
        """The signed-in user, with organisation and roles."""
        return current_user  # type: ignore[no-any-return]
