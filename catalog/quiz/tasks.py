"""Quiz tasks: review cards and item statistics after grading; timed sessions nobody
submitted are graded when their time is up."""

from __future__ import annotations

from huey import crontab

from catalog.background.queue import app_context, huey
from catalog.quiz import results


@huey.task(name="after_quiz_grading")
def after_grading_task(session_id: str) -> None:
    with app_context():
        results.after_grading(session_id)


@huey.periodic_task(crontab(minute="*"), name="expire_overdue_quiz_sessions")
def expire_overdue_sessions() -> int:
    with app_context():
        return results.expire_overdue()
