"""How many SQL statements the busiest requests cost: a learner's answer is three quarters of
what 1,000 learners send, and every statement is a round trip and a fraction of a millisecond of
the web process's CPU. A change that adds one to these paths shows here, not in production."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from catalog.database import db
from tests.support.quizzing import answer, label_of, start, template


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """The SQL statements the application's engine runs meanwhile."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_signed_in_request_reads_its_login_user_and_roles_in_one_statement(
    app: Flask, client: FlaskClient, setup: dict
) -> None:
    with statements(app) as seen:
        found = client.get("/api/v1/search?q=停电", headers=setup["learner"])
    assert found.status_code == 200
    assert "auth_sessions" in seen[0] and "user_roles" in seen[0], seen
    # …and nothing after it reads the user or their roles again
    again = [s for s in seen[1:] if "FROM users" in s or "FROM user_roles" in s]
    assert not again, again


def test_an_answer_in_practice_costs_six_statements(
    app: Flask, client: FlaskClient, setup: dict
) -> None:
    """Login, session, item (with its version, the session's status and the holds), the
    conditional write with its grade, the review card read and its insert (a wrong answer
    opens a card)."""
    tid = template(client, setup).get_json()["id"]
    session = start(client, setup, tid).get_json()
    first = session["items"][0]
    with statements(app) as seen:
        saved = answer(client, setup, session["id"], 1, [label_of(first, "验电")], "b1")
    assert saved.status_code == 200 and saved.get_json()["score"] == 0
    written = [s for s in seen if s.startswith(("INSERT", "UPDATE"))]
    assert len(seen) <= 6, "\n".join(seen)
    assert len(written) <= 2, "\n".join(written)
    # A retry of the same answer reads and writes nothing more than the check needs.
    with statements(app) as again:
        retried = answer(client, setup, session["id"], 1, [label_of(first, "验电")], "b1")
    assert retried.status_code == 200 and retried.get_json()["stands"] is True
    assert len(again) <= 3 and not [s for s in again if s.startswith(("INSERT", "UPDATE"))]


def test_an_exam_answer_costs_four_statements(app: Flask, client: FlaskClient, setup: dict) -> None:
    tid = template(client, setup, mode="exam", time_limit_seconds=600).get_json()["id"]
    session = start(client, setup, tid).get_json()
    with statements(app) as seen:
        saved = answer(client, setup, session["id"], 1, ["A"], "e1")
    assert saved.status_code == 200
    # login, session, item (with status under a shared lock and holds), the conditional write
    assert len(seen) <= 4, "\n".join(seen)
