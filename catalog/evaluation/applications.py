"""Applications (申报): a learner applies under a published plan; eligibility is checked at
once, naming each unmet prerequisite (逢考必训); an admin approves or rejects the sitting, the
learner may withdraw; lists and the application's history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, select

from catalog.accounts.models import User
from catalog.accounts.scope import managed_users
from catalog.clock import local_day, utcnow
from catalog.courses.models import Course
from catalog.credits.models import Certificate, CertificateStatus
from catalog.database import db
from catalog.errors import Conflict, Invalid, NotFound
from catalog.evaluation import apprenticeships, components, results
from catalog.evaluation.access import get_application, managed_application
from catalog.evaluation.models import (
    OPEN_APPLICATIONS,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    EvaluationPlan,
    PlanStatus,
    ResultStatus,
)
from catalog.evaluation.plans import get_plan, require_evaluator
from catalog.learning.models import Statement
from catalog.quiz import sessions


@dataclass
class Eligibility:
    """Whether a learner may apply under a plan, and every prerequisite still unmet."""

    plan_id: int
    eligible: bool
    unmet: list[dict[str, Any]] = field(default_factory=list)


def eligibility(user: User, plan: EvaluationPlan) -> Eligibility:
    unmet: list[dict[str, Any]] = []
    completed = _completed_courses(user.id, plan.required_course_ids)
    for course_id in plan.required_course_ids:
        if course_id not in completed:
            title = db.session.scalar(select(Course.title).where(Course.id == course_id))
            unmet.append(
                {
                    "code": "course_not_completed",
                    "course_id": course_id,
                    "message": f"未完成必修课程《{title}》/ Complete the course first",
                }
            )
    if plan.required_certificate_years is not None and not _holds_lower_level(user.id, plan):
        unmet.append(
            {
                "code": "lower_level_certificate",
                "skill_level": plan.required_certificate_level,
                "years": plan.required_certificate_years,
                "message": (
                    f"须持有本工种{plan.required_certificate_level}级证书满"
                    f"{plan.required_certificate_years:g}年 / Hold the lower-level certificate "
                    f"of this occupation for {plan.required_certificate_years:g} years"
                ),
            }
        )
    if plan.requires_apprenticeship and not apprenticeships.completed_for(
        user.id, plan.occupation_id, plan.skill_level
    ):
        unmet.append(
            {
                "code": "apprenticeship_not_completed",
                "message": "须完成本工种的学徒培养 / Complete an apprenticeship in this occupation",
            }
        )
    if _certified(user.id, plan):
        unmet.append(
            {
                "code": "already_certified",
                "message": "已持有本工种该等级证书 / You hold this level already",
            }
        )
    return Eligibility(plan.id, not unmet, unmet)


def _completed_courses(user_id: int, course_ids: list[int]) -> set[int]:
    if not course_ids:
        return set()
    return {
        int(found)
        for found in db.session.scalars(
            select(Statement.object_id).where(
                Statement.user_id == user_id,
                Statement.verb == "completed",
                Statement.object_type == "course",
                Statement.object_id.in_([str(c) for c in course_ids]),
            )
        )
    }


def _holds_lower_level(user_id: int, plan: EvaluationPlan) -> bool:
    """An approved certificate of the occupation at the level below (or above), held long
    enough: issued at least the plan's years before today."""
    assert plan.required_certificate_years is not None and plan.required_certificate_level
    since = local_day(utcnow()) - timedelta(days=round(365.25 * plan.required_certificate_years))
    for certificate in db.session.scalars(
        select(Certificate).where(
            Certificate.user_id == user_id,
            Certificate.status == CertificateStatus.APPROVED,
            Certificate.occupation_id == plan.occupation_id,
            Certificate.skill_level <= plan.required_certificate_level,
        )
    ):
        issued = certificate.issued_on or local_day(certificate.issued_at)
        if issued <= since:
            return True
    return False


def _certified(user_id: int, plan: EvaluationPlan) -> bool:
    return (
        db.session.scalar(
            select(Certificate.id)
            .where(
                Certificate.user_id == user_id,
                Certificate.status == CertificateStatus.APPROVED,
                Certificate.occupation_id == plan.occupation_id,
                Certificate.skill_level <= plan.skill_level,
            )
            .limit(1)
        )
        is not None
    )


def check(user: User, plan_id: int) -> Eligibility:
    return eligibility(user, _open_plan(user, plan_id))


def _open_plan(user: User, plan_id: int) -> EvaluationPlan:
    plan = get_plan(user, plan_id)
    if plan.status is not PlanStatus.PUBLISHED:
        raise Conflict("该方案不接受申报 / This plan takes no applications", code="plan_closed")
    return plan


def apply(user: User, plan_id: int) -> Application:
    """Apply under the plan's published version: refused (422, each unmet prerequisite
    named) unless eligible; a retry, or a second tap, returns the open application."""
    plan = _open_plan(user, plan_id)
    sessions.lock_starts(user)  # one application at a time per learner
    # one open application per occupation and level, whatever plan it is under: two plans
    # for the same level would otherwise make two certificates
    existing: Application | None = db.session.scalar(
        select(Application)
        .join(EvaluationPlan, EvaluationPlan.id == Application.plan_id)
        .where(
            Application.user_id == user.id,
            Application.status.in_(OPEN_APPLICATIONS),
            EvaluationPlan.occupation_id == plan.occupation_id,
            EvaluationPlan.skill_level == plan.skill_level,
        )
    )
    if existing is not None:
        if existing.plan.code == plan.code and existing.organisation_id == plan.organisation_id:
            return existing  # a retry, or a second tap
        raise Conflict(
            "已有同工种同等级的申报在进行 / An application for this occupation and level is "
            "under way",
            code="already_applying",
            details={"application_id": existing.id},
        )
    found = eligibility(user, plan)
    if not found.eligible:
        raise Invalid(
            "尚不符合申报条件 / Not eligible yet",
            code="not_eligible",
            details={"unmet": found.unmet},
        )
    application = Application(
        user_id=user.id, plan_id=plan.id, organisation_id=plan.organisation_id, plan=plan
    )
    db.session.add(application)
    db.session.flush()
    results.log(application, "applied", actor_id=user.id, detail={"version": plan.version})
    db.session.commit()
    return application


def mine(user: User) -> list[Application]:
    found = list(
        db.session.scalars(
            select(Application)
            .where(Application.user_id == user.id)
            .order_by(Application.applied_at.desc())
        )
    )
    for application in found:
        results.lapse_if_due(application)
    return found


def managed_query(
    admin: User, status: ApplicationStatus | None, plan_id: int | None
) -> Select[tuple[Application]]:
    require_evaluator(admin)
    query = (
        select(Application)
        .join(User, User.id == Application.user_id)
        .where(Application.organisation_id == admin.organisation_id, managed_users(admin))
    )
    if status is not None:
        query = query.where(Application.status == status)
    if plan_id is not None:
        query = query.where(Application.plan_id == plan_id)
    return query.order_by(Application.applied_at.desc(), Application.id.desc())


def history(user: User, application_id: int) -> list[Any]:
    application = get_application(user, application_id)
    events = db.session.scalars(
        select(ApplicationEvent)
        .where(ApplicationEvent.application_id == application.id)
        .order_by(ApplicationEvent.id)
    )
    return [results.event_as_read_by(user.id, application, event) for event in events]


def approve(admin: User, application_id: int, note: str | None) -> Application:
    """The sitting is approved (eligibility checked again: a certificate may have been
    revoked since); contest results waive what the plan says; then the components are sat
    within the plan's validity."""
    application = managed_application(admin, application_id)
    _require_pending(application)
    applicant = db.session.get_one(User, application.user_id)
    found = eligibility(applicant, application.plan)
    if not found.eligible:
        raise Conflict(
            "申报人已不符合条件 / The applicant is no longer eligible",
            code="not_eligible",
            details={"unmet": found.unmet},
        )
    now = utcnow()
    application.status = ApplicationStatus.APPROVED
    application.decided_at, application.decided_by_id = now, admin.id
    application.decision_note = note
    application.valid_until = now + timedelta(days=application.plan.validity_days)
    results.log(application, "approved", actor_id=admin.id, detail={"note": note})
    db.session.flush()
    components.waive_by_contests(application)
    components.pass_apprenticeships(application)
    results.settle(application, by=admin.id)
    db.session.commit()
    return application


def reject(admin: User, application_id: int, note: str) -> Application:
    application = managed_application(admin, application_id)
    _require_pending(application)
    application.status = ApplicationStatus.REJECTED
    application.decided_at, application.decided_by_id = utcnow(), admin.id
    application.decision_note = note
    application.closed_at = utcnow()
    results.log(application, "rejected", actor_id=admin.id, detail={"note": note})
    db.session.commit()
    return application


def withdraw(user: User, application_id: int) -> Application:
    """The learner withdraws, while nothing has been decided of any component."""
    application = get_application(user, application_id)
    if application.user_id != user.id:
        raise NotFound("申报不存在 / No such application", details={"id": application_id})
    application = results.hold(application)
    if application.status not in OPEN_APPLICATIONS or any(
        r.status is not ResultStatus.VOID for r in application.results
    ):
        raise Conflict(
            "已有考核结果的申报不能撤回 / An application with results cannot be withdrawn",
            code="not_withdrawable",
            details={"status": application.status.value},
        )
    application.status, application.closed_at = ApplicationStatus.WITHDRAWN, utcnow()
    results.log(application, "withdrawn", actor_id=user.id)
    db.session.commit()
    return application


def _require_pending(application: Application) -> None:
    if application.status is not ApplicationStatus.PENDING:
        raise Conflict(
            "该申报已处理 / Already decided",
            code="already_decided",
            details={"status": application.status.value},
        )
