"""Manual grading (阅卷) of short answers marked for a person, by the bank's editors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from catalog.accounts.models import User
from catalog.banks.models import Bank, Question, QuestionVersion
from catalog.banks.services import get_bank_for_editing, may_edit_bank
from catalog.database import db
from catalog.errors import Conflict, Invalid, NotFound
from catalog.quiz import review
from catalog.quiz.models import QuizSession, SessionItem, SessionStatus
from catalog.quiz.results import conclude, total_up
from catalog.quiz.submission import follow_up


def pending_query(user: User, bank_id: int) -> Select[Any]:
    """Answers to this bank's questions that wait for a person, oldest first."""
    get_bank_for_editing(user, bank_id)
    return (
        select(SessionItem)
        .join(Question, Question.id == SessionItem.question_id)
        .where(Question.bank_id == bank_id, SessionItem.pending.is_(True))
        .order_by(SessionItem.saved_at, SessionItem.id)
    )


@dataclass
class Marking:
    """What a grader sees: the question, its key, the learner's answer (not who gave it)."""

    item: SessionItem
    version: QuestionVersion
    answered_at: datetime | None


def markings(items: list[SessionItem]) -> list[Marking]:
    versions = {
        v.id: v
        for v in db.session.scalars(
            select(QuestionVersion).where(QuestionVersion.id.in_([i.version_id for i in items]))
        )
    }
    return [Marking(i, versions[i.version_id], i.saved_at) for i in items]


def grade_by_hand(
    user: User, session_id: str, position: int, score: float, comment: str | None
) -> Marking:
    """Mark one answer; once a finished session has no answer left waiting, it is final."""
    item = db.session.scalar(
        select(SessionItem).where(
            SessionItem.session_id == session_id, SessionItem.position == position
        )
    )
    question = db.session.get(Question, item.question_id) if item else None
    bank = db.session.get(Bank, question.bank_id) if question else None
    if item is None or bank is None or not may_edit_bank(user, bank):
        raise NotFound("没有待阅的答案 / No such answer to grade")
    if not item.pending and item.graded_by_id is None:
        raise Conflict("该题已自动判分 / This answer was graded automatically", code="not_manual")
    if score > item.points:
        raise Invalid(
            details={"json": {"score": [f"最多 {item.points} 分 / at most {item.points}"]}}
        )
    item.score = round(score, 2)
    item.correct = score >= item.points
    item.pending = False
    item.graded_by_id = user.id
    item.grader_comment = comment
    session = db.session.get(QuizSession, session_id)
    assert session is not None
    finished = session.status is not SessionStatus.IN_PROGRESS
    if not finished:
        review.record(session.user_id, [item])
    else:
        waited = session.passed is None
        total_up(session)
        if waited and session.passed is not None:
            conclude(session)
    db.session.commit()
    if finished:
        follow_up(session_id)  # the card of this answer; statistics once the session is final
    return markings([item])[0]
