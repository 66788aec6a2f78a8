"""Skill-level evaluation (职业技能等级评价): plans per occupation and level, learners'
applications (申报), the result of each component, assessors (考评员) and their scoring in the
workshop, and apprenticeships (新型学徒制) under enterprise mentors."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.clock import utcnow
from catalog.database import UTCDateTime, db, enum_column, new_id


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"  # learners apply under it; never changed again
    RETIRED = "retired"  # replaced by a newer version, or withdrawn: no new applications


class ComponentKind(enum.StrEnum):
    THEORY = "theory"  # 理论知识考试: a level-exam template
    PRACTICAL = "practical"  # 操作技能考核: a checklist scored by assessors
    PERFORMANCE = "performance"  # 业绩评审: a score with evidence
    APPRENTICESHIP = "apprenticeship"  # a completed apprenticeship in the occupation


class EvaluationPlan(db.Model):  # type: ignore[name-defined,misc]
    """One version of an organisation's plan (评价方案) for an occupation and level. A
    published version never changes: a new version is a new row with the same code, and an
    application keeps the version it started under."""

    __tablename__ = "evaluation_plans"
    __table_args__ = (UniqueConstraint("organisation_id", "code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(64))  # the plan across its versions
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[PlanStatus] = mapped_column(enum_column(PlanStatus), default=PlanStatus.DRAFT)
    title: Mapped[str] = mapped_column(String(200))
    occupation_id: Mapped[int] = mapped_column(ForeignKey("occupations.id"))
    skill_level: Mapped[int] = mapped_column(ForeignKey("skill_levels.level"))
    # prerequisites (逢考必训): courses completed; a lower-level certificate held for years;
    # a completed apprenticeship
    required_course_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    required_certificate_level: Mapped[int | None] = mapped_column(Integer)
    required_certificate_years: Mapped[float | None] = mapped_column(Float)
    requires_apprenticeship: Mapped[bool] = mapped_column(Boolean, default=False)
    # [{key, kind, title, weight, pass_mark, attempts_allowed, template_id | checklist,
    #   assessors, max_gap}]
    components: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # 以赛促评: [{template_id, rank_from, rank_to, waives: [component keys], grants_level}]
    contest_links: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    validity_days: Mapped[int] = mapped_column(Integer, default=365)  # re-sits within this
    certificate_years: Mapped[int | None] = mapped_column(Integer)  # none: never expires
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def component(self, key: str) -> dict[str, Any] | None:
        return next((c for c in self.components if c["key"] == key), None)


class ApplicationStatus(enum.StrEnum):
    PENDING = "pending"  # eligible, waits for an admin's approval of the sitting
    APPROVED = "approved"  # sitting its components
    CERTIFIED = "certified"  # every component passed: the certificate is issued
    FAILED = "failed"  # a component failed with no attempt left
    REJECTED = "rejected"  # an admin refused the sitting
    WITHDRAWN = "withdrawn"  # by the learner, before any result
    LAPSED = "lapsed"  # the plan's validity ended before every component passed


OPEN_APPLICATIONS = (ApplicationStatus.PENDING, ApplicationStatus.APPROVED)


class Application(db.Model):  # type: ignore[name-defined,misc]
    """A learner's application (申报) to be evaluated under one plan version."""

    __tablename__ = "evaluation_applications"
    __table_args__ = (Index("ix_evaluation_applications_org", "organisation_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("evaluation_plans.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_column(ApplicationStatus), default=ApplicationStatus.PENDING
    )
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision_note: Mapped[str | None] = mapped_column(Text)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())  # set on approval
    total_score: Mapped[float | None] = mapped_column(Float)  # weighted, when certified
    certificate_id: Mapped[int | None] = mapped_column(
        ForeignKey("certificates.id", ondelete="SET NULL"), unique=True
    )
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    plan: Mapped[EvaluationPlan] = relationship(lazy="joined")
    results: Mapped[list[ComponentResult]] = relationship(
        order_by="ComponentResult.id", lazy="selectin", viewonly=True
    )


class ApplicationEvent(db.Model):  # type: ignore[name-defined,misc]
    """One step of an application, appended and never changed: what, when, by whom."""

    __tablename__ = "evaluation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_applications.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ResultStatus(enum.StrEnum):
    PENDING = "pending"  # being sat or scored
    DISPUTED = "disputed"  # two assessors too far apart: a third decides
    PASSED = "passed"
    FAILED = "failed"
    WAIVED = "waived"  # by a contest result (以赛促评)
    VOID = "void"  # the application closed before it was scored


UNDER_WAY = (ResultStatus.PENDING, ResultStatus.DISPUTED)  # an attempt still to be decided
UNDECIDED = (*UNDER_WAY, ResultStatus.VOID)  # no score the candidate may read


class ComponentResult(db.Model):  # type: ignore[name-defined,misc]
    """One attempt at one component of an application (a re-sit is the next attempt)."""

    __tablename__ = "evaluation_results"
    __table_args__ = (
        UniqueConstraint("application_id", "component_key", "attempt"),
        UniqueConstraint("source_type", "source_id"),  # a session or review counts once
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_applications.id", ondelete="CASCADE"), index=True
    )
    component_key: Mapped[str] = mapped_column(String(40))
    kind: Mapped[ComponentKind] = mapped_column(enum_column(ComponentKind))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[ResultStatus] = mapped_column(
        enum_column(ResultStatus), default=ResultStatus.PENDING
    )
    score: Mapped[float | None] = mapped_column(Float)  # percent of the component's points
    source_type: Mapped[str | None] = mapped_column(String(32))  # quiz_session, contest, …
    source_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AssessorOccupation(db.Model):  # type: ignore[name-defined,misc]
    """An assessor (考评员) of an organisation, bound to an occupation they may assess."""

    __tablename__ = "assessor_occupations"
    __table_args__ = (UniqueConstraint("user_id", "occupation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    occupation_id: Mapped[int] = mapped_column(ForeignKey("occupations.id"))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Assessment(db.Model):  # type: ignore[name-defined,misc]
    """One assessor's scoring of one practical attempt, item by item, with evidence."""

    __tablename__ = "evaluation_assessments"
    __table_args__ = (UniqueConstraint("result_id", "assessor_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    result_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_results.id", ondelete="CASCADE"), index=True
    )
    assessor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # the scoring as the assessor's device recorded it: [{key, points, note}]
    scores: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    total: Mapped[float | None] = mapped_column(Float)  # points
    critical_failed: Mapped[list[str] | None] = mapped_column(JSON)
    evidence_keys: Mapped[list[str] | None] = mapped_column(JSON)
    client_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the device's, bounded
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApprenticeshipStatus(enum.StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"  # every milestone signed off, closed by an admin
    ENDED = "ended"  # ended early


class Apprenticeship(db.Model):  # type: ignore[name-defined,misc]
    """An agreement (企业新型学徒制): an apprentice, an enterprise mentor and optionally a
    school mentor, with goals, content, duration and the standard it is assessed by."""

    __tablename__ = "apprenticeships"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    apprentice_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)  # 企业导师
    school_mentor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # 院校导师
    occupation_id: Mapped[int] = mapped_column(ForeignKey("occupations.id"))
    skill_level: Mapped[int | None] = mapped_column(ForeignKey("skill_levels.level"))
    goals: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    assessment_standard: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[ApprenticeshipStatus] = mapped_column(
        enum_column(ApprenticeshipStatus), default=ApprenticeshipStatus.ACTIVE
    )
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    end_reason: Mapped[str | None] = mapped_column(Text)  # why it ended early
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    tasks: Mapped[list[ApprenticeshipTask]] = relationship(
        order_by="ApprenticeshipTask.position", lazy="selectin", cascade="all, delete-orphan"
    )


class ApprenticeshipTask(db.Model):  # type: ignore[name-defined,misc]
    """A task or milestone of an apprenticeship: the apprentice's own notes, the mentor's
    sign-off."""

    __tablename__ = "apprenticeship_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    apprenticeship_id: Mapped[int] = mapped_column(
        ForeignKey("apprenticeships.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    milestone: Mapped[bool] = mapped_column(Boolean, default=False)
    due_on: Mapped[date | None] = mapped_column(Date)
    apprentice_note: Mapped[str | None] = mapped_column(Text)
    noted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    mentor_comment: Mapped[str | None] = mapped_column(Text)


@event.listens_for(ApplicationEvent, "before_update")
@event.listens_for(ApplicationEvent, "before_delete")
def _append_only(mapper: Any, connection: Any, target: ApplicationEvent) -> None:
    raise RuntimeError("an application's history is append-only")
