"""Component results and what they decide: each attempt passes or fails against the plan's
pass mark; when every component has passed (or was waived) the level certificate is issued,
once, with its credits; a failed component is re-sat while attempts and the plan's validity
last; an application whose validity ends lapses. Every step goes into the application's
history and the learner's own."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import CursorResult, func, select, update

from catalog.accounts.models import Organisation
from catalog.clock import local_day, utcnow
from catalog.credits.certificates import new_verification_code
from catalog.credits.models import Certificate, CertificateKind, CertificateSource
from catalog.credits.rules import credit_certificate
from catalog.database import db, lock_row
from catalog.errors import Conflict
from catalog.evaluation.models import (
    UNDER_WAY,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Assessment,
    ComponentKind,
    ComponentResult,
    ResultStatus,
)
from catalog.learning import statements
from catalog.quiz.models import QuizSession
from catalog.runtime import runtime

DONE = (ResultStatus.PASSED, ResultStatus.WAIVED)


def log(
    application: Application,
    kind: str,
    *,
    actor_id: int | None = None,
    detail: dict[str, Any] | None = None,
    key: str | None = None,
) -> None:
    """One step, in the application's history and in the learner's (a statement, once, as
    the candidate may read it). ``key`` tells repeatable steps apart; it never names an
    assessor (the learner's statement ids are theirs to read)."""
    db.session.add(
        ApplicationEvent(application_id=application.id, kind=kind, actor_id=actor_id, detail=detail)
    )
    statements.record(
        application.user_id,
        kind,
        "evaluation_application",
        application.id,
        result={"plan": application.plan.title, **(as_the_candidate_reads(kind, detail) or {})},
        key=key,
    )


def step_number(application: Application) -> int:
    """The number the next step of the application's history takes (under its hold): what
    tells apart repeatable steps, naming nobody."""
    return 1 + (
        db.session.scalar(
            select(func.count(ApplicationEvent.id)).where(
                ApplicationEvent.application_id == application.id
            )
        )
        or 0
    )


# An assessor's own step is unsigned for the candidate, and a dispute does not show the
# assessors' totals: the candidate sees each scoring of a decided attempt, never who gave it
# (nobody is pressed while scoring or after).
UNSIGNED_FOR_THE_CANDIDATE = frozenset({"assessed"})
HIDDEN_FROM_THE_CANDIDATE = {
    "disputed": frozenset({"totals"}),
    "assessors_replaced": frozenset({"replaced_ids", "by_ids", "client_id"}),
    "evidence_refused": frozenset({"key", "reason"}),
}


def as_the_candidate_reads(kind: str, detail: dict[str, Any] | None) -> dict[str, Any] | None:
    hidden = HIDDEN_FROM_THE_CANDIDATE.get(kind)
    if detail is None or hidden is None:
        return detail
    return {name: value for name, value in detail.items() if name not in hidden}


def event_as_read_by(user_id: int, application: Application, event: ApplicationEvent) -> Any:
    """A step of the history as this reader may see it: the candidate reads it without who
    scored and without an undecided attempt's totals; those who manage it read it whole."""
    if user_id != application.user_id:
        return event
    return {
        "id": event.id,
        "kind": event.kind,
        "actor_id": None if event.kind in UNSIGNED_FOR_THE_CANDIDATE else event.actor_id,
        "detail": as_the_candidate_reads(event.kind, event.detail),
        "created_at": event.created_at,
    }


def hold(application: Application) -> Application:
    """Serialise every write on one application — decisions, withdrawal, attempts, scoring —
    until the commit; returns it as the last writer left it."""
    lock_row(Application, application.id)
    return db.session.get_one(Application, application.id)


def results_of(application: Application, key: str) -> list[ComponentResult]:
    return list(
        db.session.scalars(
            select(ComponentResult)
            .where(
                ComponentResult.application_id == application.id,
                ComponentResult.component_key == key,
            )
            .order_by(ComponentResult.attempt)
        )
    )


def latest(application: Application, key: str) -> ComponentResult | None:
    found = results_of(application, key)
    return found[-1] if found else None


def next_attempt(application: Application, key: str) -> ComponentResult:
    """A new pending attempt at a component, or the 409 that says why there is none: the
    component passed already, an attempt is under way, no attempt is left, or the
    application is not being sat (or its validity has ended)."""
    require_sitting(application)
    component = application.plan.component(key)
    if component is None:
        raise Conflict("方案没有这一部分 / The plan has no such component", code="no_component")
    found = results_of(application, key)
    if found and found[-1].status in DONE:
        raise Conflict("该部分已通过 / This component has passed", code="already_passed")
    if found and found[-1].status in UNDER_WAY:
        raise Conflict(
            "该部分正在考核 / This component is being assessed",
            code="in_progress",
            details={"attempt": found[-1].attempt},
        )
    if attempts_used(found) >= component["attempts_allowed"]:
        raise Conflict(
            "该部分的补考次数已用完 / No attempts left at this component",
            code="no_attempts_left",
            details={"attempts_allowed": component["attempts_allowed"]},
        )
    result = ComponentResult(
        application_id=application.id,
        component_key=key,
        kind=ComponentKind(component["kind"]),
        attempt=len(found) + 1,
    )
    db.session.add(result)
    db.session.flush()
    return result


def attempts_used(found: list[ComponentResult]) -> int:
    """Attempts that count: an attempt an admin voided (its assessor could not go on) does
    not."""
    return sum(1 for result in found if result.status is not ResultStatus.VOID)


def require_sitting(application: Application, at: datetime | None = None) -> None:
    """The application is approved, and what happens ``at`` (now, or when an assessor scored
    offline) is within its validity. Nothing new starts after the validity; a scoring made
    before it is accepted for the sync grace after, when the application lapses."""
    lapse_if_due(application)
    if application.status is not ApplicationStatus.APPROVED:
        raise Conflict(
            "申报不在考核阶段 / The application is not being assessed",
            code="not_sitting",
            details={"status": application.status.value},
        )
    until = application.valid_until
    if until is not None and (at or utcnow()) > until:
        raise Conflict(
            "申报有效期已过 / The application's validity has ended",
            code="validity_ended",
            details={"valid_until": until.isoformat()},
        )


def _lapses_at(application: Application) -> datetime | None:
    if application.valid_until is None:
        return None
    return application.valid_until + _sync_grace()


def _sync_grace() -> timedelta:
    return timedelta(hours=runtime().settings.evaluation_sync_grace_hours)


def lapse_if_due(application: Application) -> None:
    """An approved application lapses once its validity and the sync grace after it have
    ended: nothing more is sat under it, and an attempt still undecided is void — named in
    the history with the scorings it held, never dropped in silence."""
    lapses_at = _lapses_at(application)
    if (
        application.status is ApplicationStatus.APPROVED
        and lapses_at is not None
        and utcnow() > lapses_at
        and close(application, ApplicationStatus.LAPSED)
    ):
        voided = [
            {
                "component": result.component_key,
                "attempt": result.attempt,
                "scored": db.session.scalar(
                    select(func.count(Assessment.id)).where(
                        Assessment.result_id == result.id, Assessment.submitted_at.is_not(None)
                    )
                ),
            }
            for result in void_under_way(application)
        ]
        log(application, "lapsed", detail={"voided": voided} if voided else None)
        db.session.commit()


def void_under_way(application: Application) -> list[ComponentResult]:
    """The application's attempts still to be decided, voided (it closed before they were):
    they count as no attempt."""
    voided = [r for r in application.results if r.status in UNDER_WAY]
    for result in voided:
        result.status, result.decided_at = ResultStatus.VOID, utcnow()
    return voided


def lapse_overdue() -> int:
    """Lapse every approved application whose validity and sync grace have ended; how many."""
    overdue = list(
        db.session.scalars(
            select(Application).where(
                Application.status == ApplicationStatus.APPROVED,
                Application.valid_until < utcnow() - _sync_grace(),
            )
        )
    )
    for application in overdue:
        lapse_if_due(application)
    return len(overdue)


def close(application: Application, status: ApplicationStatus) -> bool:
    """Move an approved application on, if nobody else has: one conditional UPDATE, so two
    assessors submitting at once issue one certificate."""
    now = utcnow()
    taken: CursorResult[Any] = db.session.execute(  # type: ignore[assignment]
        update(Application)
        .where(Application.id == application.id, Application.status == ApplicationStatus.APPROVED)
        .values(status=status, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if not taken.rowcount:
        return False
    db.session.refresh(application)
    return True


def decide(
    result: ComponentResult,
    score: Decimal | float,
    *,
    passed: bool | None = None,
    by: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record an attempt's score (percent, as kept) and whether it passed (by the component's
    pass mark, unless a critical item decided), then what follows for the application."""
    application = db.session.get_one(Application, result.application_id)
    component = application.plan.component(result.component_key)
    assert component is not None
    score = kept(score)  # what is shown is what is judged
    result.score = float(score)
    if passed is None:
        passed = score >= exact(component["pass_mark"])
    result.status = ResultStatus.PASSED if passed else ResultStatus.FAILED
    result.decided_at, result.recorded_by_id = utcnow(), by
    result.detail = {**(result.detail or {}), **(detail or {})}
    log(
        application,
        "component_passed" if passed else "component_failed",
        actor_id=by,
        detail={
            "component": result.component_key,
            "attempt": result.attempt,
            "score": result.score,
        },
        key=f"{result.component_key}:{result.attempt}",
    )
    db.session.flush()
    settle(application)


def settle(application: Application, *, by: int | None = None) -> Certificate | None:
    """After a result: the certificate when every component is done; the application fails
    when a component failed with no attempt left. The caller commits."""
    if application.status is not ApplicationStatus.APPROVED:
        return None
    db.session.expire(application, ["results"])
    outcomes = {c["key"]: latest(application, c["key"]) for c in application.plan.components}
    if all(r is not None and r.status in DONE for r in outcomes.values()):
        return _certify(application, outcomes, by=by)
    for component in application.plan.components:
        result = outcomes[component["key"]]
        if (
            result is not None
            and result.status is ResultStatus.FAILED
            and attempts_used(results_of(application, component["key"]))
            >= component["attempts_allowed"]
            and close(application, ApplicationStatus.FAILED)
        ):
            log(application, "failed", detail={"component": component["key"]})
            break
    return None


def weighted_total(application: Application, outcomes: dict[str, ComponentResult | None]) -> float:
    """The weighted score of the components sat (a waived one counts at its pass mark)."""
    total = Decimal(0)
    for component in application.plan.components:
        result = outcomes[component["key"]]
        score = result.score if result is not None and result.score is not None else None
        total += exact(component["weight"]) * exact(
            component["pass_mark"] if score is None else score
        )
    return float(kept(total / 100))


# Scores are reckoned exactly in decimal and kept to two places, rounded half up (四舍五入):
# the same true score passes or fails whatever the points it is counted out of.
CENT = Decimal("0.01")


def exact(value: Decimal | float | int) -> Decimal:
    """A number as it was written (points and marks have at most two decimals)."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def kept(value: Decimal | float | int) -> Decimal:
    return exact(value).quantize(CENT, rounding=ROUND_HALF_UP)


def percent(part: Decimal | float | int, whole: Decimal | float | int) -> Decimal:
    return kept(exact(part) * 100 / exact(whole)) if whole else Decimal(0)


def total_of(points: Iterable[Decimal | float | int]) -> Decimal:
    return sum((exact(p) for p in points), Decimal(0))


def _certify(
    application: Application, outcomes: dict[str, ComponentResult | None], *, by: int | None
) -> Certificate | None:
    if not close(application, ApplicationStatus.CERTIFIED):
        return None
    plan = application.plan
    organisation = db.session.get_one(Organisation, plan.organisation_id)
    today = local_day(utcnow())
    certificate = Certificate(
        user_id=application.user_id,
        kind=CertificateKind.SKILL,
        source=CertificateSource.EVALUATION,
        occupation_id=plan.occupation_id,
        skill_level=plan.skill_level,
        score=weighted_total(application, outcomes),
        number=f"{organisation.code}-{plan.skill_level}-{today.year}-{application.id:06d}".upper(),
        issuer=organisation.name,
        issued_on=today,
        expires_on=_years_after(today, plan.certificate_years),
        verification_code=new_verification_code(),
    )
    db.session.add(certificate)
    db.session.flush()
    application.certificate_id = certificate.id
    application.total_score = certificate.score
    credit_certificate(certificate)
    log(
        application,
        "certified",
        actor_id=by,
        detail={"certificate": certificate.number, "score": certificate.score},
    )
    return certificate


def _years_after(day: date, years: int | None) -> date | None:
    if years is None:
        return None
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def record_session(session: QuizSession) -> None:
    """A graded theory exam sat under an application: its attempt passes or fails by the
    plan's pass mark for the component (a session that belongs to none changes nothing)."""
    result = db.session.scalar(
        select(ComponentResult).where(
            ComponentResult.source_type == "quiz_session", ComponentResult.source_id == session.id
        )
    )
    if result is None or result.status is not ResultStatus.PENDING or session.passed is None:
        return
    decide(
        result, percent(session.score or 0, session.max_score or 0), detail={"session": session.id}
    )
