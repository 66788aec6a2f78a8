"""Schemas of skill-level evaluation: plans and their components, applications, results,
assessors and assessments, reports."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from catalog.evaluation.models import (
    ApplicationStatus,
    ComponentKind,
    PlanStatus,
    ResultStatus,
)
from catalog.evaluation.plans import shown
from catalog.fields import AwareDateTime, Pattern
from catalog.reference.services import occupation_code

KEY = Pattern(r"^[a-z][a-z0-9_-]{0,39}$", error="小写字母、数字、-、_ / a-z, 0-9, - and _")


def two_places(value: float) -> None:
    """Points and scores are kept, shown and judged to two decimals: more is refused, not
    rounded into a pass (59.996 shown as 60 and failed, or passed)."""
    if round(value, 2) != value:
        raise ma.ValidationError("最多两位小数 / At most two decimal places")


def console_id(description: str) -> fields.String:
    """An optional id an admin's console makes once per request, so that a retry is known."""
    return fields.String(
        load_default=None,
        validate=validate.Length(min=8, max=64),
        metadata={"description": description},
    )


def distinct(values: list[int]) -> None:
    if len(set(values)) != len(values):
        raise ma.ValidationError("不能重复 / Named twice")


class ChecklistItemSchema(ma.Schema):
    key = fields.String(required=True, validate=KEY)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    points = fields.Float(required=True, validate=[validate.Range(min=0.5, max=1000), two_places])
    critical = fields.Boolean(
        load_default=False,
        metadata={"description": "否决项: failing it fails the whole assessment"},
    )


class ComponentSchema(ma.Schema):
    key = fields.String(required=True, validate=KEY)
    kind = fields.Enum(ComponentKind, by_value=True, required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    weight = fields.Float(
        required=True,
        validate=[validate.Range(min=0, max=100, min_inclusive=False), two_places],
        metadata={"description": "percent of the total; the weights add up to 100"},
    )
    pass_mark = fields.Float(
        load_default=60.0, validate=[validate.Range(min=0, max=100), two_places]
    )
    attempts_allowed = fields.Integer(
        load_default=2,
        validate=validate.Range(min=1, max=10),
        metadata={"description": "the first sitting and its re-sits"},
    )
    template_id = fields.Integer(
        load_default=None, metadata={"description": "theory: an exam template of yours"}
    )
    checklist = fields.List(
        fields.Nested(ChecklistItemSchema),
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "practical: the items assessors score"},
    )
    assessors = fields.Integer(
        load_default=1, validate=validate.OneOf([1, 2]), metadata={"description": "practical"}
    )
    max_gap = fields.Float(
        load_default=None,
        validate=[validate.Range(min=0, max=100000), two_places],
        metadata={
            "description": "practical, two assessors: the widest gap between their totals "
            "(points) averaged; wider calls a third (default: a tenth of the points)"
        },
    )


class ContestLinkSchema(ma.Schema):
    template_id = fields.Integer(required=True, metadata={"description": "a contest of yours"})
    rank_from = fields.Integer(required=True, validate=validate.Range(min=1))
    rank_to = fields.Integer(required=True, validate=validate.Range(min=1))
    waives = fields.List(fields.String(validate=KEY), load_default=list)
    grants_level = fields.Boolean(load_default=False)


class PlanWriteSchema(ma.Schema):
    code = fields.String(required=True, validate=KEY)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    occupation = fields.String(required=True, metadata={"description": "工种 code"})
    skill_level = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    required_course_ids = fields.List(
        fields.Integer(), load_default=list, validate=validate.Length(max=50)
    )
    required_certificate_years = fields.Float(
        load_default=None,
        validate=validate.Range(min=0, max=30),
        metadata={"description": "years the lower-level certificate has been held"},
    )
    requires_apprenticeship = fields.Boolean(load_default=False)
    components = fields.List(
        fields.Nested(ComponentSchema), required=True, validate=validate.Length(min=1, max=10)
    )
    contest_links = fields.List(
        fields.Nested(ContestLinkSchema), load_default=list, validate=validate.Length(max=20)
    )
    validity_days = fields.Integer(
        load_default=365,
        validate=validate.Range(min=1, max=3650),
        metadata={"description": "from approval: components are sat and re-sat within it"},
    )
    certificate_years = fields.Integer(
        load_default=None, validate=validate.Range(min=1, max=50), metadata={"description": ""}
    )


class PlanSchema(ma.Schema):
    id = fields.Integer()
    code = fields.String()
    version = fields.Integer()
    status = fields.Enum(PlanStatus, by_value=True)
    title = fields.String()
    occupation = fields.Function(lambda p: occupation_code(p.occupation_id))
    skill_level = fields.Integer()
    required_course_ids = fields.List(fields.Integer())
    required_certificate_level = fields.Integer(allow_none=True)
    required_certificate_years = fields.Float(allow_none=True)
    requires_apprenticeship = fields.Boolean()
    components = fields.List(
        fields.Dict(), metadata={"description": "checklists and exams: the admins' view only"}
    )
    contest_links = fields.List(fields.Dict())
    validity_days = fields.Integer()
    certificate_years = fields.Integer(allow_none=True)
    created_at = AwareDateTime()
    published_at = AwareDateTime(allow_none=True)


class PlanQueryArgsSchema(ma.Schema):
    status = fields.Enum(PlanStatus, by_value=True, load_default=None)


class UnmetSchema(ma.Schema):
    code = fields.String()
    message = fields.String()
    course_id = fields.Integer()
    skill_level = fields.Integer()
    years = fields.Float()


class EligibilitySchema(ma.Schema):
    plan_id = fields.Integer()
    eligible = fields.Boolean()
    unmet = fields.List(fields.Nested(UnmetSchema))


class ApplySchema(ma.Schema):
    plan_id = fields.Integer(required=True)


class ResultSchema(ma.Schema):
    id = fields.Integer()
    component_key = fields.String()
    kind = fields.Enum(ComponentKind, by_value=True)
    attempt = fields.Integer()
    status = fields.Enum(ResultStatus, by_value=True)
    score = fields.Float(allow_none=True, metadata={"description": "percent"})
    source_type = fields.String(allow_none=True)
    source_id = fields.String(allow_none=True)
    created_at = AwareDateTime()
    decided_at = AwareDateTime(allow_none=True)


class ApplicationSchema(ma.Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    applicant = fields.Function(lambda a: _applicant_name(a.user_id))
    plan = fields.Function(lambda a: PlanSchema().dump(shown(a.plan, full=False)))
    status = fields.Enum(ApplicationStatus, by_value=True)
    applied_at = AwareDateTime()
    decided_at = AwareDateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)
    valid_until = AwareDateTime(allow_none=True)
    total_score = fields.Float(allow_none=True)
    certificate_id = fields.Integer(allow_none=True)
    closed_at = AwareDateTime(allow_none=True)
    results = fields.List(fields.Nested(ResultSchema))


def _applicant_name(user_id: int) -> str:
    from catalog.accounts.models import User
    from catalog.database import db

    user = db.session.get(User, user_id)
    return user.display_name if user else ""


class ApplicationQueryArgsSchema(ma.Schema):
    status = fields.Enum(ApplicationStatus, by_value=True, load_default=None)
    plan_id = fields.Integer(load_default=None)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class DecisionSchema(ma.Schema):
    note = fields.String(load_default=None, validate=validate.Length(max=1000))


class RejectionSchema(ma.Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class EventSchema(ma.Schema):
    id = fields.Integer()
    kind = fields.String()
    actor_id = fields.Integer(allow_none=True)
    detail = fields.Dict(allow_none=True)
    created_at = AwareDateTime()


class TheoryStartSchema(ma.Schema):
    component = fields.String(required=True, validate=KEY)


class PerformanceSchema(ma.Schema):
    component = fields.String(required=True, validate=KEY)
    score = fields.Float(required=True, validate=[validate.Range(min=0, max=100), two_places])
    evidence = fields.String(
        required=True,
        validate=validate.Length(min=1, max=5000),
        metadata={"description": "what the score rests on (业绩材料)"},
    )
    client_id = console_id(
        "made by the admin's console once per review: a retry (a double tap, a lost reply) "
        "sends it again and records nothing twice"
    )


class ComponentRefSchema(ma.Schema):
    component = fields.String(required=True, validate=KEY)


class VoidSchema(ma.Schema):
    component = fields.String(required=True, validate=KEY)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class AssignSchema(ma.Schema):
    component = fields.String(required=True, validate=KEY)
    assessor_ids = fields.List(
        fields.Integer(), required=True, validate=validate.Length(min=1, max=2)
    )
    replacing = fields.List(
        fields.Integer(),
        load_default=None,
        validate=[validate.Length(min=1, max=3), distinct],
        metadata={
            "description": "the assessors of the attempt under way who have not submitted "
            "(gone, unbound, in conflict, or not scoring), whose places the named ones take "
            "one for one; the scores submitted stay; with a client_id. A 409 "
            "assessors_changed when they are no longer the attempt's unsubmitted ones"
        },
    )
    client_id = console_id(
        "made by the admin's console once per replacement, required with replacing: sent "
        "again (a lost reply) it answers as the first time and changes nothing, whatever "
        "happened since"
    )

    @ma.validates_schema
    def _replacing_has_a_client_id(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("replacing") is not None and data.get("client_id") is None:
            raise ma.ValidationError(
                "更换考评员须带 client_id / A replacement carries a client_id", "client_id"
            )


class AssessorBindSchema(ma.Schema):
    occupations = fields.List(
        fields.String(validate=validate.Length(min=1, max=20)),
        required=True,
        validate=validate.Length(max=50),
        metadata={"description": "工种 codes; none: no longer an assessor"},
    )


class AssessorSchema(ma.Schema):
    user_id = fields.Integer()
    occupation = fields.Function(lambda b: occupation_code(b.occupation_id))
    created_at = AwareDateTime()


class ScoreSchema(ma.Schema):
    key = fields.String(required=True, validate=KEY)
    points = fields.Float(required=True, validate=[validate.Range(min=0, max=1000), two_places])
    passed = fields.Boolean(
        load_default=None, metadata={"description": "critical items: passed or failed"}
    )
    note = fields.String(load_default=None, validate=validate.Length(max=1000))


class SubmissionSchema(ma.Schema):
    client_id = fields.String(
        required=True,
        validate=validate.Length(min=8, max=64),
        metadata={"description": "made by the device once per scoring: a retry sends it again"},
    )
    scored_at = AwareDateTime(
        required=True, metadata={"description": "the device's time (bounded by the server's)"}
    )
    items = fields.List(
        fields.Nested(ScoreSchema), required=True, validate=validate.Length(max=200)
    )
    evidence_keys = fields.List(
        fields.String(validate=validate.Length(max=300)),
        load_default=list,
        validate=validate.Length(max=20),
    )


class AssessmentSchema(ma.Schema):
    """A scoring; the candidate reads it without its id, assessor or times (null), in the
    order of the scores."""

    id = fields.String(allow_none=True)
    assessor_id = fields.Integer(
        allow_none=True, metadata={"description": "not shown to the candidate"}
    )
    component_key = fields.String()
    attempt = fields.Integer()
    assigned_at = AwareDateTime(allow_none=True)
    scores = fields.List(fields.Dict(), allow_none=True)
    total = fields.Float(allow_none=True)
    critical_failed = fields.List(fields.String(), allow_none=True)
    evidence = fields.List(fields.Dict())
    scored_at = AwareDateTime(allow_none=True)
    submitted_at = AwareDateTime(allow_none=True)


class AssessorTaskSchema(ma.Schema):
    """What an assessor's tablet takes into the workshop for one candidate."""

    id = fields.String()
    application_id = fields.Integer()
    candidate = fields.String()
    employee_no = fields.String(allow_none=True)
    plan_title = fields.String()
    occupation = fields.String(allow_none=True)
    skill_level = fields.Integer()
    component = fields.Dict()
    attempt = fields.Integer()
    assigned_at = AwareDateTime()


class ReportArgsSchema(ma.Schema):
    date_from = fields.Date(load_default=None, data_key="from")
    date_to = fields.Date(load_default=None, data_key="to")


class RateSchema(ma.Schema):
    occupation = fields.String(allow_none=True)
    skill_level = fields.Integer()
    component = fields.String()
    kind = fields.String()
    sat = fields.Integer()
    passed = fields.Integer()
    waived = fields.Integer()
    pass_rate = fields.Float(allow_none=True)


class PeriodSchema(ma.Schema):
    period = fields.String(metadata={"description": "YYYY-MM"})
    occupation = fields.String(allow_none=True)
    skill_level = fields.Integer()
    certificates = fields.Integer()


class EvaluationReportSchema(ma.Schema):
    applications = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "by status"}
    )
    components = fields.List(fields.Nested(RateSchema))
    certificates = fields.List(fields.Nested(PeriodSchema))
