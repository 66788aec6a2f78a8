"""Schemas of quiz templates and sessions (keys appear only once the policy allows)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from catalog.banks.models import QuestionType
from catalog.clock import utcnow
from catalog.fields import AwareDateTime
from catalog.quiz import sessions
from catalog.quiz.models import FeedbackPolicy, QuizMode, SessionStatus
from catalog.reference.services import occupation_code


class SectionSchema(ma.Schema):
    title = fields.String(load_default="", validate=validate.Length(max=200))
    points = fields.Float(required=True, validate=validate.Range(min=0.5, max=100))
    question_ids = fields.List(
        fields.Integer(),
        load_default=list,
        metadata={"description": "a fixed list, or leave empty"},
    )
    count = fields.Integer(load_default=0, validate=validate.Range(min=0, max=500))
    bank_ids = fields.List(fields.Integer(), load_default=list)
    types = fields.List(
        fields.String(validate=validate.OneOf([t.value for t in QuestionType])), load_default=list
    )
    difficulty_min = fields.Integer(load_default=1, validate=validate.Range(min=1, max=5))
    difficulty_max = fields.Integer(load_default=5, validate=validate.Range(min=1, max=5))
    knowledge_points = fields.List(fields.String(), load_default=list)
    tags = fields.List(fields.String(), load_default=list)

    @ma.validates_schema
    def _fixed_or_rule(self, data: dict[str, object], **_: object) -> None:
        if not data["question_ids"] and not (data["count"] and data["bank_ids"]):
            raise ma.ValidationError(
                "固定题目或抽题规则（count 与 bank_ids）二选一 / give "
                "question_ids, or count and bank_ids",
                "count",
            )


TEMPLATE_MODES = (QuizMode.PRACTICE, QuizMode.EXAM, QuizMode.CONTEST)


class TemplateCreateSchema(ma.Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    mode = fields.Enum(
        QuizMode,
        by_value=True,
        required=True,
        validate=validate.OneOf(
            TEMPLATE_MODES,
            error="试卷模式为 practice、exam 或 contest（每日一练和错题重练无需试卷）/ "
            "practice, exam or contest",
        ),
        metadata={"description": "practice, exam or contest"},
    )
    time_limit_seconds = fields.Integer(load_default=None, validate=validate.Range(min=30))
    attempts_allowed = fields.Integer(load_default=None, validate=validate.Range(min=1))
    pass_mark = fields.Float(load_default=60.0, validate=validate.Range(min=0, max=100))
    shuffle_questions = fields.Boolean(load_default=False)
    shuffle_options = fields.Boolean(load_default=False)
    feedback_policy = fields.Enum(FeedbackPolicy, by_value=True, load_default=None)
    choice_partial = fields.Boolean(
        load_default=False, metadata={"description": "少选得分: partial credit"}
    )
    choice_share = fields.Float(load_default=0.5, validate=validate.Range(min=0, max=1))
    opens_at = AwareDateTime(load_default=None)
    closes_at = AwareDateTime(load_default=None)
    occupation = fields.String(load_default=None, metadata={"description": "a level exam's 工种"})
    skill_level = fields.Integer(load_default=None, validate=validate.Range(min=1, max=5))
    course_id = fields.Integer(
        load_default=None,
        metadata={"description": "an exam this course requires before it is completed"},
    )
    sections = fields.List(
        fields.Nested(SectionSchema), required=True, validate=validate.Length(min=1, max=20)
    )


class TemplateSchema(TemplateCreateSchema):
    # Written as a code, read back as one (the template stores the occupation's id).
    occupation = fields.Function(  # type: ignore[assignment]
        lambda t: occupation_code(t.occupation_id), allow_none=True
    )
    id = fields.Integer()
    organisation_id = fields.Integer()
    created_at = AwareDateTime()
    for_evaluation = fields.Boolean(
        metadata={"description": "an evaluation plan's theory exam: sat through an application"}
    )
    outdated_questions = fields.Function(
        sessions.outdated_questions,
        metadata={
            "description": "fixed questions it may no longer ask (retired, unshared or held by "
            "an exam): until its editors replace them, starting it answers 409"
        },
    )


class ItemSchema(ma.Schema):
    position = fields.Integer()
    question_id = fields.Integer()
    version = fields.Integer()
    type = fields.String()
    stem = fields.String()
    text_format = fields.String(metadata={"description": "plain or markdown"})
    options = fields.List(fields.Dict())
    points = fields.Float()
    response = fields.Dict(allow_none=True)
    revealed = fields.Boolean()
    answer = fields.Dict(allow_none=True, metadata={"description": "only once allowed"})
    explanation = fields.String(allow_none=True)
    score = fields.Float(allow_none=True, metadata={"description": "only once allowed"})


class AnswerResultSchema(ItemSchema):
    stands = fields.Boolean(
        metadata={
            "description": "whether this answer is the one that stands (false: another device's "
            "later answer does)"
        }
    )


class SessionSchema(ma.Schema):
    id = fields.String()
    template_id = fields.Integer(
        allow_none=True, metadata={"description": "none for daily practice and reviews"}
    )
    day = fields.Date(allow_none=True, metadata={"description": "a daily practice's day"})
    mode = fields.Enum(QuizMode, by_value=True)
    status = fields.Enum(SessionStatus, by_value=True)
    attempt = fields.Integer()
    started_at = AwareDateTime()
    deadline_at = AwareDateTime(allow_none=True)
    server_time = AwareDateTime()
    remaining_seconds = fields.Float(allow_none=True)
    max_score = fields.Float()
    result = fields.Dict(allow_none=True, metadata={"description": "once graded"})
    items = fields.List(fields.Nested(ItemSchema))


class AnswerSchema(ma.Schema):
    response = fields.Dict(
        required=True,
        metadata={
            "description": ("{selected: [labels]} | {value: bool} | {blanks: [..]} | {text: ..}")
        },
    )
    client_answer_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    client_answered_at = AwareDateTime(load_default=None)


class BatchAnswerSchema(AnswerSchema):
    position = fields.Integer(required=True, validate=validate.Range(min=1))


class BatchSchema(ma.Schema):
    # Each answer is checked on its own (BatchAnswerSchema) so that one malformed entry of an
    # offline queue is rejected alone instead of refusing, over and over, all the others.
    answers = fields.List(
        fields.Raw(allow_none=True),  # not Dict: an entry that is no object is rejected alone
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={
            "description": "each {position, response, client_answer_id, client_answered_at "
            "(ISO 8601 with an offset, optional)}; a malformed one is rejected alone"
        },
    )


class BatchOutcomeSchema(ma.Schema):
    position = fields.Integer()
    client_answer_id = fields.String()
    status = fields.String(
        metadata={"description": "saved, duplicate, stale (a newer answer stands) or rejected"}
    )
    reason = fields.String(allow_none=True)


class BatchResultSchema(ma.Schema):
    results = fields.List(fields.Nested(BatchOutcomeSchema))


class LeaderboardArgsSchema(ma.Schema):
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))


class StandingSchema(ma.Schema):
    rank = fields.Integer()
    display_name = fields.String()
    score = fields.Float()
    max_score = fields.Float()
    time_used_seconds = fields.Float()
    finished_at = AwareDateTime()
    is_me = fields.Boolean()


class LeaderboardSchema(ma.Schema):
    template_id = fields.Integer()
    entrants = fields.Integer(metadata={"description": "entrants who have finished"})
    top = fields.List(fields.Nested(StandingSchema))
    me = fields.Nested(StandingSchema, allow_none=True)


class TemplateListArgsSchema(ma.Schema):
    mode = fields.Enum(
        QuizMode,
        by_value=True,
        load_default=None,
        validate=validate.OneOf(TEMPLATE_MODES),
        metadata={"description": "practice, exam or contest"},
    )
    course_id = fields.Integer(
        load_default=None, metadata={"description": "the exams this course requires"}
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class MySessionsArgsSchema(ma.Schema):
    status = fields.Enum(SessionStatus, by_value=True, load_default=None)
    mode = fields.Enum(QuizMode, by_value=True, load_default=None)
    template_id = fields.Integer(load_default=None, validate=validate.Range(min=1))
    cursor = fields.String(load_default=None)
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class SessionSummarySchema(ma.Schema):
    id = fields.String()
    template_id = fields.Integer(allow_none=True)
    title = fields.String()
    mode = fields.Enum(QuizMode, by_value=True)
    status = fields.Enum(SessionStatus, by_value=True)
    attempt = fields.Integer()
    day = fields.Date(allow_none=True)
    started_at = AwareDateTime()
    deadline_at = AwareDateTime(allow_none=True)
    remaining_seconds = fields.Float(
        allow_none=True, metadata={"description": "time left of a session in progress"}
    )
    submitted_at = AwareDateTime(allow_none=True)
    score = fields.Float(allow_none=True, metadata={"description": "once finished"})
    max_score = fields.Float()
    passed = fields.Boolean(allow_none=True)


class MistakesArgsSchema(ma.Schema):
    due_only = fields.Boolean(
        load_default=False,
        metadata={"description": "true: only what is due (every open mistake otherwise)"},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class MistakeSchema(ma.Schema):
    question_id = fields.Integer()
    bank_id = fields.Integer(attribute="question.bank_id")
    type = fields.String(attribute="question.type.value")
    stem = fields.String(attribute="question.stem_text")
    wrong_count = fields.Integer(metadata={"description": "times answered wrongly"})
    reviews = fields.Integer(metadata={"description": "answers since the first mistake"})
    last_wrong_at = AwareDateTime(allow_none=True)
    due_at = AwareDateTime(metadata={"description": "when FSRS asks it again"})
    due = fields.Function(
        lambda m: m.due_at <= utcnow(), metadata={"description": "due for review now"}
    )
    options = fields.List(fields.Dict(), metadata={"description": "the question's options now"})
    answer = fields.Dict(
        allow_none=True,
        metadata={
            "description": "the key, in the question's own labels, once a quiz's feedback "
            "policy has shown it to you (null until then)"
        },
    )
    explanation = fields.String(allow_none=True)


class MarkingSchema(ma.Schema):
    session_id = fields.String(attribute="item.session_id")
    position = fields.Integer(attribute="item.position")
    question_id = fields.Integer(attribute="item.question_id")
    stem = fields.String(attribute="version.stem")
    answer = fields.Dict(attribute="version.answer", metadata={"description": "the key"})
    response = fields.Dict(attribute="item.response", allow_none=True)
    points = fields.Float(attribute="item.points")
    answered_at = AwareDateTime(allow_none=True)
    pending = fields.Boolean(attribute="item.pending")
    score = fields.Float(attribute="item.score", allow_none=True)
    grader_comment = fields.String(attribute="item.grader_comment", allow_none=True)


class ManualGradeSchema(ma.Schema):
    score = fields.Float(required=True, validate=validate.Range(min=0))
    comment = fields.String(load_default=None, validate=validate.Length(max=2000))


class OfflineAnswerSchema(ma.Schema):
    question_id = fields.Integer(required=True, validate=validate.Range(min=1))
    version = fields.Integer(
        required=True,
        validate=validate.Range(min=1),
        metadata={"description": "the question's version as the pack held it"},
    )
    response = fields.Dict(required=True, metadata={"description": "as for any answer"})
    client_answered_at = AwareDateTime(load_default=None)


class OfflinePracticeSchema(ma.Schema):
    client_id = fields.String(
        required=True,
        validate=validate.Length(min=8, max=64),
        metadata={"description": "the phone's id for this practice: a retry records nothing twice"},
    )
    bank_id = fields.Integer(required=True, validate=validate.Range(min=1))
    started_at = AwareDateTime(required=True)
    answers = fields.List(
        fields.Nested(OfflineAnswerSchema), required=True, validate=validate.Length(min=1, max=200)
    )


class RefusedQuestionSchema(ma.Schema):
    question_id = fields.Integer()
    reason = fields.String()


class OfflinePracticeResultSchema(ma.Schema):
    session = fields.Nested(SessionSchema)
    refused = fields.List(
        fields.Nested(RefusedQuestionSchema),
        metadata={"description": "questions left out: no longer practisable (an exam holds them)"},
    )
