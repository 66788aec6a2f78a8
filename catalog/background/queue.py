"""The huey task queue and tracked tasks, whose status and progress live in the database.

The module-level ``huey`` starts in immediate mode with memory storage, so importing it does
no I/O; ``configure_queue`` points it at SQLite (default) or Redis when the app starts.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, Protocol

from flask import Flask
from huey import Huey
from huey.api import TaskWrapper
from huey.constants import EmptyData
from huey.storage import RedisStorage, SqliteStorage
from sqlalchemy import func, select

from catalog.background.models import TaskRecord, TaskStatus
from catalog.clock import utcnow
from catalog.database import db, new_id
from config import Settings

log = logging.getLogger("jiangyun.tasks")

huey = Huey("jiangyun", immediate=True)

# The app whose context tasks run in; set by configure_queue (one app per process).
_bound_app: Flask | None = None

crontab_type = Callable[[datetime], bool]


class TaskFailure(Exception):
    """A reason a task failed that its starter can read (Chinese / English)."""


class Progress(Protocol):
    """``progress(percent, message)``; ``progress(None)`` only says the task is alive."""

    def __call__(self, percent: int | None, message: str | None = None) -> None: ...


def configure_queue(app: Flask, settings: Settings) -> None:
    """Point the queue at its storage: Redis when REDIS_URL is set, else a SQLite file."""
    global _bound_app
    huey.name = settings.queue_name
    if settings.redis_url:
        huey.storage_class = RedisStorage
        huey.storage_kwargs = {"url": settings.redis_url}
    else:
        huey.storage_class = SqliteStorage
        huey.storage_kwargs = {"filename": str(settings.queue_path)}
        if not settings.tasks_immediate:
            settings.queue_path.parent.mkdir(parents=True, exist_ok=True)
    huey.immediate = settings.tasks_immediate
    huey.storage = huey.create_storage()
    _bound_app = app


@contextlib.contextmanager
def inline_tasks() -> Iterator[None]:
    """Run tasks started inside the block at once, in this process (demo loading, scripts)."""
    was = huey.immediate
    huey.immediate = True
    try:
        yield
    finally:
        huey.immediate = was


def queue_backend_name() -> str:
    return type(huey.storage).__name__


def check_queue() -> None:
    """Raise when the queue's storage does not answer (used by /readyz)."""
    huey.storage.queue_size()


class TrackedTask:
    """A huey task whose every run has a :class:`TaskRecord`; start it with ``enqueue``."""

    def __init__(self, wrapper: TaskWrapper, name: str) -> None:
        self.wrapper = wrapper
        self.name = name

    def enqueue(
        self,
        *args: Any,
        created_by_id: int | None = None,
        task_id: str | None = None,
        **kwargs: Any,
    ) -> TaskRecord:
        """Record the task as queued, commit, and hand it to the queue.

        ``task_id`` lets a caller store the id in its own records before the task can run.
        """
        task_id = task_id or new_id()
        record = TaskRecord(
            id=task_id, name=self.name, status=TaskStatus.QUEUED, created_by_id=created_by_id
        )
        db.session.add(record)
        db.session.commit()
        self.wrapper(task_id, *args, **kwargs)
        return record


# Per task name: what to do for the records of its runs when their worker is lost.
ON_LOST: dict[str, Callable[[str], None]] = {}


def tracked_task(
    *, on_lost: Callable[[str], None] | None = None, **huey_options: Any
) -> Callable[[Callable[..., dict[str, Any] | None]], TrackedTask]:
    """Turn ``func(progress, *args)`` into a :class:`TrackedTask`.

    ``func`` reports with ``progress(percent, message)`` and returns a JSON-able result.
    A :class:`TaskFailure` ends the record ``failed`` with its message; any other exception
    does too, with a generic message, and is logged with its stack trace. ``on_lost(task_id)``
    tidies the domain's own record when a run's worker died (see :func:`fail_lost`).
    """

    def decorator(func: Callable[..., dict[str, Any] | None]) -> TrackedTask:
        name = func.__name__
        if on_lost is not None:
            ON_LOST[name] = on_lost

        @huey.task(name=name, **huey_options)
        @functools.wraps(func)
        def run(task_id: str, *args: Any, **kwargs: Any) -> None:
            with _app().app_context():
                _run_tracked(task_id, func, args, kwargs)

        return TrackedTask(run, name)

    return decorator


LOST_AFTER = timedelta(minutes=3)  # ~18 missed heartbeats of a waiting parent
CONSUMER_KEY = "jiangyun:consumer-seen"
CONSUMER_SILENT = timedelta(minutes=3)


def fail_lost(now: datetime | None = None) -> list[str]:
    """End ``failed`` every run whose worker stopped beating (a crash, a kill, a restart), and
    let its domain tidy up: nothing stays ``running`` forever."""
    cutoff = (now or utcnow()) - LOST_AFTER
    lost = db.session.scalars(
        select(TaskRecord).where(
            TaskRecord.status == TaskStatus.RUNNING,
            func.coalesce(TaskRecord.heartbeat_at, TaskRecord.started_at) < cutoff,
        )
    ).all()
    ids = [record.id for record in lost]
    for record in lost:
        record.status = TaskStatus.FAILED
        record.message = "处理任务的进程已停止，请重试 / The worker running it stopped; start again"
        record.finished_at = utcnow()
    db.session.commit()
    for record in lost:
        tidy = ON_LOST.get(record.name)
        if tidy is not None:
            tidy(record.id)
    return ids


def consumer_seen() -> None:
    """The consumer is alive (written by it, at start and every minute)."""
    huey.storage.put_data(CONSUMER_KEY, str(time.time()).encode())


def check_consumer() -> None:
    """Raise unless a task consumer was seen lately (for /readyz; not with inline tasks)."""
    if huey.immediate:
        return
    seen = huey.storage.peek_data(CONSUMER_KEY)
    if seen is EmptyData or seen is None:
        raise RuntimeError("no task consumer has been seen (flask --app wsgi tasks worker)")
    silent = time.time() - float(seen)
    if silent > CONSUMER_SILENT.total_seconds():
        raise RuntimeError(f"the task consumer was last seen {int(silent)} s ago")


def schedule(task: TrackedTask, when: crontab_type) -> None:
    """Start ``task`` (without arguments) on the consumer's clock, e.g. ``crontab(hour="3")``."""

    @huey.periodic_task(when, name=f"{task.name}_on_schedule")
    def start() -> None:
        with _app().app_context():
            task.enqueue()


def app_context() -> Any:
    """The bound app's context, for plain huey tasks that touch the database."""
    return _app().app_context()


def _app() -> Flask:
    if _bound_app is None:
        raise RuntimeError("configure_queue() was not called in this process")
    return _bound_app


def _run_tracked(
    task_id: str, func: Callable[..., dict[str, Any] | None], args: Any, kwargs: Any
) -> None:
    record = db.session.get(TaskRecord, task_id)
    if record is None:
        log.error("task record %s is missing; the task does not run", task_id)
        return
    record.status = TaskStatus.RUNNING
    record.started_at = record.heartbeat_at = utcnow()
    db.session.commit()

    def progress(percent: int | None, message: str | None = None) -> None:
        if percent is not None:
            record.progress = max(0, min(100, int(percent)))
        if message is not None:
            record.message = message
        record.heartbeat_at = utcnow()  # the lease: a task silent for long lost its worker
        db.session.commit()

    try:
        result = func(progress, *args, **kwargs)
    except TaskFailure as exc:
        _finish_failed(task_id, str(exc))
    except Exception:
        log.exception("task %s (%s) failed", task_id, record.name)
        _finish_failed(task_id, f"任务执行出错 / The task failed unexpectedly (task {task_id})")
    else:
        record.status = TaskStatus.DONE
        record.progress = 100
        record.result = result
        record.finished_at = utcnow()
        db.session.commit()


def _finish_failed(task_id: str, message: str) -> None:
    db.session.rollback()
    record = db.session.get(TaskRecord, task_id)
    if record is None:
        return
    record.status = TaskStatus.FAILED
    record.message = message
    record.finished_at = utcnow()
    db.session.commit()
