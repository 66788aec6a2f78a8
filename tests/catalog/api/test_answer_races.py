"""Answers racing a submit and each other (found by an attack on the running service): an
answer the learner was told is saved is graded; one answer id never carries two answers."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from flask_jwt_extended import decode_token

from catalog.accounts.models import User
from catalog.database import db
from catalog.quiz import results, submission
from catalog.quiz.models import SessionStatus
from tests.support.quizzing import answer, label_of, start, template


def _learner(app: Flask, setup: dict[str, Any]) -> User:
    token = setup["learner"]["Authorization"].removeprefix("Bearer ")
    user = db.session.get(User, int(decode_token(token)["sub"]))
    assert user is not None
    return user


def test_an_answer_saved_while_a_submit_read_the_session_is_graded(
    app: Flask, client: FlaskClient, setup: dict
) -> None:
    """The submit read the items, the answer was saved (200), then the submit claimed the
    session: the grade counts that answer, and its key is not booked as a mistake."""
    tid = template(client, setup, mode="exam", time_limit_seconds=600).get_json()["id"]
    opened = start(client, setup, tid).get_json()
    first = opened["items"][0]
    with app.app_context():
        session = submission.owned(_learner(app, setup), opened["id"])
        assert [i.response for i in session.items] == [None, None, None]  # read before
        right = [label_of(first, "断开电源")]
        replies: list[Any] = []  # another request, in a thread: its own database session
        other = threading.Thread(
            target=lambda: replies.append(
                answer(client, setup, opened["id"], 1, right, "late-1").get_json()
            )
        )
        other.start()
        other.join()
        assert replies[0]["stands"] is True, replies
        assert results.grade_session(session, SessionStatus.SUBMITTED) is not None
        db.session.commit()
    body = client.get(f"/api/v1/quiz-sessions/{opened['id']}", headers=setup["learner"])
    graded = body.get_json()
    assert graded["items"][0]["response"] == {"selected": right}
    assert graded["items"][0]["score"] == 2 and graded["result"]["score"] == 2


def test_one_answer_id_never_carries_two_answers_when_phones_race(
    client: FlaskClient, setup: dict
) -> None:
    """Eight requests at once under one answer id, half with another answer: those with the
    stored answer are told it stands, the others get 409 answer_id_reused; never a 200 for an
    answer that is not stored."""
    for mode in ("practice", "exam"):
        options: dict[str, Any] = {"mode": mode}
        if mode == "exam":
            options["time_limit_seconds"] = 600
        tid = template(client, setup, **options).get_json()["id"]
        for _round in range(3):
            replies, stored = _race(client, setup, tid)
            for sent, status, body in replies:
                if sent == stored:
                    assert status == 200 and body["stands"] is True, (mode, sent, body)
                else:
                    assert status == 409, (mode, sent, status, body)
                    assert body["error"]["code"] == "answer_id_reused"


def _race(
    client: FlaskClient, setup: dict, tid: int
) -> tuple[list[tuple[list[str], int, dict[str, Any]]], list[str]]:
    """Eight phones answer question 1 at once under one id, alternating two answers; their
    replies and the answer stored."""
    opened = start(client, setup, tid).get_json()
    item = opened["items"][0]
    choices = [[label_of(item, "验电")], [label_of(item, "断开电源")]]
    gate = threading.Barrier(8)
    replies: list[tuple[list[str], int, dict[str, Any]]] = []

    def send(n: int) -> None:
        gate.wait()
        reply = answer(client, setup, opened["id"], 1, choices[n % 2], "same")
        replies.append((choices[n % 2], reply.status_code, reply.get_json()))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    now = client.get(f"/api/v1/quiz-sessions/{opened['id']}", headers=setup["learner"])
    client.post(f"/api/v1/quiz-sessions/{opened['id']}/submit", headers=setup["learner"])
    return replies, now.get_json()["items"][0]["response"]["selected"]


def test_a_batch_refuses_another_answer_under_a_used_id(client: FlaskClient, setup: dict) -> None:
    tid = template(client, setup, mode="exam", time_limit_seconds=600).get_json()["id"]
    opened = start(client, setup, tid).get_json()
    item = opened["items"][0]
    wrong, right = [label_of(item, "验电")], [label_of(item, "断开电源")]
    url = f"/api/v1/quiz-sessions/{opened['id']}/answers/batch"

    def batch(*answers: list[str]) -> list[dict[str, Any]]:
        entries = [
            {"position": 1, "response": {"selected": a}, "client_answer_id": "k1"} for a in answers
        ]
        reply = client.post(url, json={"answers": entries}, headers=setup["learner"])
        assert reply.status_code == 200, reply.get_json()
        outcomes: list[dict[str, Any]] = reply.get_json()["results"]
        return outcomes

    assert [o["status"] for o in batch(wrong)] == ["saved"]
    again = batch(right, wrong)
    assert [o["status"] for o in again] == ["rejected", "duplicate"]
    assert "client_answer_id" in again[0]["reason"]
    now = client.get(f"/api/v1/quiz-sessions/{opened['id']}", headers=setup["learner"])
    assert now.get_json()["items"][0]["response"] == {"selected": wrong}


def test_a_batch_entry_that_is_no_object_is_rejected_alone(
    client: FlaskClient, setup: dict
) -> None:
    tid = template(client, setup, mode="exam", time_limit_seconds=600).get_json()["id"]
    opened = start(client, setup, tid).get_json()
    good = {"position": 1, "response": {"selected": ["A"]}, "client_answer_id": "g1"}
    reply = client.post(
        f"/api/v1/quiz-sessions/{opened['id']}/answers/batch",
        json={"answers": ["junk", None, [1, 2], good]},
        headers=setup["learner"],
    )
    assert reply.status_code == 200, reply.get_json()
    assert [o["status"] for o in reply.get_json()["results"]] == [
        "rejected",
        "rejected",
        "rejected",
        "saved",
    ]
