"""How each part of a plan is sat under an approved application: the theory exam through the
application, performance reviews by admins, a completed apprenticeship, and contest results
that waive parts or grant the level (以赛促评)."""

from __future__ import annotations

from typing import Any

from catalog.accounts.models import User
from catalog.clock import utcnow
from catalog.database import db
from catalog.errors import Conflict, Invalid, NotFound
from catalog.evaluation import apprenticeships, results
from catalog.evaluation.access import get_application, managed_application
from catalog.evaluation.models import (
    Application,
    ComponentKind,
    ComponentResult,
    ResultStatus,
)
from catalog.quiz import contests, sessions
from catalog.quiz.models import QuizSession, SessionStatus


def waive_by_contests(application: Application) -> None:
    """Each contest the plan links, closed, where the applicant's rank falls in a band: the
    band's components are waived, or all of them when it grants the level."""
    waived: dict[str, dict[str, Any]] = {}
    for link in application.plan.contest_links:
        # a passed entry ranked in the band: a rank among entrants who all failed is no merit
        standing = contests.final_standing(link["template_id"], application.user_id)
        if standing is None or not standing.passed:
            continue
        rank = standing.rank
        if not link["rank_from"] <= rank <= link["rank_to"]:
            continue
        keys = (
            [c["key"] for c in application.plan.components]
            if link["grants_level"]
            else link["waives"]
        )
        for key in keys:
            waived.setdefault(key, {"contest": link["template_id"], "rank": rank})
    for key, detail in waived.items():
        component = application.plan.component(key)
        assert component is not None
        db.session.add(
            ComponentResult(
                application_id=application.id,
                component_key=key,
                kind=ComponentKind(component["kind"]),
                status=ResultStatus.WAIVED,
                source_type="contest",
                source_id=f"{detail['contest']}/{application.id}/{key}",
                detail=detail,
                decided_at=utcnow(),
            )
        )
        results.log(application, "component_waived", detail={"component": key, **detail}, key=key)
    db.session.flush()


def pass_apprenticeships(application: Application) -> None:
    """A completed apprenticeship in the occupation passes an apprenticeship component."""
    plan = application.plan
    for component in plan.components:
        if component["kind"] != ComponentKind.APPRENTICESHIP or results.latest(
            application, component["key"]
        ):
            continue
        done = apprenticeships.completed_for(
            application.user_id, plan.occupation_id, plan.skill_level
        )
        if done is not None:
            result = results.next_attempt(application, component["key"])
            result.source_type, result.source_id = "apprenticeship", f"{done.id}/{application.id}"
            results.decide(result, 100.0, detail={"apprenticeship": done.id})


def record_apprenticeship(admin: User, application_id: int, key: str) -> Application:
    """An apprenticeship completed after the approval now passes its component."""
    application = managed_application(admin, application_id)
    results.require_sitting(application)
    component = application.plan.component(key)
    if component is None or component["kind"] != ComponentKind.APPRENTICESHIP:
        raise Invalid(details={"json": {"component": ["不是学徒培养部分 / not apprenticeship"]}})
    pass_apprenticeships(application)
    if results.latest(application, key) is None:
        raise Conflict(
            "申报人尚未完成学徒培养 / The apprenticeship is not completed",
            code="apprenticeship_not_completed",
        )
    db.session.commit()
    return application


def start_theory(user: User, application_id: int, key: str) -> QuizSession:
    """The applicant's theory exam under the application: the attempt under way resumes; a
    failed one is re-sat while attempts and the validity last."""
    sessions.lock_starts(user)
    application = get_application(user, application_id)
    if application.user_id != user.id:
        raise NotFound("申报不存在 / No such application", details={"id": application_id})
    application = results.hold(application)
    component = application.plan.component(key)
    if component is None or component["kind"] != ComponentKind.THEORY:
        raise Invalid(details={"json": {"component": ["不是理论考试部分 / not a theory exam"]}})
    results.require_sitting(application)
    last = results.latest(application, key)
    if last is not None and last.status is ResultStatus.PENDING and last.source_id:
        running = db.session.get(QuizSession, last.source_id)
        if running is not None and running.status is SessionStatus.IN_PROGRESS:
            return running
    result = results.next_attempt(application, key)
    session = sessions.start(user, component["template_id"], admitted=True)
    result.source_type, result.source_id = "quiz_session", session.id
    results.log(
        application,
        "theory_started",
        actor_id=user.id,
        detail={"component": key, "attempt": result.attempt, "session": session.id},
        key=f"{key}:{result.attempt}",
    )
    db.session.commit()
    return session


def record_performance(
    admin: User,
    application_id: int,
    key: str,
    score: float,
    evidence: str,
    *,
    client_id: str | None = None,
) -> ComponentResult:
    """A performance review (业绩评审): the admin's score with the evidence it rests on. The
    same client id again is the same review (a double tap or a retry uses no second attempt);
    other scores under it are refused."""
    application = managed_application(admin, application_id)
    component = application.plan.component(key)
    if component is None or component["kind"] != ComponentKind.PERFORMANCE:
        raise Invalid(details={"json": {"component": ["不是业绩评审部分 / not a review"]}})
    if client_id is not None:
        for earlier in results.results_of(application, key):
            kept = earlier.detail or {}
            if kept.get("client_id") != client_id:
                continue
            if earlier.score != round(score, 2) or kept.get("evidence") != evidence:
                raise Conflict(
                    "这个评审编号已记录过另一次评审 / This client_id recorded another review",
                    code="client_id_reused",
                )
            return earlier
    result = results.next_attempt(application, key)
    result.source_type, result.source_id = "review", str(result.id)
    detail = {"evidence": evidence} | ({"client_id": client_id} if client_id else {})
    results.decide(result, score, by=admin.id, detail=detail)
    db.session.commit()
    return result
