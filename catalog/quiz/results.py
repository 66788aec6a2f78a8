"""A session's result: every answer graded, the total, the pass, and what a final grade sets
off (the passed or failed statement, a course's completion, a level exam's certificate); and
the work that follows in the background (review cards, item statistics). Nothing here starts a
task: ``submission`` queues the follow-up, ``tasks`` runs it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import CursorResult, bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value

from catalog.accounts.models import Organisation
from catalog.clock import utcnow
from catalog.credits import certificates
from catalog.database import db
from catalog.evaluation import results as evaluation_results
from catalog.learning import completion, statements
from catalog.quiz import review, statistics
from catalog.quiz.grading import ChoicePolicy, grade
from catalog.quiz.models import QuizSession, SessionItem, SessionStatus
from catalog.quiz.view_models import Frozen, to_original, versions_of
from catalog.runtime import runtime


def grace() -> timedelta:
    """How long after a deadline an answer still counts (the network's delay)."""
    return timedelta(seconds=runtime().settings.quiz_deadline_grace_seconds)


def is_overdue(session: QuizSession) -> bool:
    return (
        session.status is SessionStatus.IN_PROGRESS
        and session.deadline_at is not None
        and utcnow() > session.deadline_at + grace()
    )


def _score(item: SessionItem, version: Frozen, policy: ChoicePolicy) -> tuple[float, bool, bool]:
    """(score, correct, pending) of one answer; selections are read back in the question's
    own option labels."""
    response = dict(item.response) if item.response else None
    if response and isinstance(response.get("selected"), list):
        response["selected"] = to_original(item, [str(x).upper() for x in response["selected"]])
    result = grade(version.type.value, version.answer, response, points=item.points, policy=policy)
    return result.score, result.correct, result.pending


def _policy(session: QuizSession) -> ChoicePolicy:
    rules = session.rules
    return ChoicePolicy(partial=rules.choice_partial, share=rules.choice_share)


def grade_of(session: QuizSession, item: SessionItem, version: Frozen) -> dict[str, Any]:
    """The grade of one answer now (practice with feedback after each answer), as the item's
    column values to write; none when a person has marked it (never overridden)."""
    if item.graded_by_id is not None:
        return {}
    score, correct, pending = _score(item, version, _policy(session))
    return {"score": score, "correct": correct, "pending": pending}


def claim(session: QuizSession, status: SessionStatus) -> bool:
    """Take the session out of progress, if nobody else has: one conditional UPDATE that a
    concurrent submit (another phone, a retry, the expiry task) waits on and then finds done.
    Its grading follows in the same transaction; the caller commits or rolls back both."""
    now = utcnow()
    taken: CursorResult[Any] = db.session.execute(  # type: ignore[assignment]
        update(QuizSession)
        .where(QuizSession.id == session.id, QuizSession.status == SessionStatus.IN_PROGRESS)
        .values(status=status, submitted_at=now)
        .execution_options(synchronize_session=False)
    )
    if not taken.rowcount:
        return False
    set_committed_value(session, "status", status)
    set_committed_value(session, "submitted_at", now)
    return True


def grade_session(session: QuizSession, status: SessionStatus) -> dict[int, Frozen] | None:
    """Claim the session and grade every answer and the total; the items' grades go out in
    one executemany. None when another request graded it first. The caller commits."""
    if not claim(session, status):
        return None
    # The answers as they stand now that the claim holds the session: read before it, an
    # answer saved in between would be kept ungraded (the claim waits for answers holding
    # the session's row, and no answer is written after it).
    items = db.session.scalars(
        select(SessionItem)
        .where(SessionItem.session_id == session.id)
        .order_by(SessionItem.position)
        .execution_options(populate_existing=True)
    ).all()
    set_committed_value(session, "items", list(items))
    versions = versions_of(session)
    policy = _policy(session)
    grades = []
    for item in session.items:
        if item.graded_by_id is not None:
            continue
        score, correct, pending = _score(item, versions[item.version_id], policy)
        for name, value in (("score", score), ("correct", correct), ("pending", pending)):
            set_committed_value(item, name, value)  # written below, not by the unit of work
        grades.append({"item": item.id, "score": score, "correct": correct, "pending": pending})
    if grades:
        table = SessionItem.__table__
        db.session.execute(
            update(table)
            .where(table.c.id == bindparam("item"))
            .values(score=bindparam("score"), correct=bindparam("correct"))
            .values(pending=bindparam("pending")),
            grades,
        )
    assert session.submitted_at is not None
    session.time_used_seconds = round(
        (session.submitted_at - session.started_at).total_seconds(), 1
    )
    total_up(session, versions)
    if session.passed is not None:
        conclude(session)
    return versions


def total_up(session: QuizSession, versions: dict[int, Frozen] | None = None) -> None:
    """Score, pass (none while answers wait for a person) and result from the items' grades."""
    versions = versions or versions_of(session)
    points: dict[str, list[float]] = {}
    for item in session.items:
        for point in versions[item.version_id].knowledge_points:
            earned = points.setdefault(point, [0.0, 0.0])
            earned[0] += item.score or 0.0
            earned[1] += item.points
    pending = sum(1 for i in session.items if i.pending)
    session.score = round(sum(i.score or 0 for i in session.items), 2)
    session.passed = (
        None
        if pending
        else session.max_score > 0
        and 100 * session.score / session.max_score >= session.rules.pass_mark
    )
    session.result = {
        "score": session.score,
        "max_score": session.max_score,
        "passed": session.passed,
        "time_used_seconds": session.time_used_seconds,
        "knowledge_points": {p: round(e / m, 3) if m else 0.0 for p, (e, m) in points.items()},
        "pending_manual": pending,
    }


def conclude(session: QuizSession) -> None:
    """A final grade: the passed or failed statement; the course an exam completes; a passed
    level exam's certificate, awarded by the credit bank (once per session)."""
    statements.record(
        session.user_id,
        "passed" if session.passed else "failed",
        "quiz_session",
        session.id,
        when=session.submitted_at,
        result={
            "score": session.score,
            "max_score": session.max_score,
            "template_id": session.template_id,
            "mode": session.mode.value,
        },
    )
    template = session.template
    if template is not None and template.for_evaluation:
        # a plan's theory exam: its result is the application's, which issues the certificate
        evaluation_results.record_session(session)
        return
    if template is None or not session.passed:
        return
    if template.course_id is not None:
        completion.complete_course_if_done(session.user_id, template.course_id, utcnow())
    if template.occupation_id is not None or template.skill_level is not None:
        certificates.award_level_certificate(
            session.user_id,
            occupation_id=template.occupation_id,
            skill_level=template.skill_level,
            score=session.score or 0.0,
            session_id=session.id,
            issuer=db.session.get_one(Organisation, template.organisation_id).name,
        )


def after_grading(session_id: str) -> None:
    """The graded answers review the learner's cards; a final session counts once for item
    statistics. Runs in the background: the learner waits only for their grade."""
    session = db.session.get(QuizSession, session_id)
    if session is None or session.status is SessionStatus.IN_PROGRESS:
        return
    review.record(session.user_id, session.items)
    if session.passed is not None and not session.statistics_counted:
        statistics.count_session(session)
        session.statistics_counted = True
    db.session.commit()


def expire_overdue() -> int:
    """Grade every timed session whose deadline (and grace) has passed, and what follows."""
    overdue = list(
        db.session.scalars(
            select(QuizSession).where(
                QuizSession.status == SessionStatus.IN_PROGRESS,
                QuizSession.deadline_at < utcnow() - grace(),
            )
        )
    )
    graded = [s.id for s in overdue if grade_session(s, SessionStatus.EXPIRED) is not None]
    db.session.commit()
    for session_id in graded:
        after_grading(session_id)  # this already runs in the background
    return len(graded)
