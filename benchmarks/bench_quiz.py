"""Quiz sessions against a 50,317-question bank, in process (issue 6's targets: start a
100-question rule-based exam p50 ≤ 20 ms; save an answer p50 ≤ 3 ms; grade 100 questions
≤ 20 ms).

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_quiz.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_search import seed
from benchmarks.measure import Result, measure
from benchmarks.setup import bench_app
from catalog.extensions import db
from catalog.quiz import services as quiz
from catalog.quiz.models import QuizSession, SessionStatus


def main() -> None:
    with bench_app() as bench:
        bank_id = seed()
        editor, learner = bench.users["editor"], bench.users["learner"]
        template = quiz.create_template(
            editor,
            {
                "title": "基准考试",
                "mode": "exam",
                "time_limit_seconds": 3600,
                "shuffle_questions": True,
                "shuffle_options": True,
                "sections": [
                    {"points": 1, "count": 60, "bank_ids": [bank_id], "types": ["single_choice"]},
                    {"points": 2, "count": 30, "bank_ids": [bank_id], "types": ["multiple_choice"]},
                    {"points": 1, "count": 10, "bank_ids": [bank_id], "types": ["true_false"]},
                ],
            },
        )

        def start_and_close() -> None:
            session = quiz.start(learner, template.id)
            session.status = SessionStatus.SUBMITTED  # close it so the next start draws anew
            db.session.commit()

        start = measure(
            "start a 100-question exam (rule-drawn)", start_and_close, runs=30, target="p50 ≤ 20 ms"
        )
        session = quiz.start(learner, template.id)
        counter = iter(range(10**9))
        save = measure(
            "save an answer",
            lambda: quiz.save_answer(
                learner,
                session.id,
                1 + next(counter) % 100,
                {"selected": ["A"]},
                f"c{next(counter)}",
                None,
            ),
            runs=300,
            target="p50 ≤ 3 ms",
        )
        samples = []
        for _ in range(20):
            fresh = quiz.start(learner, template.id)
            for item in fresh.items:
                item.response = {"selected": ["A"]}
            db.session.commit()
            started = time.perf_counter()
            quiz.submit(learner, fresh.id)
            samples.append((time.perf_counter() - started) * 1000)
        grading = Result("grade (submit) a 100-question session", samples, "≤ 20 ms")
        sessions = db.session.scalar(db.select(db.func.count()).select_from(QuizSession))
    print(f"quiz sessions, in process, SQLite, bank of 50,317 questions ({sessions} sessions run)")
    for result in (start, save, grading):
        print("  " + result.row())


if __name__ == "__main__":
    main()
