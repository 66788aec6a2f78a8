"""Housekeeping tasks run by the consumer on a schedule: old records purged, lost runs failed,
the consumer's own heartbeat."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from huey import crontab
from sqlalchemy import CursorResult, delete

from catalog.accounts.models import AuthSession
from catalog.background.models import TaskRecord, TaskStatus
from catalog.background.queue import (
    Progress,
    app_context,
    consumer_seen,
    fail_lost,
    huey,
    schedule,
    tracked_task,
)
from catalog.clock import utcnow
from catalog.database import db

FINISHED_TASK_RETENTION = timedelta(days=30)


@tracked_task()
def purge_expired(progress: Progress) -> dict[str, int]:
    """Delete login sessions past their expiry and task records finished a month ago."""
    now = utcnow()
    sessions: CursorResult[Any] = db.session.execute(  # type: ignore[assignment]
        delete(AuthSession).where(AuthSession.expires_at < now)
    )
    progress(50, "登录会话已清理 / expired login sessions purged")
    tasks: CursorResult[Any] = db.session.execute(  # type: ignore[assignment]
        delete(TaskRecord).where(
            TaskRecord.status.in_([TaskStatus.DONE, TaskStatus.FAILED]),
            TaskRecord.finished_at < now - FINISHED_TASK_RETENTION,
        )
    )
    db.session.commit()
    return {"auth_sessions": sessions.rowcount, "task_records": tasks.rowcount}


schedule(purge_expired, crontab(minute="17", hour="3"))


@huey.periodic_task(crontab(minute="*"), name="tasks_housekeeping")
def every_minute() -> None:
    """The consumer says it is alive; runs whose worker was lost end failed."""
    consumer_seen()
    with app_context():
        fail_lost()
