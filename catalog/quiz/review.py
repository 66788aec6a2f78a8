"""The mistakes book (错题本): FSRS review cards, what is due, and what a review asks.

A card is made the first time a learner gets a practice-usable question wrong; from then on
every answer to that question, in any mode, reviews the card (full marks: Good, part marks:
Hard, nothing: Again) and FSRS moves its due date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from fsrs import Card, Rating, Scheduler, State
from sqlalchemy import Select, and_, select
from sqlalchemy.orm import lazyload

from catalog.accounts.models import User
from catalog.banks import visibility
from catalog.banks.models import Question, QuestionVersion
from catalog.banks.visibility import PRACTICE_USAGE
from catalog.clock import utcnow
from catalog.database import db
from catalog.quiz import view_models
from catalog.quiz.models import ReviewCard, SessionItem


@cache
def _scheduler() -> Scheduler:
    return Scheduler()


@dataclass(frozen=True)
class Outcome:
    question_id: int
    score: float
    points: float
    answered_at: datetime

    @property
    def rating(self) -> Rating:
        if self.score >= self.points:
            return Rating.Good
        return Rating.Hard if self.score > 0 else Rating.Again


def record(user_id: int, items: Iterable[SessionItem]) -> None:
    """Let the learner's cards take these graded answers (each item once)."""
    outcomes = []
    for item in items:
        if (outcome := untaken(item)) is not None:
            item.carded = True
            outcomes.append(outcome)
    take(user_id, outcomes)


def untaken(item: SessionItem) -> Outcome | None:
    """The graded answer of this item that the learner's card has not taken yet, if any (the
    caller marks the item ``carded`` when the card takes it)."""
    if item.carded or item.pending or item.response is None or item.score is None:
        return None
    return Outcome(item.question_id, item.score, item.points, item.saved_at or utcnow())


def take(user_id: int, outcomes: list[Outcome]) -> None:
    """Let the learner's cards take these outcomes: a mistake opens a card, any answer to a
    question with a card reviews it."""
    if not outcomes:
        return
    # One query: each question, whether practice may ask it, and the learner's card if any.
    cards: dict[int, ReviewCard] = {}
    practicable: set[int] = set()
    for question_id, usable, found in db.session.execute(
        select(Question.id, Question.usage.in_(PRACTICE_USAGE), ReviewCard)
        .outerjoin(
            ReviewCard,
            and_(ReviewCard.question_id == Question.id, ReviewCard.user_id == user_id),
        )
        .options(lazyload(ReviewCard.question))
        .where(Question.id.in_({o.question_id for o in outcomes}))
    ):
        if usable:
            practicable.add(question_id)
        if found is not None:
            cards[question_id] = found
    for outcome in outcomes:
        card = cards.get(outcome.question_id)
        if card is None:
            if outcome.rating is Rating.Good or outcome.question_id not in practicable:
                continue  # only mistakes open a card, and only on questions practice may ask
            card = ReviewCard(
                user_id=user_id,
                question_id=outcome.question_id,
                state=State.Learning.value,
                due_at=outcome.answered_at,
                reviews=0,
                wrong_count=0,
            )
            db.session.add(card)
            cards[outcome.question_id] = card
        _review(card, outcome)


def _review(card: ReviewCard, outcome: Outcome) -> None:
    before = Card(
        card_id=card.id or 0,
        state=State(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=_aware(card.due_at),
        last_review=_aware(card.last_review_at) if card.last_review_at else None,
    )
    when = _aware(outcome.answered_at)
    if before.last_review and when < before.last_review:
        when = before.last_review  # answers synced late must not run the card backwards
    after, _ = _scheduler().review_card(before, outcome.rating, review_datetime=when)
    card.state = after.state.value
    card.step = after.step
    card.stability = after.stability
    card.difficulty = after.difficulty
    card.due_at = after.due
    card.last_review_at = when
    card.reviews = (card.reviews or 0) + 1
    if outcome.rating is not Rating.Good:
        card.wrong_count = (card.wrong_count or 0) + 1
        card.last_wrong_at = when


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def due_query(user: User, *, due_only: bool = True) -> Select[Any]:
    """The learner's cards on questions practice may ask them now: published, of practice
    usage, in a bank they practise, held by no exam or contest."""
    query = select(ReviewCard).where(
        ReviewCard.user_id == user.id,
        ReviewCard.question_id.in_(
            visibility.servable(
                user.organisation_id, PRACTICE_USAGE, visibility.practisable_banks(user)
            ).where(visibility.not_held(user.organisation_id))
        ),
    )
    if due_only:
        query = query.where(ReviewCard.due_at <= utcnow())
    return query


def mistakes_query(user: User, *, due_only: bool) -> Select[Any]:
    """Every open mistake (or only the due ones), the most overdue first: what is due comes
    before what is not."""
    return due_query(user, due_only=due_only).order_by(ReviewCard.due_at, ReviewCard.id)


@dataclass
class Mistake:
    """A card of the mistakes book, with the question as it is now and — once a quiz's
    feedback policy has shown it to the learner — the key and explanation they saw."""

    card: ReviewCard
    question: Question
    options: list[dict[str, str]]
    answer: dict[str, Any] | None
    explanation: str | None

    def __getattr__(self, name: str) -> Any:  # the card's own fields
        return getattr(self.card, name)


def mistakes_of(user: User, cards: list[ReviewCard]) -> list[Mistake]:
    ids = [card.question_id for card in cards]
    current = {
        version.question_id: version
        for version in db.session.scalars(
            select(QuestionVersion)
            .join(Question, Question.id == QuestionVersion.question_id)
            .where(Question.id.in_(ids), QuestionVersion.version == Question.version)
        )
    }
    keys = view_models.revealed_keys(user.id, ids)
    made = []
    for card in cards:
        shown = keys.get(card.question_id)
        version = current.get(card.question_id)
        made.append(
            Mistake(
                card=card,
                question=card.question,
                # an option's feedback can betray the key: only once the key is shown
                options=[
                    o if shown else {k: v for k, v in o.items() if k != "feedback"}
                    for o in (version.options if version else [])
                ],
                answer=dict(shown.answer) if shown else None,
                explanation=shown.explanation if shown else None,
            )
        )
    return made


def due_question_ids(user: User, limit: int) -> list[int]:
    """The questions a review asks: the most overdue first."""
    query = due_query(user).order_by(ReviewCard.due_at, ReviewCard.id).limit(limit)
    return [card.question_id for card in db.session.scalars(query)]


def next_due(user: User) -> datetime | None:
    query = due_query(user, due_only=False).order_by(ReviewCard.due_at).limit(1)
    card = db.session.scalar(query)
    return card.due_at if card else None
