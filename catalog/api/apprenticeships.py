"""Apprenticeships (企业新型学徒制): agreements, tasks and milestones, the apprentice's notes,
the enterprise mentor's sign-offs, completion."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_jwt_extended import current_user

from catalog.accounts.models import Role
from catalog.api import API_PREFIX, Blueprint, page_schema
from catalog.api.paging import paginate
from catalog.evaluation import apprenticeships
from catalog.evaluation.apprenticeship_schemas import (
    ApprenticeshipCreateSchema,
    ApprenticeshipEndSchema,
    ApprenticeshipNoteSchema,
    ApprenticeshipQueryArgsSchema,
    ApprenticeshipSchema,
    ApprenticeshipSignOffSchema,
    ApprenticeshipTaskCreateSchema,
    ApprenticeshipTaskSchema,
    MyApprenticeshipsArgsSchema,
)
from catalog.evaluation.models import Apprenticeship, ApprenticeshipTask

blp = Blueprint(
    "apprenticeships",
    __name__,
    url_prefix=API_PREFIX,
    description="学徒制 / Apprenticeships",
)


@blp.route("/apprenticeships")
class Apprenticeships(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(ApprenticeshipQueryArgsSchema, location="query")
    @blp.response(200, page_schema(ApprenticeshipSchema, "ApprenticeshipPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The apprenticeships of the people you manage, newest first."""
        query = apprenticeships.managed_query(
            current_user, args.pop("status"), args.pop("apprentice_id")
        )
        return paginate(query, **args)

    @blp.auth(Role.ADMIN)
    @blp.arguments(ApprenticeshipCreateSchema)
    @blp.response(201, ApprenticeshipSchema)
    def post(self, data: dict[str, Any]) -> Apprenticeship:
        """Make an apprenticeship agreement: apprentice, mentors, goals, dates and tasks."""
        return apprenticeships.create(current_user, data)


@blp.route("/me/apprenticeships")
class MyApprenticeships(MethodView):
    @blp.auth()
    @blp.arguments(MyApprenticeshipsArgsSchema, location="query")
    @blp.response(200, ApprenticeshipSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[Apprenticeship]:
        """The apprenticeships where I am the apprentice or a mentor, newest first."""
        return apprenticeships.mine(current_user, args["status"])


@blp.route("/apprenticeships/<int:apprenticeship_id>")
class ApprenticeshipsById(MethodView):
    @blp.auth()
    @blp.response(200, ApprenticeshipSchema)
    def get(self, apprenticeship_id: int) -> Apprenticeship:
        """An apprenticeship with its tasks (its apprentice, mentors and their admins)."""
        return apprenticeships.visible(current_user, apprenticeship_id)


@blp.route("/apprenticeships/<int:apprenticeship_id>/tasks")
class ApprenticeshipTasks(MethodView):
    @blp.auth()
    @blp.arguments(ApprenticeshipTaskCreateSchema)
    @blp.response(201, ApprenticeshipTaskSchema)
    def post(self, data: dict[str, Any], apprenticeship_id: int) -> ApprenticeshipTask:
        """Add a task or milestone (the enterprise mentor or an admin), while active."""
        return apprenticeships.add_task(current_user, apprenticeship_id, data)


@blp.route("/apprenticeships/<int:apprenticeship_id>/tasks/<int:task_id>/note")
class ApprenticeshipTaskNote(MethodView):
    @blp.auth()
    @blp.arguments(ApprenticeshipNoteSchema)
    @blp.response(200, ApprenticeshipTaskSchema)
    def put(self, data: dict[str, Any], apprenticeship_id: int, task_id: int) -> ApprenticeshipTask:
        """Write or rewrite my note on a task (the apprentice), until it is signed off."""
        return apprenticeships.write_note(current_user, apprenticeship_id, task_id, data["note"])


@blp.route("/apprenticeships/<int:apprenticeship_id>/tasks/<int:task_id>/sign-off")
class ApprenticeshipTaskSignOff(MethodView):
    @blp.auth()
    @blp.arguments(ApprenticeshipSignOffSchema)
    @blp.response(200, ApprenticeshipTaskSchema)
    def post(
        self, data: dict[str, Any], apprenticeship_id: int, task_id: int
    ) -> ApprenticeshipTask:
        """Sign a task off (the enterprise mentor only); again: the first sign-off unchanged."""
        return apprenticeships.sign_off(current_user, apprenticeship_id, task_id, data["comment"])


@blp.route("/apprenticeships/<int:apprenticeship_id>/complete")
class ApprenticeshipCompletion(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.response(200, ApprenticeshipSchema)
    def post(self, apprenticeship_id: int) -> Apprenticeship:
        """Complete an apprenticeship once every milestone is signed off (409 names the rest)."""
        return apprenticeships.complete(current_user, apprenticeship_id)


@blp.route("/apprenticeships/<int:apprenticeship_id>/end")
class ApprenticeshipEnd(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(ApprenticeshipEndSchema)
    @blp.response(200, ApprenticeshipSchema)
    def post(self, data: dict[str, Any], apprenticeship_id: int) -> Apprenticeship:
        """End an apprenticeship early, saying why."""
        return apprenticeships.end(current_user, apprenticeship_id, data["reason"])
