"""Evaluation tasks: applications whose validity has ended lapse, hourly, whether or not
anybody opens them (reports count them as they are); an assessor's evidence is cleared of
its metadata, isolated, or refused and named in the history."""

from __future__ import annotations

from typing import Any

from huey import crontab

from catalog.background.isolation import run_job
from catalog.background.queue import Progress, TaskFailure, app_context, huey, tracked_task
from catalog.database import db
from catalog.evaluation import evidence, results
from catalog.evaluation.models import Application, Assessment, ComponentResult


@huey.periodic_task(crontab(minute="17"), name="lapse_overdue_applications")
def lapse_overdue_applications() -> int:
    with app_context():
        return results.lapse_overdue()


@huey.periodic_task(crontab(minute="47"), name="refuse_stranded_evidence")
def refuse_stranded_evidence() -> int:
    """Evidence whose clearing never ended (its worker lost, its task never queued) is refused
    after a while and named in the history, never left "checking" for ever."""
    with app_context():
        return refuse_stranded(older_than_seconds=evidence.CLEAR_SECONDS * 30)


def refuse_stranded(*, older_than_seconds: int) -> int:
    stranded = evidence.stranded(older_than_seconds=older_than_seconds)
    for assessment_id, key in stranded:
        _refuse(
            assessment_id,
            key,
            "证据处理中断，请重新拍摄 / Clearing the evidence stopped; take it again",
        )
    return len(stranded)


@tracked_task()
def clear_evidence(progress: Progress, assessment_id: str, keys: list[str]) -> dict[str, Any]:
    """A submission's photos and clips written again without their metadata
    (``evidence.clear``) in one child process, with a memory ceiling and one time limit for
    them all (a submission of hostile files holds one worker two minutes at most); what
    cannot be cleared is refused and named."""
    try:
        outcome = run_job(
            "catalog.evaluation.evidence:clear",
            (keys,),
            progress,
            timeout_seconds=evidence.CLEAR_SECONDS,
        )
    except TaskFailure as failure:
        for key in keys:
            if evidence.waiting(key):  # what the child did not finish
                _refuse(assessment_id, key, str(failure))
        raise
    for key, reason in outcome["refused"].items():
        _refuse(assessment_id, key, reason)
    assessment = db.session.get(Assessment, assessment_id)
    kept = set(assessment.evidence_keys or []) if assessment is not None else set()
    for key in outcome["cleared"]:
        if key not in kept:  # its worker's account was deleted while it was being cleared
            evidence.forget(key, cleared_too=True)
    return outcome


def _refuse(assessment_id: str, key: str, reason: str) -> None:
    evidence.forget(key)
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        return
    result = db.session.get_one(ComponentResult, assessment.result_id)
    application = results.hold(db.session.get_one(Application, result.application_id))
    results.log(
        application,
        "evidence_refused",
        detail={
            "component": result.component_key,
            "attempt": result.attempt,
            "key": key,
            "reason": reason,
        },
        key=f"{result.component_key}:{result.attempt}:{results.step_number(application)}",
    )
    db.session.commit()
