"""The signed-in user."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_jwt_extended import current_user, get_jwt, get_jwt_identity, verify_jwt_in_request
from flask_jwt_extended.exceptions import JWTExtendedException
from flask_limiter.util import get_remote_address
from jwt import PyJWTError

from catalog.accounts import lifecycle, personal
from catalog.accounts.models import User
from catalog.accounts.schemas import PasswordChangeSchema, PersonalDataSchema, UserSchema
from catalog.api import API_PREFIX, Blueprint
from catalog.courses import enrolment
from catalog.courses.schemas import EnrolmentSchema, MyCoursesSchema
from catalog.extensions import limiter
from catalog.learning import completion, history

blp = Blueprint("me", __name__, url_prefix=f"{API_PREFIX}/me", description="我的 / Me")


@blp.route("")
class Me(MethodView):
    @blp.auth(allow_pending_password=True)
    @blp.response(200, UserSchema)
    def get(self) -> User:
        """The signed-in user, with organisation and roles."""
        return current_user  # type: ignore[no-any-return]


def _own_account_key() -> str:
    """Wrong current passwords count per account (a stolen access token guessing it), else
    per address."""
    try:
        verify_jwt_in_request()
        return f"password-change:{get_jwt_identity()}"
    except (JWTExtendedException, PyJWTError):
        return f"password-change-at:{get_remote_address()}"


def _password_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _wrong_password(response: Any) -> bool:
    return bool(response.status_code == 403)


@blp.route("/password")
class MyPassword(MethodView):
    decorators = [
        limiter.limit(_password_limit, key_func=_own_account_key, deduct_when=_wrong_password)
    ]

    @blp.auth(allow_pending_password=True)
    @blp.arguments(PasswordChangeSchema)
    @blp.response(200, UserSchema)
    def post(self, data: dict[str, str]) -> User:
        """Change your own password (with the current one); your other logins end."""
        return lifecycle.change_own_password(
            current_user, get_jwt()["sid"], data["current_password"], data["new_password"]
        )


@blp.route("/personal-data")
class MyPersonalData(MethodView):
    @blp.auth(allow_pending_password=True)
    @blp.response(200, PersonalDataSchema)
    def get(self) -> dict[str, Any]:
        """Everything this service holds about you (个人信息), section by section."""
        return personal.export(current_user)


@blp.route("/courses")
class MyCourses(MethodView):
    @blp.auth()
    @blp.response(200, MyCoursesSchema)
    def get(self) -> dict[str, list[history.MyCourseProgress]]:
        """Courses I enrolled in or was assigned (必修课 first, soonest due first), each with
        its status and my progress in it."""
        return {"items": history.my_courses(current_user)}


@blp.route("/courses/<int:course_id>")
class MyCoursesById(MethodView):
    @blp.auth()
    @blp.response(200, EnrolmentSchema)
    def put(self, course_id: int) -> enrolment.Enrolled:
        """Enrol in a published course (doing it again changes nothing)."""
        # read before catching up: a leave racing this enrolment may delete the row meanwhile
        enrolled = enrolment.enrol(current_user, course_id)
        completion.catch_up(course_id, user_ids=[current_user.id])  # what I did before counts
        return enrolled

    @blp.auth()
    @blp.response(204)
    def delete(self, course_id: int) -> None:
        """Leave a course I enrolled in (assignments stay)."""
        enrolment.unenrol(current_user, course_id)
