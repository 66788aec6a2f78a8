"""Authoring courses: drafts, chapters, covers, review and publication."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_jwt_extended import current_user

from catalog.accounts.models import Role
from catalog.api import (
    API_PREFIX,
    Blueprint,
    ImageUploadRequestSchema,
    UploadTicketSchema,
    cursor_page_schema,
)
from catalog.api.paging import keyset_page, sort_keys
from catalog.courses import authoring, publishing
from catalog.courses.models import Course
from catalog.courses.schemas import (
    AuthoringCourseListItemSchema,
    AuthoringCourseSchema,
    AuthoringQueryArgsSchema,
    ChaptersSchema,
    CourseCreateSchema,
    CourseUpdateSchema,
    CoverSetSchema,
    ReturnSchema,
)
from catalog.uploads import UploadTicket

AUTHORS = (Role.INSTRUCTOR, Role.EDITOR, Role.ADMIN)
REVIEWERS = (Role.EDITOR, Role.ADMIN)

blp = Blueprint(
    "authoring_courses",
    __name__,
    url_prefix=f"{API_PREFIX}/authoring/courses",
    description="课程制作 / Authoring courses",
)

AuthoringCoursePageSchema = cursor_page_schema(AuthoringCourseListItemSchema, "AuthoringCoursePage")
SORTS = sort_keys(Course.id, Course.updated_at, title=Course.title_sort)  # 拼音排序


@blp.route("")
class AuthoringCourses(MethodView):
    @blp.auth(*AUTHORS)
    @blp.arguments(AuthoringQueryArgsSchema, location="query")
    @blp.response(200, AuthoringCoursePageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Courses you may edit (reviewers: the organisation's), filtered by status."""
        query = authoring.authoring_query(current_user, args["status"])
        return keyset_page(query, SORTS[args["sort"]], cursor=args["cursor"], limit=args["limit"])

    @blp.auth(*AUTHORS)
    @blp.arguments(CourseCreateSchema)
    @blp.response(201, AuthoringCourseSchema)
    def post(self, data: dict[str, Any]) -> Course:
        """Create a draft course provided by your organisation."""
        return authoring.create(current_user, data)


@blp.route("/<int:course_id>")
class AuthoringCoursesById(MethodView):
    @blp.auth(*AUTHORS)
    @blp.response(200, AuthoringCourseSchema)
    def get(self, course_id: int) -> Course:
        """The working copy, with status and the published version learners see."""
        return authoring.get_for_editing(current_user, course_id)

    @blp.auth(*AUTHORS)
    @blp.arguments(CourseUpdateSchema)
    @blp.response(200, AuthoringCourseSchema)
    def patch(self, changes: dict[str, Any], course_id: int) -> Course:
        """Edit the draft; a published course keeps its published version until the next publish."""
        return authoring.update(current_user, course_id, changes)


@blp.route("/<int:course_id>/chapters")
class AuthoringChapters(MethodView):
    @blp.auth(*AUTHORS)
    @blp.arguments(ChaptersSchema)
    @blp.response(200, AuthoringCourseSchema)
    def put(self, data: dict[str, Any], course_id: int) -> Course:
        """Replace the ordered chapters and their ordered microlectures."""
        return authoring.set_chapters(current_user, course_id, data["chapters"])


@blp.route("/<int:course_id>/cover/upload")
class AuthoringCoverUpload(MethodView):
    @blp.auth(*AUTHORS)
    @blp.arguments(ImageUploadRequestSchema)
    @blp.response(201, UploadTicketSchema)
    def post(self, data: dict[str, Any], course_id: int) -> UploadTicket:
        """A presigned PUT for a cover image (JPEG, PNG or WebP, 5 MiB at most)."""
        return authoring.plan_cover_upload(current_user, course_id, **data)


@blp.route("/<int:course_id>/cover")
class AuthoringCover(MethodView):
    @blp.auth(*AUTHORS)
    @blp.arguments(CoverSetSchema)
    @blp.response(200, AuthoringCourseSchema)
    def put(self, data: dict[str, str], course_id: int) -> Course:
        """Use an uploaded image as the cover (its real type is checked)."""
        return authoring.set_cover(current_user, course_id, data["key"])


@blp.route("/<int:course_id>/submit")
class SubmitCourse(MethodView):
    @blp.auth(*AUTHORS)
    @blp.response(200, AuthoringCourseSchema)
    def post(self, course_id: int) -> Course:
        """Send the draft for review (422 lists what is missing, as publishing would)."""
        return publishing.submit(current_user, course_id)


@blp.route("/<int:course_id>/withdraw")
class WithdrawCourse(MethodView):
    @blp.auth(*AUTHORS)
    @blp.response(200, AuthoringCourseSchema)
    def post(self, course_id: int) -> Course:
        """Take a course back from review to edit it (edits in review are a 409)."""
        return authoring.withdraw(current_user, course_id)


@blp.route("/<int:course_id>/return")
class ReturnCourse(MethodView):
    @blp.auth(*REVIEWERS)
    @blp.arguments(ReturnSchema)
    @blp.response(200, AuthoringCourseSchema)
    def post(self, data: dict[str, Any], course_id: int) -> Course:
        """Send a course in review back to draft, with a note for its author."""
        return authoring.return_to_draft(current_user, course_id, data["note"])


@blp.route("/<int:course_id>/publish")
class PublishCourse(MethodView):
    @blp.auth(*REVIEWERS)
    @blp.response(200, AuthoringCourseSchema)
    def post(self, course_id: int) -> Course:
        """Publish: checks completeness (422 lists what is missing), writes the next version."""
        return publishing.publish(current_user, course_id)


@blp.route("/<int:course_id>/archive")
class ArchiveCourse(MethodView):
    @blp.auth(*REVIEWERS)
    @blp.response(200, AuthoringCourseSchema)
    def post(self, course_id: int) -> Course:
        """Archive: the course leaves the catalogue."""
        return authoring.archive(current_user, course_id)
