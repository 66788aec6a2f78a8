"""The published course catalogue, covers and assignments."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_jwt_extended import current_user
from werkzeug.wrappers import Response

from catalog.accounts.models import Role
from catalog.api import API_PREFIX, Blueprint, cursor_page_schema, image_redirect
from catalog.api.paging import keyset_page, sort_keys
from catalog.courses import catalogue, enrolment
from catalog.courses.models import Assignment, CourseRelease
from catalog.courses.schemas import (
    AssignmentCreateSchema,
    AssignmentSchema,
    CourseDetailSchema,
    CourseListItemSchema,
    CourseQueryArgsSchema,
    OverdueArgsSchema,
    OverdueListSchema,
)
from catalog.database import db
from catalog.learning import completion

blp = Blueprint(
    "courses", __name__, url_prefix=f"{API_PREFIX}/courses", description="课程 / Courses"
)

CoursePageSchema = cursor_page_schema(CourseListItemSchema, "CoursePageSchema")

SORTS = sort_keys(
    CourseRelease.id,
    CourseRelease.published_at,
    CourseRelease.class_hours,
    title=CourseRelease.title_sort,  # 拼音排序
)


@blp.route("")
class Courses(MethodView):
    @blp.auth()
    @blp.etag
    @blp.arguments(CourseQueryArgsSchema, location="query")
    @blp.response(200, CoursePageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Published courses, filtered by industry, occupation, level, tag and provider."""
        sort = SORTS[args.pop("sort")]
        cursor, limit = args.pop("cursor"), args.pop("limit")
        return keyset_page(catalogue.published_query(**args), sort, cursor=cursor, limit=limit)


@blp.route("/<int:course_id>")
class CoursesById(MethodView):
    @blp.auth()
    @blp.etag
    @blp.response(200, CourseDetailSchema)
    def get(self, course_id: int) -> CourseRelease:
        """The published version of a course, with its chapters and microlectures."""
        return catalogue.get_published(course_id)


@blp.route("/<int:course_id>/cover")
class CourseCover(MethodView):
    @blp.response(302, description="to a short-lived URL of the image")
    @blp.alt_response(404, description="no cover")
    def get(self, course_id: int) -> Response:
        """The published cover image (a redirect, so list responses stay cacheable)."""
        return image_redirect(catalogue.cover_url(course_id))


@blp.route("/<int:course_id>/assignments")
class CourseAssignments(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.response(200, AssignmentSchema(many=True))
    def get(self, course_id: int) -> list[Assignment]:
        """Who in your organisation must take this course (必修), and by when."""
        return enrolment.assignments_of_course(current_user, course_id)

    @blp.auth(Role.ADMIN)
    @blp.arguments(AssignmentCreateSchema)
    @blp.response(201, AssignmentSchema(many=True))
    def post(self, data: dict[str, Any], course_id: int) -> list[Assignment]:
        """Require the course of some users, or of the whole organisation, with a due date."""
        assignments = enrolment.assign(current_user, course_id, **data)
        # what the assigned learners did before counts, at once
        named = {a.user_id for a in assignments if a.user_id is not None}
        ruled = [a for a in assignments if a.user_id is None and enrolment.is_rule(a)]
        for assignment in ruled:
            named |= set(db.session.scalars(enrolment.audience(assignment)))
        completion.catch_up(
            course_id,
            user_ids=sorted(u for u in named if u is not None),
            organisation_id=next(
                (
                    a.organisation_id
                    for a in assignments
                    if a.user_id is None and not enrolment.is_rule(a)
                ),
                None,
            ),
        )
        return assignments


@blp.route("/<int:course_id>/overdue")
class CourseOverdue(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(OverdueArgsSchema, location="query")
    @blp.response(200, OverdueListSchema)
    def get(self, args: dict[str, Any], course_id: int) -> dict[str, Any]:
        """Who is past the due date of this required course without completing it, by
        department (a department means its subtree; only people you manage)."""
        return {"items": enrolment.overdue(current_user, course_id, args["department_id"])}


assignments_blp = Blueprint(
    "assignments",
    __name__,
    url_prefix=f"{API_PREFIX}/assignments",
    description="必修课分配 / Assignments",
)


@assignments_blp.route("/<int:assignment_id>")
class AssignmentsById(MethodView):
    @assignments_blp.auth(Role.ADMIN)
    @assignments_blp.response(204)
    def delete(self, assignment_id: int) -> None:
        """Withdraw an assignment."""
        enrolment.delete_assignment(current_user, assignment_id)
