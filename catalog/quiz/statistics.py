"""Item statistics: each final session adds to its questions' running sums (attempts,
difficulty index, discrimination), which editors read with the bank's questions."""

from __future__ import annotations

from sqlalchemy import select

from catalog.banks.models import ItemStatistics
from catalog.clock import utcnow
from catalog.database import db
from catalog.quiz.models import QuizSession


def count_session(session: QuizSession) -> None:
    """Add a fully graded session to each of its questions' running sums."""
    total = session.score or 0.0
    share = total / session.max_score if session.max_score else 0.0
    ids = [i.question_id for i in session.items]
    found = {
        s.question_id: s
        for s in db.session.scalars(
            select(ItemStatistics).where(ItemStatistics.question_id.in_(ids))
        )
    }
    for item in session.items:
        stats = found.get(item.question_id)
        if stats is None:
            stats = ItemStatistics(
                question_id=item.question_id,
                attempts=0,
                sum_x=0.0,
                sum_y=0.0,
                sum_yy=0.0,
                sum_xy=0.0,
            )
            db.session.add(stats)
            found[item.question_id] = stats
        right = 1.0 if item.correct else 0.0
        stats.attempts += 1
        stats.sum_x += right
        stats.sum_y += share
        stats.sum_yy += share * share
        stats.sum_xy += right * share
        stats.updated_at = utcnow()
