"""A started session as its learner reaches it: reading it (an overdue one is settled first:
its time is up, its grade final), submitting it; a final grade queues what follows."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from catalog.accounts.models import User
from catalog.database import db
from catalog.errors import NotFound
from catalog.quiz import results
from catalog.quiz.models import QuizSession, SessionStatus
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
    if results.is_overdue(session):
        results.grade_session(session, SessionStatus.EXPIRED)
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
    session = owned(user, session_id)
    settle_if_overdue(session)
    if session.status is not SessionStatus.IN_PROGRESS:
        return view_of(session)
    versions = results.grade_session(session, SessionStatus.SUBMITTED)
    graded = view_of(session, versions)  # read before the commit expires what it holds
    db.session.commit()
    follow_up(session_id)
    return graded
