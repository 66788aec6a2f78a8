"""Item statistics add up however many workers count sessions at the same moment."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask import Flask

from catalog.banks.models import ItemStatistics
from catalog.database import db
from catalog.quiz.statistics import count_session
from tests.support.concurrency import at_once


def _graded(question_ids: list[int], score: float) -> Any:
    """What count_session reads of a final session."""
    items = [SimpleNamespace(question_id=q, correct=score > 0) for q in question_ids]
    return SimpleNamespace(score=score, max_score=float(len(items)), items=items)


def test_two_workers_counting_at_once_both_add(app: Flask, setup: dict) -> None:
    questions = setup["ids"][:3]

    def count(score: float) -> None:
        with app.app_context():
            count_session(_graded(questions, score))
            db.session.commit()

    # Two sessions graded together, counted by the consumer's two threads (seen on make run:
    # one of them failed on the primary key and its statistics were lost).
    at_once(lambda: count(3.0), lambda: count(0.0))
    rows = db.session.scalars(
        db.select(ItemStatistics).where(ItemStatistics.question_id.in_(questions))
    ).all()
    assert sorted(r.attempts for r in rows) == [2, 2, 2]
    assert all(r.share_correct == 0.5 for r in rows)
