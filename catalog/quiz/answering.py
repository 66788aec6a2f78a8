"""Saving answers: one at a time (idempotent by the client's answer id; between two devices
the answer given last stands) or in a batch recorded offline (one bad answer spoils no other).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

import marshmallow as ma
from sqlalchemy import CursorResult, and_, exists, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from catalog.accounts.models import User
from catalog.banks.models import QuestionVersion
from catalog.clock import utcnow
from catalog.database import db
from catalog.errors import Conflict, DomainError, Invalid, NotFound
from catalog.quiz import responses, results, review
from catalog.quiz.models import FeedbackPolicy, QuizSession, SessionItem, SessionStatus
from catalog.quiz.schemas import BatchAnswerSchema
from catalog.quiz.submission import owned, settle_if_overdue
from catalog.quiz.view_models import ItemView, is_held_here, item_view
from catalog.runtime import runtime


@dataclass(frozen=True)
class AnswerView(ItemView):
    """The question after an answer was sent, and whether that answer is the one that stands
    (false: another device's later answer does)."""

    stands: bool


def _answered(view: ItemView, stands: bool) -> AnswerView:
    return AnswerView(**{f.name: getattr(view, f.name) for f in fields(ItemView)}, stands=stands)


def save_answer(
    user: User,
    session_id: str,
    position: int,
    response: dict[str, Any],
    client_answer_id: str,
    client_answered_at: datetime | None,
) -> AnswerView:
    """Save one answer; the same answer id again changes nothing; past the deadline, 409.

    When two devices answer the same question, the answer given last on the device (by
    ``client_answered_at``) stands, whichever reaches the server last.
    """
    session = owned(user, session_id, items=False)
    settle_if_overdue(session)
    try:
        saved = save_in_transaction(
            session, position, response, client_answer_id, client_answered_at
        )
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    return saved


def save_in_transaction(
    session: QuizSession,
    position: int,
    response: dict[str, Any],
    client_answer_id: str,
    client_answered_at: datetime | None,
) -> AnswerView:
    """Write one answer in the current transaction; a refusal raises before anything of this
    answer is written (so a batch can go on with the next)."""
    # One query: the item, its frozen version, whether another quiz holds the question, and
    # the session's status read under a shared lock that a concurrent submit's claim waits for.
    found = db.session.execute(
        select(
            SessionItem,
            QuestionVersion,
            QuizSession.status,
            is_held_here(session, SessionItem.question_id),
        )
        .join(QuestionVersion, QuestionVersion.id == SessionItem.version_id)
        .join(QuizSession, QuizSession.id == SessionItem.session_id)
        .where(SessionItem.session_id == session.id, SessionItem.position == position)
        .with_for_update(read=True, of=QuizSession)
    ).first()
    if found is None:
        raise NotFound(f"没有第 {position} 题 / No question {position}")
    item, version, status, held = found
    response = responses.checked(
        version.type.value, version.answer, len(item.option_order), response
    )
    if item.client_answer_id == client_answer_id:
        return _retried(session, item, version, held, response, position)
    received = utcnow()
    _refuse_if_over(session, received, status)
    answered_at = device_time(session, client_answered_at, received)
    after_each = session.rules.feedback_policy is FeedbackPolicy.AFTER_EACH
    # One conditional UPDATE decides between racing devices, on every database engine: the
    # answer given last stands, by (bounded device time, time received). A row already
    # carrying this answer id is never written again: a concurrent retry of it stands as it
    # is, the same id with another answer is refused (checked below).
    conditions = [SessionItem.id == item.id]
    if after_each:
        conditions.append(SessionItem.client_answer_id.is_(None))  # keys shown: no changes
    else:
        conditions.append(
            or_(
                SessionItem.client_answer_id.is_(None),
                SessionItem.client_answer_id != client_answer_id,
            )
        )
        conditions.append(
            or_(
                SessionItem.client_answered_at.is_(None),
                SessionItem.client_answered_at < answered_at,
                and_(
                    SessionItem.client_answered_at == answered_at,
                    SessionItem.saved_at <= received,
                ),
            )
        )
    # Only while the session is in progress: a submit that claimed it meanwhile wins.
    conditions.append(
        exists().where(
            QuizSession.id == session.id, QuizSession.status == SessionStatus.IN_PROGRESS
        )
    )
    values: dict[str, Any] = {
        "response": response,
        "client_answer_id": client_answer_id,
        "client_answered_at": answered_at,
        "saved_at": received,
    }
    outcome = None
    if after_each:  # practice: the verdict comes at once, written with the answer
        _hold(item, values)  # graded as it will stand; read back below if it does not
        grade = results.grade_of(session, item, version)
        _hold(item, grade)
        values.update(grade)
        if (outcome := review.untaken(item)) is not None:
            values["carded"] = True
    result: CursorResult[Any] = db.session.execute(  # type: ignore[assignment]
        update(SessionItem)
        .where(*conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    changed = result.rowcount
    if changed:  # the row now holds these values; no need to read it back
        _hold(item, values)
    else:
        db.session.refresh(item)  # another device's later answer, or the session closed
        if item.client_answer_id == client_answer_id:  # a concurrent request with this id won
            return _retried(session, item, version, held, response, position)
        _refuse_if_over(session, received)  # graded meanwhile: the answer came too late
    if not changed and after_each:  # another answer was saved first and its key shown
        raise Conflict(
            "本题已作答并已公布答案 / This question is answered and its key shown",
            code="already_answered",
            details={"position": position},
        )
    if changed and outcome is not None:
        review.take(session.user_id, [outcome])
    return _answered(item_view(session, item, version, held=held), stands=bool(changed))


def _retried(
    session: QuizSession,
    item: SessionItem,
    version: QuestionVersion,
    held: bool,
    response: dict[str, Any],
    position: int,
) -> AnswerView:
    """The item already carries this answer id: the same answer again is a retry that stands;
    another answer under it is refused."""
    if item.response != response:
        raise Conflict(
            "该作答编号已用于另一个答案 / This client_answer_id already carries another answer",
            code="answer_id_reused",
            details={"position": position},
        )
    return _answered(item_view(session, item, version, held=held), stands=True)


def _hold(item: SessionItem, values: dict[str, Any]) -> None:
    """Let the loaded item hold these column values as the database does (nothing to flush)."""
    for name, value in values.items():
        set_committed_value(item, name, value)


def _refuse_if_over(
    session: QuizSession, received: datetime, status: SessionStatus | None = None
) -> None:
    """409 once the session is no longer in progress (``status`` as read under a shared lock
    that a concurrent submit's claim waits for; read so now when not given) or its deadline
    and grace have passed."""
    if status is None:
        status = db.session.scalar(
            select(QuizSession.status)
            .where(QuizSession.id == session.id)
            .with_for_update(read=True)
        )
    deadline = session.deadline_at
    if status is not SessionStatus.IN_PROGRESS or (
        deadline is not None and received > deadline + results.grace()
    ):
        raise Conflict(
            "答题已结束 / The session is over",
            code="session_closed",
            details={
                "server_time": received.isoformat(),
                "status": (status or session.status).value,
            },
        )


def device_time(session: QuizSession, claimed: datetime | None, received: datetime) -> datetime:
    """When the learner answered, as far as the server can vouch for it: the device's time,
    or the time received when it sent none, never before the session started nor later than
    the time received plus the clock skew allowed to devices."""
    skew = timedelta(seconds=runtime().settings.statement_future_seconds)
    moment = claimed if claimed is not None else received
    return min(max(moment, session.started_at), received + skew)


BATCH_ANSWER = BatchAnswerSchema()


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
    for raw in answers:
        if not isinstance(raw, dict):
            outcomes.append(
                BatchOutcome(0, "", "rejected", "答案应为对象 / each answer is an object")
            )
            continue
        try:
            entry = BATCH_ANSWER.load(raw)
        except ma.ValidationError as error:
            position = raw.get("position")
            outcomes.append(
                BatchOutcome(
                    position if isinstance(position, int) and not isinstance(position, bool) else 0,
                    str(raw.get("client_answer_id") or "")[:64],
                    "rejected",
                    "答案格式不正确 / malformed: " + json.dumps(error.messages, ensure_ascii=False),
                )
            )
            continue
        position, client_id = entry["position"], entry["client_answer_id"]
        seen = known.get(position) == client_id  # a duplicate, if it carries the same answer
        try:
            saved = save_in_transaction(
                session,
                position,
                entry["response"],
                client_id,
                entry.get("client_answered_at"),
            )
        except (Conflict, NotFound, Invalid) as exc:
            outcomes.append(BatchOutcome(position, client_id, "rejected", _reason(exc)))
            continue
        known[position] = saved.client_answer_id
        if seen:
            outcomes.append(BatchOutcome(position, client_id, "duplicate"))
            continue
        if not saved.stands:
            outcomes.append(
                BatchOutcome(position, client_id, "stale", "另一台设备的作答更新 / newer elsewhere")
            )
            continue
        outcomes.append(BatchOutcome(position, client_id, "saved"))
    db.session.commit()
    return outcomes


def _reason(error: DomainError) -> str:
    """A refusal in one line: the message, and what the field says when it names one."""
    fields = error.details.get("json", {}).get("response", {}) if error.details else {}
    said = [message for messages in fields.values() for message in messages]
    return "; ".join([error.message, *said])
