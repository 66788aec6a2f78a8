"""Schemas of courses: the published catalogue, authoring, enrolment and assignment."""

from __future__ import annotations

import marshmallow as ma
from flask import url_for
from marshmallow import fields, validate

from catalog.courses.models import CourseStatus
from catalog.fields import AwareDateTime, Pattern

CODE = Pattern(
    r"^[A-Za-z0-9][A-Za-z0-9_.\-]{1,39}$",
    error="2–40 位字母、数字或 _.- / 2–40 letters, digits, _.-",
)


class RefSchema(ma.Schema):
    code = fields.String()
    name = fields.String()


class LevelSchema(ma.Schema):
    level = fields.Integer()
    name = fields.String()
    name_en = fields.String()


class ProviderSchema(ma.Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


def _cover_link(release: object) -> str | None:
    if not getattr(release, "cover_key", None):
        return None
    return url_for("courses.CourseCover", course_id=release.course_id)  # type: ignore[attr-defined]


class CourseListItemSchema(ma.Schema):
    """A published course, compact for lists on phones."""

    id = fields.Integer(attribute="course_id")
    code = fields.String()
    version = fields.Integer()
    title = fields.String()
    industry = fields.Nested(RefSchema, allow_none=True)
    occupation = fields.Nested(RefSchema, allow_none=True)
    skill_level = fields.Nested(LevelSchema, attribute="level", allow_none=True)
    class_hours = fields.Float()
    credits = fields.Float()
    tags = fields.List(fields.String())
    provider = fields.Nested(ProviderSchema)
    lecture_count = fields.Integer()
    duration_seconds = fields.Float()
    cover_url = fields.Function(
        _cover_link, metadata={"description": "redirects to the image", "nullable": True}
    )
    published_at = AwareDateTime()


class CourseDetailSchema(CourseListItemSchema):
    """A published course with its chapters and microlectures (the published document)."""

    summary = fields.String()
    objectives = fields.Function(lambda release: release.document["objectives"])
    chapters = fields.Function(
        lambda release: release.document["chapters"],
        metadata={"description": "[{title, microlectures: [{id, title, duration_seconds, …}]}]"},
    )


class CourseQueryArgsSchema(ma.Schema):
    industry = fields.String(load_default=None, metadata={"description": "industry code"})
    occupation = fields.String(load_default=None, metadata={"description": "e.g. 6-31-01-03"})
    level = fields.Integer(load_default=None, validate=validate.Range(min=1, max=5))
    tag = fields.String(load_default=None)
    provider = fields.String(load_default=None, metadata={"description": "organisation code"})
    sort = fields.String(
        load_default="-published_at",
        validate=validate.OneOf(
            ["-published_at", "published_at", "title", "-title", "-class_hours", "class_hours"]
        ),
        metadata={"description": "title: in pinyin order (拼音排序)"},
    )
    cursor = fields.String(load_default=None)
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class ChapterItemSchema(ma.Schema):
    microlecture_id = fields.Integer(required=True)
    required = fields.Boolean(load_default=True)
    title = fields.Function(lambda item: item.microlecture.title, dump_only=True)
    status = fields.Function(lambda item: item.microlecture.status.value, dump_only=True)


class ChapterSchema(ma.Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    items = fields.List(
        fields.Nested(ChapterItemSchema), required=True, validate=validate.Length(max=200)
    )


class ChaptersSchema(ma.Schema):
    chapters = fields.List(
        fields.Nested(ChapterSchema), required=True, validate=validate.Length(max=100)
    )


class AuthoringCourseSchema(ma.Schema):
    id = fields.Integer()
    code = fields.String()
    title = fields.String()
    summary = fields.String()
    objectives = fields.List(fields.String())
    industry = fields.Nested(RefSchema, allow_none=True)
    occupation = fields.Nested(RefSchema, allow_none=True)
    skill_level = fields.Nested(LevelSchema, attribute="level", allow_none=True)
    class_hours = fields.Float()
    credits = fields.Float()
    tags = fields.List(fields.String())
    provider = fields.Nested(ProviderSchema)
    owner_id = fields.Integer()
    status = fields.Enum(CourseStatus, by_value=True)
    published_version = fields.Integer(allow_none=True)
    review_note = fields.String(allow_none=True)
    has_cover = fields.Function(lambda course: bool(course.cover_key))
    chapters = fields.List(fields.Nested(ChapterSchema))
    created_at = AwareDateTime()
    updated_at = AwareDateTime()


class AuthoringCourseListItemSchema(ma.Schema):
    id = fields.Integer()
    code = fields.String()
    title = fields.String()
    status = fields.Enum(CourseStatus, by_value=True)
    published_version = fields.Integer(allow_none=True)
    updated_at = AwareDateTime()


class CourseCreateSchema(ma.Schema):
    code = fields.String(required=True, validate=CODE)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    summary = fields.String(load_default="", validate=validate.Length(max=5000))
    objectives = fields.List(
        fields.String(validate=validate.Length(min=1, max=300)),
        validate=validate.Length(max=20),
        load_default=list,
    )
    industry = fields.String(load_default=None, metadata={"description": "industry code"})
    occupation = fields.String(load_default=None, metadata={"description": "occupation code"})
    skill_level = fields.Integer(load_default=None, validate=validate.Range(min=1, max=5))
    class_hours = fields.Float(load_default=0, validate=validate.Range(min=0, max=1000))
    credits = fields.Float(load_default=0, validate=validate.Range(min=0, max=100))
    tags = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)),
        validate=validate.Length(max=20),
        load_default=list,
    )


class CourseUpdateSchema(ma.Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    summary = fields.String(validate=validate.Length(max=5000))
    objectives = fields.List(
        fields.String(validate=validate.Length(min=1, max=300)), validate=validate.Length(max=20)
    )
    industry = fields.String(allow_none=True)
    occupation = fields.String(allow_none=True)
    skill_level = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=5))
    class_hours = fields.Float(validate=validate.Range(min=0, max=1000))
    credits = fields.Float(validate=validate.Range(min=0, max=100))
    tags = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)), validate=validate.Length(max=20)
    )


class AuthoringQueryArgsSchema(ma.Schema):
    status = fields.Enum(CourseStatus, by_value=True, load_default=None)
    sort = fields.String(
        load_default="-updated_at",
        validate=validate.OneOf(["-updated_at", "updated_at", "title", "-title"]),
        metadata={"description": "title: in pinyin order (拼音排序)"},
    )
    cursor = fields.String(load_default=None)
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class ReturnSchema(ma.Schema):
    note = fields.String(load_default=None, validate=validate.Length(max=2000))


class CoverSetSchema(ma.Schema):
    key = fields.String(required=True, validate=validate.Length(min=1, max=300))


class EnrolmentSchema(ma.Schema):
    course_id = fields.Integer()
    enrolled_at = AwareDateTime()


class AssignmentCreateSchema(ma.Schema):
    user_ids = fields.List(
        fields.Integer(),
        load_default=None,
        metadata={"description": "omit to assign to the whole organisation"},
    )
    due_date = fields.Date(load_default=None)
    required = fields.Boolean(load_default=True)
    organisation_code = fields.String(
        load_default=None, metadata={"description": "platform admins only"}
    )
    department_id = fields.Integer(
        load_default=None, metadata={"description": "a rule: everyone in this department's subtree"}
    )
    occupation = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=60),
        metadata={"description": "a rule: everyone of this occupation (工种)"},
    )
    skill_level = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=5),
        metadata={"description": "a rule: everyone at this skill level (1–5)"},
    )


class AssignmentSchema(ma.Schema):
    id = fields.Integer()
    course_id = fields.Integer()
    organisation_id = fields.Integer()
    user_id = fields.Integer(
        allow_none=True, metadata={"description": "null: everyone the rule matches"}
    )
    department_id = fields.Integer(allow_none=True)
    occupation = fields.String(allow_none=True)
    skill_level = fields.Integer(allow_none=True)
    due_date = fields.Date(allow_none=True)
    required = fields.Boolean()
    created_at = AwareDateTime()


class MyCourseSchema(ma.Schema):
    course = fields.Nested(CourseListItemSchema)
    enrolled_at = AwareDateTime(allow_none=True)
    assigned = fields.Boolean()
    required = fields.Boolean(metadata={"description": "必修课"})
    due_date = fields.Date(allow_none=True)
    overdue = fields.Boolean(metadata={"description": "due before today and not done"})
    status = fields.String(
        metadata={"description": "not_started, in_progress, done or overdue"},
    )
    lectures_done = fields.Integer(metadata={"description": "required microlectures completed"})
    lectures_total = fields.Integer(metadata={"description": "required microlectures"})
    share = fields.Float(metadata={"description": "lectures_done / lectures_total"})
    next_lecture = fields.Dict(
        allow_none=True,
        metadata={"description": "the next required microlecture to watch: {id, title}"},
    )


class MyCoursesSchema(ma.Schema):
    items = fields.List(fields.Nested(MyCourseSchema))


class OverdueArgsSchema(ma.Schema):
    department_id = fields.Integer(load_default=None, metadata={"description": "its subtree"})


class OverdueSchema(ma.Schema):
    user_id = fields.Integer()
    display_name = fields.String()
    employee_no = fields.String(allow_none=True)
    department_id = fields.Integer(allow_none=True)
    department = fields.String(allow_none=True)
    due_date = fields.Date()


class OverdueListSchema(ma.Schema):
    items = fields.List(fields.Nested(OverdueSchema))
