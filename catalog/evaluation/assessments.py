"""Practical assessment (实操考核) in the workshop: admins assign assessors (考评员, see
``assessors``) to a candidate's attempt; on a phone or tablet the assessor scores
the checklist item by item, offline if need be, attaches photos or a short video uploaded
straight to storage, and submits once (a retry with the same client id is the same
submission). An attempt that cannot finish is voided by an admin.

Two assessors are reconciled by one stated rule: when their totals differ by no more than the
component's ``max_gap`` points, the score is their mean and a critical item fails if either
failed it; further apart, the attempt is disputed and an admin assigns a third assessor, whose
score settles it: the median of the three totals, a critical item failing when two of the
three failed it."""

from __future__ import annotations

import secrets
import statistics
from typing import Any

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError

from catalog.accounts.models import User
from catalog.clock import utcnow
from catalog.database import db
from catalog.errors import (
    Conflict,
    Invalid,
    NotFound,
    UnsupportedMediaType,
)
from catalog.evaluation import evidence, results, tasks
from catalog.evaluation.access import get_application, managed_application
from catalog.evaluation.assessors import CONFLICT_MESSAGES, refusal
from catalog.evaluation.models import (
    UNDECIDED,
    UNDER_WAY,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Assessment,
    ComponentKind,
    ComponentResult,
    ResultStatus,
)
from catalog.reference.services import occupation_code
from catalog.uploads import UploadTicket, plan_image
from ingest.interfaces import ObjectNotFound

# -- assessors -------------------------------------------------------------------------------


def assign(
    admin: User,
    application_id: int,
    key: str,
    assessor_ids: list[int],
    *,
    replacing: list[int] | None = None,
    client_id: str | None = None,
) -> ComponentResult:
    """Assessors for a practical attempt: as many as the plan asks for a new attempt, one
    more (a third) for a disputed one; each bound to the occupation and free of conflict.
    ``replacing``: the assessors of the attempt under way, not yet submitted (gone, unbound,
    in conflict, not scoring), whose places the named ones take — one for one, the scores
    submitted kept: an attempt one assessor has scored is never stuck, and never voided.
    Saying whom it replaces makes a replacement safe to send again (the same request once
    done changes nothing) and refused when the attempt changed since it was read (another
    admin replaced them first)."""
    application = managed_application(admin, application_id)
    component = application.plan.component(key)
    if component is None or component["kind"] != ComponentKind.PRACTICAL:
        raise Invalid(details={"json": {"component": ["不是实操考核部分 / not practical"]}})
    last = results.latest(application, key)
    leaving: list[Assessment] = []
    if replacing is not None:
        done = _replacement(application, key, client_id, replacing, assessor_ids)
        if done is not None:
            return done  # the same replacement sent again (a lost reply), whatever since
        results.require_sitting(application)
        if last is None or last.status not in UNDER_WAY:
            raise Conflict(
                "没有进行中的实操考核 / No practical attempt under way",
                code="nothing_to_replace",
            )
        leaving = _leaving(last, replacing)
        result, wanted = last, len(leaving)
    elif last is not None and last.status is ResultStatus.DISPUTED:
        result, wanted = last, 1
        results.require_sitting(application)
    else:
        result, wanted = results.next_attempt(application, key), component["assessors"]
    taken = {a.assessor_id for a in _assessments_of(result)}
    if replacing is None and len(taken) > component["assessors"]:
        raise Conflict(
            "已指定第三名考评员 / A third assessor is already assessing it",
            code="third_assigned",
        )
    if len(set(assessor_ids)) != len(assessor_ids) or len(assessor_ids) != wanted:
        raise Invalid(
            details={"json": {"assessor_ids": [f"须指定 {wanted} 名考评员 / name {wanted}"]}}
        )
    problems: dict[str, list[str]] = {}
    for assessor_id in assessor_ids:
        assessor = db.session.get(User, assessor_id)
        reason = "taken" if assessor_id in taken else None  # the leaving too: not re-named
        reason = reason or ("not_bound" if assessor is None else refusal(assessor, application))
        if reason is not None:
            problems[str(assessor_id)] = [
                CONFLICT_MESSAGES.get(reason, "已是本次考核的考评员 / Already assessing it")
            ]
    if problems:
        raise Invalid(
            "考评员不符合要求 / These assessors cannot assess this candidate",
            code="assessor_refused",
            details={"assessor_ids": problems},
        )
    for gone in leaving:  # never scored: nothing of theirs counts
        db.session.delete(gone)
    for assessor_id in assessor_ids:
        db.session.add(
            Assessment(result_id=result.id, assessor_id=assessor_id, assigned_by_id=admin.id)
        )
    result.source_type, result.source_id = "assessment", str(result.id)
    detail: dict[str, Any] = {
        "component": key,
        "attempt": result.attempt,
        "assessors": len(assessor_ids),
    }
    if leaving:  # who replaced whom: for the admins, and to know the request again
        detail |= {
            "replaced": len(leaving),
            "replaced_ids": sorted(a.assessor_id for a in leaving),
            "by_ids": sorted(assessor_ids),
            "client_id": client_id,
        }
    results.log(
        application,
        "assessors_replaced" if leaving else "assessors_assigned",
        actor_id=admin.id,
        detail=detail,
        key=f"{key}:{result.attempt}:{results.step_number(application)}",
    )
    db.session.commit()
    return result


def _replacement(
    application: Application,
    key: str,
    client_id: str | None,
    replacing: list[int],
    named: list[int],
) -> ComponentResult | None:
    """The attempt on which the replacement with this client id was made, if it was; the
    same id with another replacement is refused. A client id names one replacement, whatever
    the application."""
    if client_id is None:
        return None
    step = db.session.scalar(
        select(ApplicationEvent).where(
            ApplicationEvent.kind == "assessors_replaced",
            ApplicationEvent.detail["client_id"].as_string() == client_id,
        )
    )
    if step is None:
        return None
    detail = step.detail or {}
    if (
        step.application_id != application.id
        or detail.get("component") != key
        or detail.get("replaced_ids") != sorted(replacing)
        or detail.get("by_ids") != sorted(named)
    ):
        raise Conflict(
            "这个 client_id 已用于另一次更换 / This client_id made another replacement",
            code="client_id_reused",
        )
    return next(r for r in results.results_of(application, key) if r.attempt == detail["attempt"])


def _leaving(result: ComponentResult, replacing: list[int]) -> list[Assessment]:
    """The assessments the replacement ends: each named one still on the attempt, not yet
    submitted; otherwise the attempt changed since the admin read it."""
    unsubmitted = {a.assessor_id: a for a in _assessments_of(result) if a.submitted_at is None}
    if not unsubmitted:
        raise Conflict(
            "没有待更换的考评员 / No assessor of an attempt under way is left to replace",
            code="nothing_to_replace",
        )
    if not set(replacing) <= unsubmitted.keys():
        raise Conflict(
            "考评员已变更，请刷新后再更换 / The assessors have changed since: read them again",
            code="assessors_changed",
            details={"unsubmitted": sorted(unsubmitted)},
        )
    return [unsubmitted[assessor_id] for assessor_id in replacing]


def void_attempt(admin: User, application_id: int, key: str, reason: str) -> ComponentResult:
    """An admin voids a practical attempt that cannot finish (an assessor unbound, moved into
    the candidate's team, gone) before anyone has scored it: it does not count as an attempt,
    its assessors' tasks go, and new assessors can be assigned. A scored attempt is never
    voided (that would let an admin wipe a score they dislike): assessors who disagree are
    settled by a third."""
    application = managed_application(admin, application_id)
    last = results.latest(application, key)
    if (
        last is None
        or last.kind is not ComponentKind.PRACTICAL
        or last.status
        not in (
            ResultStatus.PENDING,
            ResultStatus.DISPUTED,
        )
    ):
        raise Conflict(
            "没有进行中的实操考核 / No practical attempt under way", code="nothing_to_void"
        )
    if any(a.submitted_at is not None for a in _assessments_of(last)):
        raise Conflict(
            "已有考评员提交评分，不能作废；意见不一致时由第三名考评员裁定 / An assessor has "
            "scored this attempt: it is not voided",
            code="already_scored",
        )
    last.status, last.decided_at, last.recorded_by_id = ResultStatus.VOID, utcnow(), admin.id
    last.detail = {**(last.detail or {}), "void_reason": reason}
    results.log(
        application,
        "attempt_voided",
        actor_id=admin.id,
        detail={"component": key, "attempt": last.attempt, "reason": reason},
        key=f"{key}:{last.attempt}",
    )
    db.session.commit()
    return last


def _assessments_of(result: ComponentResult) -> list[Assessment]:
    return list(
        db.session.scalars(
            select(Assessment)
            .where(Assessment.result_id == result.id)
            .order_by(Assessment.assigned_at)
        )
    )


# -- the assessor's side ----------------------------------------------------------------------


def assigned_to(assessor: User) -> list[tuple[Assessment, ComponentResult, Application]]:
    """What the assessor still has to score, with each candidate's checklist: what a tablet
    takes into the workshop."""
    rows = db.session.execute(
        select(Assessment, ComponentResult, Application)
        .join(ComponentResult, ComponentResult.id == Assessment.result_id)
        .join(Application, Application.id == ComponentResult.application_id)
        .where(
            Assessment.assessor_id == assessor.id,
            Assessment.submitted_at.is_(None),
            ComponentResult.status.in_(UNDER_WAY),
            Application.status == ApplicationStatus.APPROVED,
        )
        .order_by(Assessment.assigned_at)
    ).all()
    # one who may no longer assess the candidate (applying in the occupation now, unbound,
    # moved into their team) no longer holds the checklist either
    return [(a, r, app) for a, r, app in rows if refusal(assessor, app) is None]


def assignments(assessor: User) -> list[dict[str, Any]]:
    found = []
    for assessment, result, application in assigned_to(assessor):
        candidate = db.session.get_one(User, application.user_id)
        plan = application.plan
        found.append(
            {
                "id": assessment.id,
                "application_id": application.id,
                "candidate": candidate.display_name,
                "employee_no": candidate.employee_no,
                "plan_title": plan.title,
                "occupation": occupation_code(plan.occupation_id),
                "skill_level": plan.skill_level,
                "component": plan.component(result.component_key),
                "attempt": result.attempt,
                "assigned_at": assessment.assigned_at,
            }
        )
    return found


def described(assessment: Assessment, *, cleared_only: bool = False) -> dict[str, Any]:
    """An assessment as admins and its assessor read it: the evidence with its state and,
    once cleared, download URLs (``cleared_only``: the rest is not listed)."""
    result = db.session.get_one(ComponentResult, assessment.result_id)
    return {
        "id": assessment.id,
        "assessor_id": assessment.assessor_id,
        "component_key": result.component_key,
        "attempt": result.attempt,
        "assigned_at": assessment.assigned_at,
        "scores": assessment.scores,
        "total": assessment.total,
        "critical_failed": assessment.critical_failed,
        "evidence": evidence.shown(assessment.evidence_keys or [], cleared_only=cleared_only),
        "scored_at": assessment.scored_at,
        "submitted_at": assessment.submitted_at,
    }


def _mine(assessor: User, assessment_id: str) -> tuple[Assessment, ComponentResult, Application]:
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None or assessment.assessor_id != assessor.id:
        raise NotFound("考核任务不存在 / No such assessment", details={"id": assessment_id})
    result = db.session.get_one(ComponentResult, assessment.result_id)
    return assessment, result, db.session.get_one(Application, result.application_id)


def plan_evidence_upload(
    assessor: User, assessment_id: str, content_type: str, size: int
) -> UploadTicket:
    """Where the assessor's device PUTs one photo or clip (straight to storage): only for an
    attempt still to be scored by them (nothing is stored for a voided or lapsed one)."""
    assessment, result, application = _mine(assessor, assessment_id)
    results.lapse_if_due(application)
    if (
        assessment.submitted_at is not None
        or result.status not in UNDER_WAY
        or application.status is not ApplicationStatus.APPROVED
    ):
        raise Conflict("该考核已结束 / This assessment is closed", code="decided")
    require_allowed(assessor, application)  # nothing stored by one who may not submit it
    video = content_type in evidence.VIDEO_TYPES
    return plan_image(
        f"{_evidence_prefix(assessment)}{secrets.token_hex(8)}",
        content_type,
        size,
        allowed=evidence.IMAGE_TYPES | evidence.VIDEO_TYPES,
        max_bytes=evidence.VIDEO_MAX_BYTES if video else evidence.IMAGE_MAX_BYTES,
        what="考核照片或视频",
    )


def require_allowed(assessor: User, application: Application) -> None:
    """The assessor may still assess this candidate (bound, free of conflict, not applying
    in the occupation): what their tablet lists, uploads and submits all ask this."""
    reason = refusal(assessor, application)
    if reason is not None:
        raise Conflict(
            CONFLICT_MESSAGES[reason], code="assessor_refused", details={"reason": reason}
        )


def _evidence_prefix(assessment: Assessment) -> str:
    return f"{evidence.PREFIX}{assessment.id}/evidence-"


def submit(assessor: User, assessment_id: str, data: dict[str, Any]) -> Assessment:
    """The assessor's scoring, once: the same client id again is the same submission (a
    phone's retry); other scores under it, or a second submission, are refused."""
    assessment, result, application = _mine(assessor, assessment_id)
    application = results.hold(application)  # one submission of the attempt at a time
    if assessment.submitted_at is not None:
        component = application.plan.component(result.component_key)
        if assessment.client_id == data["client_id"] and _same(assessment, component, data):
            return assessment
        raise Conflict(
            "该考核已提交 / This assessment has been submitted",
            code="already_submitted"
            if assessment.client_id != data["client_id"]
            else "client_id_reused",
        )
    now = utcnow()
    scored_at = min(max(data["scored_at"], assessment.assigned_at), now)  # bounded by ours
    results.require_sitting(application, at=scored_at)  # scored offline in time: accepted
    if result.status not in UNDER_WAY:
        raise Conflict("该次考核已结束 / This attempt is decided", code="decided")
    require_allowed(assessor, application)
    component = application.plan.component(result.component_key)
    assert component is not None
    scores, total, critical_failed = _checked_scores(component["checklist"], data["items"])
    waiting = _accepted_evidence(assessment, data["evidence_keys"])
    if db.session.scalar(select(Assessment.id).where(Assessment.client_id == data["client_id"])):
        raise Conflict("client_id 已被使用 / client_id already used", code="client_id_reused")
    taken: CursorResult[Any] = db.session.execute(  # type: ignore[assignment]
        update(Assessment)
        .where(Assessment.id == assessment.id, Assessment.submitted_at.is_(None))
        .values(
            scores=scores,
            total=total,
            critical_failed=critical_failed,
            evidence_keys=list(dict.fromkeys(data["evidence_keys"])),
            client_id=data["client_id"],
            scored_at=scored_at,
            submitted_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if not taken.rowcount:  # a concurrent retry got there first
        db.session.rollback()
        return submit(assessor, assessment_id, data)
    db.session.refresh(assessment)
    results.log(
        application,
        "assessed",
        actor_id=assessor.id,
        detail={"component": result.component_key, "attempt": result.attempt},
        key=f"{result.component_key}:{result.attempt}:{results.step_number(application)}",
    )
    reconcile(application, result)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(
            "client_id 已被使用 / client_id already used", code="client_id_reused"
        ) from None
    if waiting:  # cleared in the background, isolated: never in this request
        tasks.clear_evidence.enqueue(assessment.id, waiting, created_by_id=assessor.id)
    return assessment


def _same(assessment: Assessment, component: dict[str, Any] | None, data: dict[str, Any]) -> bool:
    """Whether a submission sent again says what was kept, read as it was kept (a passed on
    an item that is not critical is not kept; a key sent twice is kept once)."""
    assert component is not None
    try:
        sent, _, _ = _checked_scores(component["checklist"], data["items"])
    except Invalid:
        return False
    return sent == (assessment.scores or []) and list(dict.fromkeys(data["evidence_keys"])) == (
        assessment.evidence_keys or []
    )


def _checked_scores(
    checklist: list[dict[str, Any]], items: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], float, list[str]]:
    """Every checklist item scored once, within its points; each critical item passed or not."""
    by_key = {item["key"]: item for item in checklist}
    problems: dict[str, list[str]] = {}
    sent: dict[str, dict[str, Any]] = {}
    for item in items:
        key = item["key"]
        standard = by_key.get(key)
        if standard is None:
            problems[key] = ["评分表没有此项 / not on the checklist"]
        elif key in sent:
            problems[key] = ["重复评分 / scored twice"]
        elif not 0 <= item["points"] <= standard["points"]:
            problems[key] = [f"得分须在 0–{standard['points']:g} 之间 / out of range"]
        elif standard["critical"] and item.get("passed") is None:
            problems[key] = ["否决项须判定是否通过 / a critical item is passed or failed"]
        sent[key] = item
    for key in by_key.keys() - sent.keys():
        problems[key] = ["未评分 / not scored"]
    if problems:
        raise Invalid(
            "评分表不完整或有误 / The checklist is incomplete or wrong",
            details={"items": problems},
        )
    scores = [
        {
            "key": key,
            "points": sent[key]["points"],
            "passed": sent[key].get("passed") if by_key[key]["critical"] else None,
            "note": sent[key].get("note") or "",
        }
        for key in by_key
    ]
    critical = [s["key"] for s in scores if s["passed"] is False]
    return scores, float(results.total_of(s["points"] for s in scores)), critical


def _accepted_evidence(assessment: Assessment, keys: list[str]) -> list[str]:
    """Each photo or clip is the assessor's own upload for this assessment, checked by its
    bytes and held in quarantine until a task clears it (see ``evidence``); those waiting."""
    prefix = _evidence_prefix(assessment)
    waiting = []
    for key in dict.fromkeys(keys):
        if not key.startswith(prefix) or "/" in key[len(prefix) :]:
            raise Invalid(details={"json": {"evidence_keys": [f"not issued to you: {key}"]}})
        try:
            if evidence.receive(key):
                waiting.append(key)
        except ObjectNotFound:
            raise Invalid(
                details={"json": {"evidence_keys": [f"尚未上传 / not uploaded: {key}"]}}
            ) from None
        except UnsupportedMediaType as refused:  # named, so a device can send the rest
            raise UnsupportedMediaType(
                refused.message, details={**refused.details, "key": key}
            ) from None
    return waiting


def reconcile(application: Application, result: ComponentResult) -> None:
    """Decide the attempt once enough assessors have submitted, by the rule above."""
    component = application.plan.component(result.component_key)
    assert component is not None
    done = [a for a in _assessments_of(result) if a.submitted_at is not None]
    required = component["assessors"]
    max_points = results.total_of(item["points"] for item in component["checklist"])
    if len(done) < required or (result.status is ResultStatus.DISPUTED and len(done) <= required):
        return
    totals = [a.total or 0.0 for a in done]
    exactly = [results.exact(t) for t in totals]
    failed = [set(a.critical_failed or []) for a in done]
    if len(done) == 1:
        total, critical = exactly[0], failed[0]
    elif len(done) == 2:
        if abs(exactly[0] - exactly[1]) > results.exact(component["max_gap"]):
            result.status = ResultStatus.DISPUTED
            results.log(
                application,
                "disputed",
                detail={"component": result.component_key, "totals": totals},
                key=f"{result.component_key}:{result.attempt}",
            )
            return
        total, critical = statistics.mean(exactly), failed[0] | failed[1]
    else:
        total = statistics.median(exactly)
        critical = {key for key in set().union(*failed) if sum(key in f for f in failed) >= 2}
    results.decide(
        result,
        results.percent(total, max_points),
        passed=False if critical else None,  # else by the pass mark, on the score kept
        # by size, not by who scored first: the candidate reads them
        detail={"totals": sorted(totals, reverse=True), "critical_failed": sorted(critical)},
    )


def assessments_for(user: User, application_id: int) -> list[dict[str, Any]]:
    """An application's assessments, for those who may see the application. The candidate
    sees an attempt's scorings item by item once it is decided, and never who scored what
    (nor who is assigned before): nobody is pressed while scoring or after."""
    application = get_application(user, application_id)
    rows = db.session.execute(
        select(Assessment, ComponentResult.status)
        .join(ComponentResult, ComponentResult.id == Assessment.result_id)
        .where(ComponentResult.application_id == application.id)
        .order_by(Assessment.assigned_at)
    ).all()
    if user.id != application.user_id:
        return [described(assessment) for assessment, _ in rows]
    shown = [
        described(assessment, cleared_only=True) | UNSIGNED
        for assessment, status in rows
        if status not in UNDECIDED and assessment.submitted_at is not None
    ]
    # nothing that ties a scoring to its assessor: no id, no time, no order but the scores'
    return sorted(shown, key=lambda s: (s["component_key"], s["attempt"], -(s["total"] or 0)))


UNSIGNED = dict.fromkeys(("id", "assessor_id", "assigned_at", "scored_at", "submitted_at"))
