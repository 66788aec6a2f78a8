"""What a learner may see of a session now: plain view models (safe to read after commit),
with keys, explanations and scores only when the feedback policy allows, and options in the
order the session froze."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, cast

from sqlalchemy import ColumnElement, SQLColumnExpression, select

from catalog.accounts.models import User
from catalog.banks import visibility
from catalog.banks.models import QuestionType, QuestionVersion
from catalog.clock import utcnow
from catalog.database import db
from catalog.quiz.models import FeedbackPolicy, QuizMode, QuizSession, SessionItem, SessionStatus

LABELS = "ABCDEFGHIJ"


@dataclass(frozen=True)
class ItemView:
    """A question as the learner may see it now (plain values: safe to read after commit)."""

    position: int
    question_id: int
    version: int
    type: str
    stem: str
    text_format: str  # "plain" or "markdown": how the stem and options are to be shown
    options: list[dict[str, str]]
    points: float
    response: dict[str, Any] | None
    client_answer_id: str | None
    revealed: bool
    answer: dict[str, Any] | None
    explanation: str | None
    score: float | None  # once revealed


@dataclass(frozen=True)
class SessionView:
    """A session as its learner may see it now (plain values: safe to read after commit)."""

    id: str
    template_id: int | None
    day: date | None
    mode: QuizMode
    status: SessionStatus
    attempt: int
    started_at: datetime
    deadline_at: datetime | None
    max_score: float
    result: dict[str, Any] | None  # once graded
    items: list[ItemView]
    server_time: datetime
    remaining_seconds: float | None


class Frozen(Protocol):
    """What a session reads of a question version it froze (an ORM object or a row)."""

    id: int
    version: int
    type: QuestionType
    stem: str
    text_format: str
    options: list[dict[str, str]]
    answer: dict[str, Any]
    explanation: str
    knowledge_points: list[str]


FROZEN_COLUMNS = [getattr(QuestionVersion, name) for name in Frozen.__annotations__]


def versions_of(session: QuizSession) -> dict[int, Frozen]:
    """The session's question versions, read as plain rows (no ORM objects to track)."""
    ids = [i.version_id for i in session.items]
    rows = db.session.execute(select(*FROZEN_COLUMNS).where(QuestionVersion.id.in_(ids)))
    return {row.id: cast(Frozen, row) for row in rows}


def to_display(item: SessionItem, labels: list[str]) -> list[str]:
    """The question's own option labels as this session shows them (A, B, … in its order)."""
    return sorted(
        LABELS[item.option_order.index(label)] for label in labels if label in item.option_order
    )


def to_original(item: SessionItem, labels: list[str]) -> list[str]:
    """Labels as this session showed them, read back as the question's own labels."""
    return [
        item.option_order[LABELS.index(label)]
        for label in labels
        if label in LABELS[: len(item.option_order)]
    ]


def revealed(session: QuizSession, item: SessionItem) -> bool:
    """Whether the feedback policy lets the learner see this item's key now."""
    rules = session.rules
    if rules.feedback_policy is FeedbackPolicy.NEVER:
        return False
    if rules.feedback_policy is FeedbackPolicy.AFTER_EACH:
        return item.response is not None or session.status is not SessionStatus.IN_PROGRESS
    if rules.feedback_policy is FeedbackPolicy.AFTER_SUBMIT:
        return session.status is not SessionStatus.IN_PROGRESS
    return (
        session.status is not SessionStatus.IN_PROGRESS
        and rules.closes_at is not None
        and utcnow() > rules.closes_at
    )


def item_view(session: QuizSession, item: SessionItem, version: Frozen, *, held: bool) -> ItemView:
    """``held``: another exam or contest holds the question, so its key stays hidden here
    whatever this session's policy says (see :func:`held_here`)."""
    texts = {o["label"]: o["text"] for o in version.options}
    shown = revealed(session, item) and not held
    said = (
        {o["label"]: o["feedback"] for o in version.options if o.get("feedback")} if shown else {}
    )
    options = [
        {
            "label": LABELS[i],
            "text": texts[label],
            **({"feedback": said[label]} if label in said else {}),
        }
        for i, label in enumerate(item.option_order)
    ]
    answer = None
    if shown:
        answer = dict(version.answer)
        if "correct" in answer and isinstance(answer["correct"], list):
            answer["correct"] = to_display(item, answer["correct"])
    return ItemView(
        position=item.position,
        question_id=item.question_id,
        version=version.version,
        type=version.type.value,
        stem=version.stem,
        text_format=version.text_format,
        options=options,
        points=item.points,
        response=item.response,
        client_answer_id=item.client_answer_id,
        revealed=shown,
        answer=answer,
        explanation=version.explanation if shown else None,
        score=item.score if shown else None,
    )


def held_here(session: QuizSession, question_ids: list[int]) -> set[int]:
    """Which of the session's questions another exam or contest of its organisation holds
    now: their keys, and the total that would betray them, wait until that window closes (the
    session's own quiz is governed by its own policy)."""
    return visibility.held_ids(
        question_ids, _organisation_of(session), except_template=session.template_id
    )


def is_held_here(
    session: QuizSession, question_id: SQLColumnExpression[int]
) -> ColumnElement[bool]:
    """:func:`held_here` as a clause about one question column, for a larger query."""
    return visibility.is_held(
        question_id, _organisation_of(session), except_template=session.template_id
    )


def _organisation_of(session: QuizSession) -> int | None:
    if session.template is not None:
        return session.template.organisation_id
    return db.session.scalar(select(User.organisation_id).where(User.id == session.user_id))


def view_of(session: QuizSession, versions: dict[int, Frozen] | None = None) -> SessionView:
    versions = versions or versions_of(session)
    held = held_here(session, [i.question_id for i in session.items])
    now = utcnow()
    running = session.status is SessionStatus.IN_PROGRESS
    remaining = None
    if session.deadline_at is not None and running:
        remaining = max(0.0, (session.deadline_at - now).total_seconds())
    return SessionView(
        id=session.id,
        template_id=session.template_id,
        day=session.day,
        mode=session.mode,
        status=session.status,
        attempt=session.attempt,
        started_at=session.started_at,
        deadline_at=session.deadline_at,
        max_score=session.max_score,
        result=None if running or held else session.result,
        items=[
            item_view(session, i, versions[i.version_id], held=i.question_id in held)
            for i in session.items
        ],
        server_time=now,
        remaining_seconds=remaining,
    )


def revealed_keys(user_id: int, question_ids: list[int]) -> dict[int, Frozen]:
    """For each question, the version whose key and explanation a quiz of the learner's has
    already shown them (by its feedback policy), if any: the newest such."""
    if not question_ids:
        return {}
    rows = db.session.execute(
        select(QuizSession, SessionItem)
        .join(SessionItem, SessionItem.session_id == QuizSession.id)
        .where(QuizSession.user_id == user_id, SessionItem.question_id.in_(question_ids))
        .order_by(QuizSession.started_at.desc())
    ).all()
    shown: dict[int, int] = {}
    for session, item in rows:
        if item.question_id not in shown and revealed(session, item):
            shown[item.question_id] = item.version_id
    versions = db.session.execute(
        select(*FROZEN_COLUMNS).where(QuestionVersion.id.in_(set(shown.values())))
    )
    by_id = {row.id: cast(Frozen, row) for row in versions}
    return {question: by_id[version] for question, version in shown.items() if version in by_id}
