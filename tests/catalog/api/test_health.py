"""Liveness and readiness, checked against parts that really fail."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_healthz_answers_without_dependencies(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_checks_each_part(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    checks = response.get_json()["checks"]
    assert checks == {
        "database": "ok",
        "task_queue": "ok",
        "task_consumer": "ok",  # tasks run inline here
        "object_store": "ok",
        "search": "ok",
    }


def test_readyz_names_a_database_that_does_not_answer(make_app: Callable[..., Flask]) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/nothing?connect_timeout=2"
    response = make_app(database_url=url).test_client().get("/readyz")
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "not_ready"
    assert error["details"]["failing"] == ["database"]
    assert "database" in error["message"]


def test_readyz_names_a_queue_that_does_not_answer(make_app: Callable[..., Flask]) -> None:
    app = make_app(tasks_immediate=False, redis_url=f"redis://127.0.0.1:{_closed_port()}/0")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["error"]["details"]["failing"] == ["task_consumer", "task_queue"]


def test_readyz_says_when_no_consumer_runs(make_app: Callable[..., Flask]) -> None:
    """/readyz said ok while the only consumer was dead and every task waited."""
    from catalog.background.queue import consumer_seen

    app = make_app(tasks_immediate=False)
    silent = app.test_client().get("/readyz")
    assert silent.status_code == 503
    assert silent.get_json()["error"]["details"]["failing"] == ["task_consumer"]
    consumer_seen()  # what the consumer writes at start and every minute
    assert app.test_client().get("/readyz").status_code == 200


def test_readyz_names_an_object_store_that_cannot_write(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the object folder should be")
    response = make_app(object_dir=blocker / "objects").test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["error"]["details"]["failing"] == ["object_store"]
