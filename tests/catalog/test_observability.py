"""Request ids and the JSON access log."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator

import pytest
from flask.testing import FlaskClient

from catalog.accounts.models import Role
from catalog.observability import JsonFormatter


@pytest.fixture
def access_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("jiangyun.access")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def decoded_lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_request_id_is_echoed(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "phone-42:abc"})
    assert response.headers["X-Request-ID"] == "phone-42:abc"


def test_request_id_is_made_when_missing_or_unsafe(client: FlaskClient) -> None:
    made = client.get("/healthz").headers["X-Request-ID"]
    assert len(made) == 32
    unsafe = client.get("/healthz", headers={"X-Request-ID": "x\u202e<script>"})
    assert unsafe.headers["X-Request-ID"] != "x\u202e<script>"


def test_one_json_line_per_request(
    client: FlaskClient, login_as: Callable[..., dict], access_log: io.StringIO
) -> None:
    headers = login_as(Role.LEARNER)
    access_log.truncate(0)
    access_log.seek(0)
    client.get("/api/v1/me", headers={**headers, "X-Request-ID": "rid-1"})
    client.get("/api/v1/nowhere", headers={"X-Request-ID": "rid-2"})
    first, second = decoded_lines(access_log)
    assert first["method"] == "GET"
    assert first["path"] == "/api/v1/me"
    assert first["status"] == 200
    assert first["request_id"] == "rid-1"
    assert isinstance(first["user_id"], int)
    assert first["duration_ms"] >= 0
    assert second["status"] == 404
    assert second["user_id"] is None
