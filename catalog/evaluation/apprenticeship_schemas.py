"""Schemas of apprenticeships (企业新型学徒制): agreements, their tasks, notes and sign-offs."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from catalog.accounts.models import User
from catalog.database import db
from catalog.evaluation.apprenticeships import open_milestones
from catalog.evaluation.models import Apprenticeship, ApprenticeshipStatus
from catalog.fields import AwareDateTime
from catalog.reference.services import occupation_code

TEXT = validate.Length(min=1, max=5000)


def _name(user_id: int | None) -> str | None:
    user = db.session.get(User, user_id) if user_id is not None else None
    return user.display_name if user else None


def _progress(apprenticeship: Apprenticeship) -> dict[str, Any]:
    tasks = apprenticeship.tasks
    milestones = [t for t in tasks if t.milestone]
    return {
        "tasks": len(tasks),
        "signed_off": sum(t.signed_off_at is not None for t in tasks),
        "milestones": len(milestones),
        "milestones_signed_off": sum(t.signed_off_at is not None for t in milestones),
        "open_milestones": len(open_milestones(apprenticeship)),
    }


class ApprenticeshipTaskSchema(ma.Schema):
    id = fields.Integer()
    position = fields.Integer()
    title = fields.String()
    description = fields.String()
    milestone = fields.Boolean(metadata={"description": "a milestone (里程碑) gates completion"})
    due_on = fields.Date(allow_none=True)
    apprentice_note = fields.String(allow_none=True, metadata={"description": "the apprentice's"})
    noted_at = AwareDateTime(allow_none=True)
    signed_off = fields.Function(lambda t: t.signed_off_at is not None)
    signed_off_by_id = fields.Integer(allow_none=True)
    signed_off_at = AwareDateTime(allow_none=True)
    mentor_comment = fields.String(allow_none=True)


class ApprenticeshipTaskCreateSchema(ma.Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    milestone = fields.Boolean(
        load_default=False,
        metadata={"description": "a milestone must be signed off before completion"},
    )
    due_on = fields.Date(load_default=None)


class ApprenticeshipProgressSchema(ma.Schema):
    tasks = fields.Integer()
    signed_off = fields.Integer()
    milestones = fields.Integer()
    milestones_signed_off = fields.Integer()
    open_milestones = fields.Integer(metadata={"description": "left before completion"})


class ApprenticeshipSchema(ma.Schema):
    id = fields.Integer()
    organisation_id = fields.Integer()
    status = fields.Enum(ApprenticeshipStatus, by_value=True)
    apprentice_id = fields.Integer()
    apprentice_name = fields.Function(lambda a: _name(a.apprentice_id))
    mentor_id = fields.Integer(metadata={"description": "企业导师 the enterprise mentor"})
    mentor_name = fields.Function(lambda a: _name(a.mentor_id))
    school_mentor_id = fields.Integer(
        allow_none=True, metadata={"description": "院校导师 the school mentor"}
    )
    school_mentor_name = fields.Function(lambda a: _name(a.school_mentor_id), allow_none=True)
    occupation = fields.Function(
        lambda a: occupation_code(a.occupation_id), metadata={"description": "工种 code"}
    )
    skill_level = fields.Integer(allow_none=True, metadata={"description": "none: any level"})
    goals = fields.String()
    content = fields.String()
    assessment_standard = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    completed_at = AwareDateTime(allow_none=True)
    ended_at = AwareDateTime(allow_none=True)
    end_reason = fields.String(allow_none=True, metadata={"description": "why it ended early"})
    created_at = AwareDateTime()
    progress = fields.Nested(
        ApprenticeshipProgressSchema, metadata={"description": "what is signed off"}
    )
    tasks = fields.List(fields.Nested(ApprenticeshipTaskSchema))

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        if attr == "progress":  # counted from the tasks, not stored
            return _progress(obj)
        return super().get_attribute(obj, attr, default)


class ApprenticeshipCreateSchema(ma.Schema):
    apprentice_id = fields.Integer(required=True)
    mentor_id = fields.Integer(required=True, metadata={"description": "企业导师"})
    school_mentor_id = fields.Integer(
        load_default=None,
        metadata={"description": "院校导师: one of your people, or a member of a school"},
    )
    occupation = fields.String(required=True, metadata={"description": "工种 code"})
    skill_level = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=5),
        metadata={"description": "the level aimed at; none: counts for any level"},
    )
    goals = fields.String(required=True, validate=TEXT)
    content = fields.String(required=True, validate=TEXT)
    assessment_standard = fields.String(required=True, validate=TEXT)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    tasks = fields.List(
        fields.Nested(ApprenticeshipTaskCreateSchema),
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "in order; mark at least one as a milestone"},
    )


class ApprenticeshipQueryArgsSchema(ma.Schema):
    status = fields.Enum(ApprenticeshipStatus, by_value=True, load_default=None)
    apprentice_id = fields.Integer(load_default=None)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class MyApprenticeshipsArgsSchema(ma.Schema):
    status = fields.Enum(ApprenticeshipStatus, by_value=True, load_default=None)


class ApprenticeshipNoteSchema(ma.Schema):
    note = fields.String(required=True, validate=TEXT)


class ApprenticeshipSignOffSchema(ma.Schema):
    comment = fields.String(load_default=None, validate=validate.Length(max=2000))


class ApprenticeshipEndSchema(ma.Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
