"""Item statistics: each final session adds to its questions' running sums (attempts,
difficulty index, discrimination), which editors read with the bank's questions."""

from __future__ import annotations

from sqlalchemy import func

from catalog.banks.models import ItemStatistics
from catalog.clock import utcnow
from catalog.database import db, upsert
from catalog.quiz.models import QuizSession


def count_session(session: QuizSession) -> None:
    """Add a fully graded session to each of its questions' running sums: one atomic upsert
    per question, so sessions counted at the same moment by two workers both add up."""
    total = session.score or 0.0
    share = total / session.max_score if session.max_score else 0.0
    now = utcnow()
    rows = []
    for item in session.items:
        right = 1.0 if item.correct else 0.0
        rows.append(
            {
                "question_id": item.question_id,
                "attempts": 1,
                "sum_x": right,
                "sum_y": share,
                "sum_yy": share * share,
                "sum_xy": right * share,
                "updated_at": now,
            }
        )
    if not rows:
        return
    table = ItemStatistics.__table__
    statement = upsert(ItemStatistics)
    added = statement.excluded
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["question_id"],
            set_={
                "attempts": table.c.attempts + added.attempts,
                "sum_x": table.c.sum_x + added.sum_x,
                "sum_y": table.c.sum_y + added.sum_y,
                "sum_yy": table.c.sum_yy + added.sum_yy,
                "sum_xy": table.c.sum_xy + added.sum_xy,
                "updated_at": func.coalesce(added.updated_at, table.c.updated_at),
            },
        ),
        rows,
    )
