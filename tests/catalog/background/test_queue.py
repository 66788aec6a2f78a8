"""Tracked tasks: status records, progress, failures, who may read them, and a real consumer."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalog.accounts.models import AuthSession, Role, User
from catalog.background.models import TaskRecord, TaskStatus
from catalog.background.queue import Progress, TaskFailure, huey, tracked_task
from catalog.background.tasks import purge_expired
from catalog.clock import utcnow
from catalog.database import db
from config import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[3]


@tracked_task()
def _counts_to_three(progress: Progress, fail_with: str = "") -> dict[str, int]:
    for step in (1, 2, 3):
        progress(step * 30, f"第 {step} 步 / step {step}")
    if fail_with == "reason":
        raise TaskFailure("文件格式不对 / The file is not a question bank")
    if fail_with == "bug":
        raise KeyError("internal detail")
    return {"counted": 3}


def test_tracked_task_runs_and_records_its_result(app: Flask, make_user: Callable) -> None:
    user = make_user()
    record = _counts_to_three.enqueue(created_by_id=user.id)
    db.session.refresh(record)
    assert record.status is TaskStatus.DONE
    assert record.progress == 100
    assert record.result == {"counted": 3}
    assert record.started_at is not None and record.finished_at >= record.started_at
    assert record.message == "第 3 步 / step 3"


def test_task_failure_keeps_a_readable_reason(app: Flask) -> None:
    record = _counts_to_three.enqueue(fail_with="reason")
    db.session.refresh(record)
    assert record.status is TaskStatus.FAILED
    assert record.message == "文件格式不对 / The file is not a question bank"
    assert record.progress == 90


def test_unexpected_error_fails_without_leaking_internals(app: Flask) -> None:
    record = _counts_to_three.enqueue(fail_with="bug")
    db.session.refresh(record)
    assert record.status is TaskStatus.FAILED
    assert "internal detail" not in record.message
    assert record.id in record.message


def test_task_status_is_readable_by_its_starter_only(
    client: FlaskClient, make_user: Callable[..., User], login: Callable[[User], dict]
) -> None:
    starter, stranger = make_user(Role.EDITOR), make_user(Role.EDITOR)
    record = _counts_to_three.enqueue(created_by_id=starter.id)
    response = client.get(f"/api/v1/tasks/{record.id}", headers=login(starter))
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "done"
    assert body["progress"] == 100
    assert body["result"] == {"counted": 3}
    assert client.get(f"/api/v1/tasks/{record.id}", headers=login(stranger)).status_code == 404
    missing = client.get("/api/v1/tasks/does-not-exist", headers=login(starter))
    assert missing.status_code == 404


def test_purge_expired_removes_only_what_expired(app: Flask, make_user: Callable) -> None:
    user = make_user()
    now = utcnow()
    db.session.add_all(
        [
            AuthSession(id="old", user_id=user.id, expires_at=now - timedelta(days=1)),
            AuthSession(id="live", user_id=user.id, expires_at=now + timedelta(days=1)),
            TaskRecord(
                id="ancient", name="x", status=TaskStatus.DONE, finished_at=now - timedelta(days=31)
            ),
            TaskRecord(
                id="recent", name="x", status=TaskStatus.DONE, finished_at=now - timedelta(days=1)
            ),
        ]
    )
    db.session.commit()
    record = purge_expired.enqueue()
    db.session.refresh(record)
    assert record.result == {"auth_sessions": 1, "task_records": 1}
    assert db.session.get(AuthSession, "live") is not None
    assert db.session.get(AuthSession, "old") is None
    assert db.session.get(TaskRecord, "ancient") is None
    assert db.session.get(TaskRecord, "recent") is not None


def _redis_answers() -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", 6379)) == 0


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_real_consumer_runs_a_queued_task(
    make_app: Callable[..., Flask],
    settings: Settings,
    make_user: Callable,
    tmp_path: Path,
    backend: str,
) -> None:
    if backend == "redis" and not _redis_answers():
        pytest.skip("no Redis server answers on 127.0.0.1:6379")
    queue = {
        "tasks_immediate": False,
        "queue_name": f"jy-consumer-{uuid.uuid4().hex[:8]}",
        "queue_file": tmp_path / "queue.db",
        "redis_url": "redis://127.0.0.1:6379/0" if backend == "redis" else "",
    }
    app = make_app(**queue)
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "JIANGYUN_ENV": "test",
        "SECRET_KEY": settings.secret_key,
        "DATABASE_URL": settings.database_url,
        "VAR_DIR": str(tmp_path / "var"),
        "QUEUE_NAME": queue["queue_name"],
        "QUEUE_FILE": str(queue["queue_file"]),
        "REDIS_URL": queue["redis_url"],
        "TASKS_IMMEDIATE": "false",
        "LOG_LEVEL": "WARNING",
    }
    with app.app_context():
        user = make_user()
        db.session.add(AuthSession(id="stale", user_id=user.id, expires_at=utcnow() - timedelta(1)))
        db.session.commit()
        record = purge_expired.enqueue(created_by_id=user.id)
        assert record.status is TaskStatus.QUEUED
        assert huey.storage.queue_size() == 1
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "tasks", "worker", "--workers", "1", "--no-periodic"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                db.session.expire_all()
                if db.session.get(TaskRecord, record.id).status is TaskStatus.DONE:
                    break
                time.sleep(0.1)
        finally:
            worker.send_signal(signal.SIGINT)
            output, _ = worker.communicate(timeout=20)
        db.session.expire_all()
        done = db.session.get(TaskRecord, record.id)
        assert done.status is TaskStatus.DONE, output.decode(errors="replace")
        assert done.result == {"auth_sessions": 1, "task_records": 0}
        assert db.session.get(AuthSession, "stale") is None
        assert worker.returncode == 0
