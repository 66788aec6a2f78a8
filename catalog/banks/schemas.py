"""Schemas of banks, questions (with keys: staff only), imports, exports and snapshots."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import fields, validate

from catalog.banks import snapshots, transfers
from catalog.banks.models import ImportStatus, QuestionStatus, QuestionType, QuestionUsage
from catalog.banks.services import BULK_ACTIONS
from catalog.fields import AwareDateTime

NAME = validate.Length(min=1, max=200)


class BankSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String()
    industry = fields.Function(lambda b: b.industry.code if b.industry else None, allow_none=True)
    occupation = fields.Function(
        lambda b: b.occupation.code if b.occupation else None, allow_none=True
    )
    skill_level = fields.Integer(allow_none=True)
    organisation_id = fields.Integer()
    editor_ids = fields.Function(lambda b: [u.id for u in b.editors])
    course_ids = fields.Function(lambda b: [c.id for c in b.courses])
    shared_with = fields.Function(
        lambda b: sorted(o.code for o in b.shared_with),
        metadata={"description": "organisations that use this bank in their quizzes"},
    )
    snapshot = fields.Function(snapshots.describe, allow_none=True)
    created_at = AwareDateTime()
    updated_at = AwareDateTime()


class BankCreateSchema(ma.Schema):
    name = fields.String(required=True, validate=NAME)
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    industry = fields.String(load_default=None)
    occupation = fields.String(load_default=None)
    skill_level = fields.Integer(load_default=None, validate=validate.Range(min=1, max=5))
    editor_ids = fields.List(
        fields.Integer(),
        load_default=list,
        metadata={"description": "users who may edit besides editors/admins"},
    )
    course_ids = fields.List(
        fields.Integer(),
        load_default=list,
        metadata={"description": "courses of your organisation this bank serves"},
    )
    shared_with = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        load_default=list,
        validate=validate.Length(max=500),
        metadata={"description": "codes of organisations that may use it (an alliance's members)"},
    )


class BankUpdateSchema(ma.Schema):
    name = fields.String(validate=NAME)
    description = fields.String(validate=validate.Length(max=5000))
    industry = fields.String(allow_none=True)
    occupation = fields.String(allow_none=True)
    skill_level = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=5))
    editor_ids = fields.List(fields.Integer())
    course_ids = fields.List(fields.Integer())
    shared_with = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)), validate=validate.Length(max=500)
    )


class OptionSchema(ma.Schema):
    label = fields.String(required=True)
    text = fields.String(required=True)
    feedback = fields.String(
        load_default=None,
        metadata={"description": "what a learner who chose it is told, when keys are shown"},
    )


class QuestionWriteSchema(ma.Schema):
    """A question as an editor sends it; the answer key's shape depends on the type."""

    type = fields.Enum(QuestionType, by_value=True, required=True)
    stem = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    text_format = fields.String(
        load_default="plain",
        validate=validate.OneOf(["plain", "markdown"]),
        metadata={"description": "plain, or markdown (stem, options, feedback and explanation)"},
    )
    stem_images = fields.List(
        fields.String(),
        load_default=list,
        validate=validate.Length(max=10),
        metadata={"description": "keys from POST /banks/{id}/images"},
    )
    options = fields.List(fields.Nested(OptionSchema), load_default=list)
    answer = fields.Dict(
        required=True,
        metadata={
            "description": (
                "single/multiple: {correct: [labels]}; true_false: {correct: bool}; fill_blank: "
                "{blanks: [{accepted: [..], tolerance}], ordered}; short_answer: "
                "{keywords: [{word, weight, synonyms}], reference, manual}"
            )
        },
    )
    explanation = fields.String(load_default="", validate=validate.Length(max=5000))
    difficulty = fields.Integer(load_default=3)
    knowledge_points = fields.List(fields.String(), load_default=list)
    tags = fields.List(fields.String(), load_default=list)
    source = fields.String(load_default="", validate=validate.Length(max=200))
    usage = fields.Enum(QuestionUsage, by_value=True, load_default=QuestionUsage.BOTH)


class QuestionUpdateSchema(ma.Schema):
    type = fields.Enum(QuestionType, by_value=True)
    stem = fields.String(validate=validate.Length(min=1, max=5000))
    text_format = fields.String(validate=validate.OneOf(["plain", "markdown"]))
    stem_images = fields.List(fields.String(), validate=validate.Length(max=10))
    options = fields.List(fields.Nested(OptionSchema))
    answer = fields.Dict()
    explanation = fields.String(validate=validate.Length(max=5000))
    difficulty = fields.Integer()
    knowledge_points = fields.List(fields.String())
    tags = fields.List(fields.String())
    source = fields.String(validate=validate.Length(max=200))
    usage = fields.Enum(QuestionUsage, by_value=True)


class NearDuplicateSchema(ma.Schema):
    question_id = fields.Integer()
    score = fields.Float()


class QuestionSchema(ma.Schema):
    """For editors only: includes the answer key and explanation."""

    id = fields.Integer(attribute="question.id")
    bank_id = fields.Integer(attribute="question.bank_id")
    status = fields.Enum(QuestionStatus, by_value=True, attribute="question.status")
    version = fields.Integer(attribute="current.version")
    version_id = fields.Integer(attribute="current.id")
    type = fields.Enum(QuestionType, by_value=True, attribute="current.type")
    stem = fields.String(attribute="current.stem")
    text_format = fields.String(attribute="current.text_format")
    stem_images = fields.List(fields.String(), attribute="current.stem_images")
    options = fields.List(fields.Nested(OptionSchema), attribute="current.options")
    answer = fields.Dict(attribute="current.answer")
    explanation = fields.String(attribute="current.explanation")
    difficulty = fields.Integer(attribute="current.difficulty")
    knowledge_points = fields.List(fields.String(), attribute="current.knowledge_points")
    tags = fields.List(fields.String(), attribute="current.tags")
    source = fields.String(attribute="current.source")
    usage = fields.Enum(QuestionUsage, by_value=True, attribute="current.usage")
    versions = fields.List(fields.Integer())
    statistics = fields.Dict(
        allow_none=True,
        metadata={"description": "attempts, share_correct (难度系数), discrimination (区分度)"},
    )
    near_duplicates = fields.List(
        fields.Nested(NearDuplicateSchema),
        metadata={"description": "similar questions (not blocked)"},
    )
    updated_at = AwareDateTime(attribute="question.updated_at")


class QuestionVersionSchema(ma.Schema):
    id = fields.Integer()
    question_id = fields.Integer()
    version = fields.Integer()
    type = fields.Enum(QuestionType, by_value=True)
    stem = fields.String()
    text_format = fields.String()
    options = fields.List(fields.Nested(OptionSchema))
    answer = fields.Dict()
    explanation = fields.String()
    difficulty = fields.Integer()
    knowledge_points = fields.List(fields.String())
    tags = fields.List(fields.String())
    created_at = AwareDateTime()


class QuestionQueryArgsSchema(ma.Schema):
    type = fields.Enum(QuestionType, by_value=True, load_default=None)
    difficulty = fields.Integer(load_default=None, validate=validate.Range(min=1, max=5))
    knowledge_point = fields.String(load_default=None)
    tag = fields.String(load_default=None)
    status = fields.Enum(QuestionStatus, by_value=True, load_default=None)
    text = fields.String(load_default=None, validate=validate.Length(max=100))
    cursor = fields.String(load_default=None)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class BulkSchema(ma.Schema):
    ids = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1, max=5000))
    action = fields.String(required=True, validate=validate.OneOf(BULK_ACTIONS))
    value = fields.Raw(
        load_default=None,
        metadata={"description": "difficulty 1–5, a list of tags or knowledge points, or a usage"},
    )


class BulkResultSchema(ma.Schema):
    action = fields.String()
    selected = fields.Integer()
    changed = fields.Integer()


class ImportFormSchema(ma.Schema):
    file = Upload(required=True)
    format = fields.String(
        load_default=None, validate=validate.OneOf(["xlsx", "csv", "gift", "moodle_xml", "aiken"])
    )
    mode = fields.String(
        load_default="all_or_nothing", validate=validate.OneOf(["all_or_nothing", "skip_invalid"])
    )
    dry_run = fields.Boolean(load_default=False)
    publish = fields.Boolean(
        load_default=False, metadata={"description": "publish imported questions at once"}
    )


class ProblemSchema(ma.Schema):
    sheet = fields.String(allow_none=True)
    row = fields.Integer(allow_none=True)
    line = fields.Integer(allow_none=True)
    item = fields.Integer(allow_none=True)
    column = fields.String(allow_none=True)
    field = fields.String(allow_none=True)
    severity = fields.String()
    message = fields.String()


class ImportSchema(ma.Schema):
    id = fields.String()
    bank_id = fields.Integer()
    file_name = fields.String()
    file_size = fields.Integer()
    format = fields.String()
    mode = fields.String()
    dry_run = fields.Boolean()
    status = fields.Enum(ImportStatus, by_value=True)
    task_id = fields.String(allow_none=True)
    counts = fields.Dict(metadata={"description": "read, valid, errors, warnings, imported"})
    problem_count = fields.Integer()
    problems = fields.List(fields.Nested(ProblemSchema), metadata={"description": "first 1,000"})
    report_url = fields.Function(transfers.report_url, allow_none=True)
    created_at = AwareDateTime()
    finished_at = AwareDateTime(allow_none=True)


class ExportRequestSchema(ma.Schema):
    format = fields.String(
        required=True, validate=validate.OneOf(["xlsx", "csv", "gift", "moodle_xml", "aiken"])
    )
    statuses = fields.List(
        fields.Enum(QuestionStatus, by_value=True),
        load_default=lambda: [QuestionStatus.PUBLISHED, QuestionStatus.DRAFT],
    )


class PackSchema(ma.Schema):
    bank_id = fields.Integer()
    name = fields.String()
    version = fields.Integer(metadata={"description": "changes only when the content does"})
    question_count = fields.Integer()
    size = fields.Integer(metadata={"description": "bytes of the gzip JSON"})
    published_at = AwareDateTime(allow_none=True)


class SnapshotSchema(ma.Schema):
    bank_id = fields.Integer()
    version = fields.Integer()
    etag = fields.String()
    url = fields.String(metadata={"description": "short-lived URL of the gzip JSON"})
    size = fields.Integer()
    question_count = fields.Integer()
    published_at = AwareDateTime()
