"""Saving answers: one at a time (idempotent by the client's answer id; between two devices
the answer given last stands) or in a batch recorded offline (one bad answer spoils no other).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from catalog.accounts.models import User
from catalog.banks.models import QuestionVersion
from catalog.clock import utcnow
from catalog.database import db
from catalog.errors import Conflict, DomainError, NotFound
from catalog.quiz import results, review
from catalog.quiz.models import FeedbackPolicy, QuizSession, SessionItem, SessionStatus
from catalog.quiz.submission import owned, settle_if_overdue
from catalog.quiz.view_models import ItemView, item_view


def save_answer(
    user: User,
    session_id: str,
    position: int,
    response: dict[str, Any],
    client_answer_id: str,
    client_answered_at: datetime | None,
) -> ItemView:
    """Save one answer; the same answer id again changes nothing; past the deadline, 409.

    When two devices answer the same question, the answer given last on the device (by
    ``client_answered_at``) stands, whichever reaches the server last.
    """
    session = owned(user, session_id, items=False)
    settle_if_overdue(session)
    try:
        saved = _save(session, position, response, client_answer_id, client_answered_at)
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    return saved


def _save(
    session: QuizSession,
    position: int,
    response: dict[str, Any],
    client_answer_id: str,
    client_answered_at: datetime | None,
) -> ItemView:
    """Write one answer in the current transaction; a refusal raises before anything of this
    answer is written (so a batch can go on with the next)."""
    found = db.session.execute(
        select(SessionItem, QuestionVersion)
        .join(QuestionVersion, QuestionVersion.id == SessionItem.version_id)
        .where(SessionItem.session_id == session.id, SessionItem.position == position)
    ).first()
    if found is None:
        raise NotFound(f"没有第 {position} 题 / No question {position}")
    item, version = found
    if item.client_answer_id == client_answer_id:
        return item_view(session, item, version)  # a retry from a flaky network
    now = utcnow()
    if session.status is not SessionStatus.IN_PROGRESS or (
        session.deadline_at is not None and now > session.deadline_at + results.grace()
    ):
        raise Conflict(
            "答题已结束 / The session is over",
            code="session_closed",
            details={"server_time": now.isoformat(), "status": session.status.value},
        )
    after_each = session.rules.feedback_policy is FeedbackPolicy.AFTER_EACH
    # One conditional UPDATE decides between racing devices, on every database engine.
    conditions = [SessionItem.id == item.id]
    if after_each:
        conditions.append(SessionItem.client_answer_id.is_(None))  # keys shown: no changes
    elif client_answered_at is not None:
        conditions.append(
            or_(
                SessionItem.client_answered_at.is_(None),
                SessionItem.client_answered_at <= client_answered_at,
            )
        )
    result: CursorResult[Any] = db.session.execute(  # type: ignore[assignment]
        update(SessionItem)
        .where(*conditions)
        .values(
            response=response,
            client_answer_id=client_answer_id,
            client_answered_at=client_answered_at,
            saved_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    changed = result.rowcount
    if changed:  # the row now holds these values; no need to read it back
        for name, value in (
            ("response", response),
            ("client_answer_id", client_answer_id),
            ("client_answered_at", client_answered_at),
            ("saved_at", now),
        ):
            set_committed_value(item, name, value)
    else:
        db.session.refresh(item)  # another device's newer answer
    if not changed and after_each and item.client_answer_id != client_answer_id:
        raise Conflict(
            "本题已作答并已公布答案 / This question is answered and its key shown",
            code="already_answered",
            details={"position": position},
        )
    if changed and after_each:
        results.grade_item(session, item, version)  # practice: the verdict comes at once
        review.record(session.user_id, [item])
    return item_view(session, item, version)  # unchanged: a newer answer from elsewhere


@dataclass
class BatchOutcome:
    position: int
    client_answer_id: str
    status: str  # saved, duplicate, stale or rejected
    reason: str | None = None


def save_batch(user: User, session_id: str, answers: list[dict[str, Any]]) -> list[BatchOutcome]:
    """Save many answers at once (after a stretch offline), in one transaction over a session
    read once; one bad answer spoils no other."""
    session = owned(user, session_id, items=False)
    settle_if_overdue(session)
    known = dict(
        db.session.execute(
            select(SessionItem.position, SessionItem.client_answer_id).where(
                SessionItem.session_id == session.id
            )
        ).all()
    )
    outcomes = []
    for entry in answers:
        position, client_id = entry["position"], entry["client_answer_id"]
        if known.get(position) == client_id:
            outcomes.append(BatchOutcome(position, client_id, "duplicate"))
            continue
        try:
            saved = _save(
                session,
                position,
                entry["response"],
                client_id,
                entry.get("client_answered_at"),
            )
        except (Conflict, NotFound) as exc:
            outcomes.append(BatchOutcome(position, client_id, "rejected", exc.message))
            continue
        known[position] = saved.client_answer_id
        if saved.client_answer_id != client_id:
            outcomes.append(
                BatchOutcome(position, client_id, "stale", "另一台设备的作答更新 / newer elsewhere")
            )
            continue
        outcomes.append(BatchOutcome(position, client_id, "saved"))
    db.session.commit()
    return outcomes
