"""Question lists for editors: filters, each question's current version and its item statistics."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, select

from catalog.banks.models import (
    ItemStatistics,
    Question,
    QuestionKnowledgePoint,
    QuestionStatus,
    QuestionTag,
    QuestionType,
)
from catalog.banks.questions import QuestionView, current_versions
from catalog.database import db


def question_query(
    bank_id: int,
    *,
    type: QuestionType | None = None,
    difficulty: int | None = None,
    knowledge_point: str | None = None,
    tag: str | None = None,
    status: QuestionStatus | None = None,
    text: str | None = None,
) -> Select[Any]:
    query = select(Question).where(Question.bank_id == bank_id)
    if type is not None:
        query = query.where(Question.type == type)
    if difficulty is not None:
        query = query.where(Question.difficulty == difficulty)
    if status is not None:
        query = query.where(Question.status == status)
    if tag:
        query = query.where(
            exists().where(QuestionTag.question_id == Question.id, QuestionTag.tag == tag)
        )
    if knowledge_point:
        query = query.where(
            exists().where(
                QuestionKnowledgePoint.question_id == Question.id,
                QuestionKnowledgePoint.point == knowledge_point,
            )
        )
    if text:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Question.stem_text.like(f"%{escaped}%", escape="\\"))
    return query


def with_current_versions(questions: list[Question]) -> list[QuestionView]:
    if not questions:
        return []
    current = current_versions(q.id for q in questions)
    stats = statistics_of([q.id for q in questions])
    return [
        QuestionView(q, current[q.id], statistics=_statistics(stats.get(q.id))) for q in questions
    ]


def _statistics(stats: Any) -> dict[str, Any] | None:
    if stats is None:
        return None
    return {
        "attempts": stats.attempts,
        "share_correct": stats.share_correct,
        "discrimination": stats.discrimination,
    }


def statistics_of(question_ids: list[int]) -> dict[int, ItemStatistics]:
    return {
        s.question_id: s
        for s in db.session.scalars(
            select(ItemStatistics).where(ItemStatistics.question_id.in_(question_ids))
        )
    }
