"""A started session as its learner reaches it: listing their sessions, reading one (an overdue
one is settled first: its time is up, its grade final), submitting it; a final grade queues
what follows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import lazyload

from catalog.accounts.models import User
from catalog.clock import utcnow
from catalog.database import db
from catalog.errors import NotFound
from catalog.quiz import results
from catalog.quiz.models import QuizMode, QuizSession, SessionStatus
from catalog.quiz.tasks import after_grading_task
from catalog.quiz.view_models import SessionView, view_of


def owned(user: User, session_id: str, *, items: bool = True) -> QuizSession:
    """The learner's own session (404 for anyone else's); ``items=False`` leaves its items
    unloaded until something reads them."""
    query = select(QuizSession).where(QuizSession.id == session_id)
    if not items:
        query = query.options(lazyload(QuizSession.items))
    session: QuizSession | None = db.session.scalar(query)
    if session is None or session.user_id != user.id:
        raise NotFound("答题记录不存在 / No such quiz session", details={"id": session_id})
    return session


def settle_if_overdue(session: QuizSession) -> None:
    """A session past its deadline (and grace) is graded with what was saved, committed, and
    its follow-up queued: whoever touches it next sees the final result."""
    if not results.is_overdue(session):
        return
    if results.grade_session(session, SessionStatus.EXPIRED) is None:
        db.session.rollback()  # graded meanwhile by another request: read what it wrote
        return
    db.session.commit()
    follow_up(session.id)


def follow_up(session_id: str) -> None:
    """Queue :func:`results.after_grading` (call after the grade is committed)."""
    after_grading_task(session_id)


def view(user: User, session_id: str) -> SessionView:
    session = owned(user, session_id)
    settle_if_overdue(session)
    return view_of(session)


def submit(user: User, session_id: str) -> SessionView:
    """Grade the session; submitting again returns the same result."""
    session = owned(user, session_id, items=False)  # grading reads them once it has claimed
    settle_if_overdue(session)
    if session.status is not SessionStatus.IN_PROGRESS:
        return view_of(session)
    versions = results.grade_session(session, SessionStatus.SUBMITTED)
    if versions is None:  # another submit (a second phone, a retry) graded it first
        db.session.rollback()
        return view_of(owned(user, session_id))
    graded = view_of(session, versions)  # read before the commit expires what it holds
    db.session.commit()
    follow_up(session_id)
    return graded


# Sessions without a template; a practice without one was done offline from a practice pack.
MODE_TITLES = {
    QuizMode.DAILY: "每日一练 / Daily practice",
    QuizMode.REVIEW: "错题重练 / Review",
    QuizMode.PRACTICE: "离线练习 / Offline practice",
}


@dataclass(frozen=True)
class SessionSummary:
    """One of a learner's sessions in their list: enough to resume or to look back."""

    id: str
    template_id: int | None
    title: str
    mode: QuizMode
    status: SessionStatus
    attempt: int
    day: date | None
    started_at: datetime
    deadline_at: datetime | None
    remaining_seconds: float | None  # while in progress with a deadline
    submitted_at: datetime | None
    score: float | None
    max_score: float
    passed: bool | None


def sessions_query(
    user: User,
    *,
    status: SessionStatus | None = None,
    mode: QuizMode | None = None,
    template_id: int | None = None,
) -> Select[tuple[QuizSession]]:
    """The learner's own sessions (their items not loaded), filtered; order by the caller."""
    query = (
        select(QuizSession)
        .options(lazyload(QuizSession.items))
        .where(QuizSession.user_id == user.id)
    )
    if status is not None:
        query = query.where(QuizSession.status == status)
    if mode is not None:
        query = query.where(QuizSession.mode == mode)
    if template_id is not None:
        query = query.where(QuizSession.template_id == template_id)
    return query


def summary_of(session: QuizSession) -> SessionSummary:
    """Reading a list settles nothing: an overdue session shows no time left until the expiry
    task (every minute) or the learner's next touch grades it."""
    running = session.status is SessionStatus.IN_PROGRESS
    remaining = None
    if running and session.deadline_at is not None:
        remaining = max(0.0, (session.deadline_at - utcnow()).total_seconds())
    title = session.template.title if session.template else MODE_TITLES.get(session.mode, "")
    return SessionSummary(
        id=session.id,
        template_id=session.template_id,
        title=title,
        mode=session.mode,
        status=session.status,
        attempt=session.attempt,
        day=session.day,
        started_at=session.started_at,
        deadline_at=session.deadline_at,
        remaining_seconds=remaining,
        submitted_at=session.submitted_at,
        score=None if running else session.score,
        max_score=session.max_score,
        passed=None if running else session.passed,
    )
