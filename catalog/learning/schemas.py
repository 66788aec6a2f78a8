"""Schemas of statements: what a device may send, and what the learner reads back."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from catalog.extensions import CheckedEach
from catalog.fields import AwareDateTime, Pattern
from catalog.learning.statements import DEVICE_STATEMENT_ID

CLIENT_VERBS = ("progressed",)  # completions, quiz results and credits are the server's to record


class HeartbeatSchema(ma.Schema):
    """A stretch of continuous playback (one at least every 15 s while playing, and one when
    playing stops); what it earns is said in the README ("What counts as watched")."""

    position_from = fields.Float(
        required=True,
        validate=validate.Range(min=0),
        metadata={"description": "media second where the stretch began"},
    )
    position_to = fields.Float(
        required=True,
        validate=validate.Range(min=0),
        metadata={"description": "media second where it ended (a jump ahead is a seek)"},
    )
    playback_rate = fields.Float(
        load_default=1.0,
        validate=validate.Range(min=0.25, max=16),
        metadata={"description": "the player's speed; what counts is capped at 2×"},
    )
    wall_seconds = fields.Float(
        required=True,
        validate=validate.Range(min=0, max=86400),
        metadata={
            "description": "how long the stretch took by the device's clock, ending at "
            "the statement's timestamp"
        },
    )


class ObjectSchema(ma.Schema):
    type = fields.String(required=True, validate=validate.OneOf(["microlecture"]))
    id = fields.Integer(required=True, validate=validate.Range(min=1))


class StatementInSchema(ma.Schema):
    """A statement from a device, xAPI-shaped; the actor is always the caller."""

    id = fields.String(
        required=True,
        validate=Pattern(
            DEVICE_STATEMENT_ID,
            error="语句编号须为 8–64 个字母、数字或 . _ ~ - / a statement id is 8–64 of "
            "A–Z, a–z, 0–9, '.', '_', '~' and '-'",
        ),
        metadata={
            "description": "made by the device (a UUID will do); never with ':', which marks "
            "the ids the server gives what it records itself"
        },
    )
    verb = fields.String(
        required=True,
        validate=validate.OneOf(
            CLIENT_VERBS, error="设备只能上报 progressed / devices send progressed only"
        ),
    )
    object = fields.Nested(ObjectSchema, required=True)
    result = fields.Nested(HeartbeatSchema, required=True)
    context = fields.Dict(load_default=None, metadata={"description": "device, app version…"})
    timestamp = AwareDateTime(
        required=True,
        default_timezone=None,
        metadata={
            "description": "when the stretch ended, by the device (at most STATEMENT_PAST_DAYS "
            "back and STATEMENT_FUTURE_SECONDS ahead)"
        },
    )


class StatementBatchSchema(ma.Schema):
    statements = fields.List(
        CheckedEach(StatementInSchema),  # each checked on its own: one bad one spoils no other
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "up to 500 statements recorded offline, in any order"},
    )


class StatementPutSchema(StatementInSchema):
    """One statement; its id is the path's (an id in the body is ignored)."""

    id = fields.String(validate=validate.Length(min=8, max=64))


class StatementOutcomeSchema(ma.Schema):
    id = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "stored, duplicate or rejected"})
    reason = fields.Raw(allow_none=True)


class StatementBatchResultSchema(ma.Schema):
    results = fields.List(fields.Nested(StatementOutcomeSchema))


class StatementSchema(ma.Schema):
    id = fields.String(attribute="statement_id")
    title = fields.String(
        allow_none=True, metadata={"description": "the title of what the statement is about"}
    )
    actor = fields.Function(lambda s: {"account": {"name": str(s.user_id)}})
    verb = fields.String()
    object = fields.Function(lambda s: {"type": s.object_type, "id": s.object_id})
    result = fields.Dict(allow_none=True)
    context = fields.Dict(allow_none=True)
    timestamp = AwareDateTime()
    stored = AwareDateTime()


class LectureProgressSchema(ma.Schema):
    microlecture_id = fields.Integer()
    seconds_watched = fields.Float(metadata={"description": "unique media seconds"})
    duration_seconds = fields.Float()
    share_watched = fields.Float()
    last_position = fields.Float()
    completed_at = AwareDateTime(allow_none=True)
    updated_at = AwareDateTime()


class CourseProgressSchema(ma.Schema):
    course_id = fields.Integer()
    title = fields.String()
    required_lectures = fields.Integer()
    completed_lectures = fields.Integer()
    exam_required = fields.Boolean(metadata={"description": "the course requires an exam"})
    exam_passed = fields.Boolean()
    completed = fields.Boolean()
    lectures = fields.List(fields.Nested(LectureProgressSchema))


class ProgressSchema(ma.Schema):
    courses = fields.List(fields.Nested(CourseProgressSchema))
    lectures = fields.List(
        fields.Nested(LectureProgressSchema), metadata={"description": "every lecture started"}
    )


class MasterySchema(ma.Schema):
    knowledge_point = fields.String()
    mastery = fields.Float(metadata={"description": "share of the points earned"})
    answers = fields.Integer()


class ReportArgsSchema(ma.Schema):
    group_by = fields.String(
        load_default="course",
        validate=validate.OneOf(
            ["course", "industry", "organisation", "department", "day", "month"]
        ),
        metadata={
            "description": "department: the children of `department` (or the top ones), each "
            "with its whole subtree"
        },
    )
    department = fields.Integer(
        load_default=None, metadata={"description": "count only this department's subtree"}
    )
    occupation = fields.String(load_default=None, validate=validate.Length(max=60))
    level = fields.Integer(load_default=None, validate=validate.Range(min=1, max=5))
    date_from = fields.Date(
        load_default=None, data_key="from", metadata={"description": "30 days back by default"}
    )
    date_to = fields.Date(
        load_default=None, data_key="to", metadata={"description": "today by default"}
    )
    organisation = fields.String(
        load_default=None, metadata={"description": "an organisation's code (platform admins)"}
    )
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv", "xlsx"]))


class ReportRowSchema(ma.Schema):
    key = fields.String()
    label = fields.String()
    person_times = fields.Integer(metadata={"description": "培训人次: learner-course-days"})
    learners = fields.Integer(metadata={"description": "distinct learners"})
    study_hours = fields.Float(metadata={"description": "watched time in 45-minute 学时"})
    completions = fields.Integer()
    course_hours = fields.Float(metadata={"description": "学时 of the courses completed"})
    exams = fields.Integer()
    passes = fields.Integer()
    pass_rate = fields.Float(allow_none=True)


class ReportSchema(ma.Schema):
    group_by = fields.String()
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
    organisation_id = fields.Integer(allow_none=True)
    rows = fields.List(fields.Nested(ReportRowSchema))
    total = fields.Nested(ReportRowSchema)
