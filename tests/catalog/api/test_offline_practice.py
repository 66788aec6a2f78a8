"""Practice packs and practice done offline: listed for the learner who may practise them,
recorded once, graded on the server, and bounded in what a phone can claim."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

from catalog.accounts.models import Organisation, Role, User
from catalog.clock import utcnow
from tests.support.quizzing import build_bank

OFFLINE = "/api/v1/me/offline-practice"


def practice(s: dict[str, Any], *answers: tuple[int, list[str]], **extra: Any) -> dict[str, Any]:
    body = {
        "client_id": str(uuid.uuid4()),
        "bank_id": s["bank"],
        "started_at": (utcnow() - timedelta(minutes=10)).isoformat(),
        "answers": [
            {
                "question_id": question,
                "version": 1,
                "response": {"selected": chosen},
                "client_answered_at": (utcnow() - timedelta(minutes=5)).isoformat(),
            }
            for question, chosen in answers
        ],
    }
    body.update(extra)
    return body


def exam_only_question(client: FlaskClient, s: dict[str, Any]) -> int:
    """A published question of the bank that only exams may ask: never practised."""
    question = client.post(
        f"/api/v1/banks/{s['bank']}/questions",
        headers=s["editor"],
        json={
            "type": "true_false",
            "stem": "考试专用题",
            "answer": {"correct": True},
            "usage": "exam",
        },
    ).get_json()["id"]
    client.post(
        f"/api/v1/banks/{s['bank']}/questions/bulk",
        headers=s["editor"],
        json={"ids": [question], "action": "publish"},
    )
    return int(question)


def test_packs_are_listed_for_the_learners_who_practise_them(
    client: FlaskClient,
    setup: dict[str, Any],
    make_org: Callable[..., Organisation],
    login_as: Callable[..., dict],
) -> None:
    assert client.get("/api/v1/me/practice-packs", headers=setup["learner"]).get_json() == []
    client.post(f"/api/v1/banks/{setup['bank']}/publish", headers=setup["editor"])
    [pack] = client.get("/api/v1/me/practice-packs", headers=setup["learner"]).get_json()
    assert pack["bank_id"] == setup["bank"] and pack["question_count"] == 7
    stranger = login_as(Role.LEARNER, organisation=make_org(code="other-co"))
    assert client.get("/api/v1/me/practice-packs", headers=stranger).get_json() == []


def test_an_offline_practice_is_graded_here_and_recorded_once(
    client: FlaskClient, setup: dict[str, Any]
) -> None:
    right, wrong = setup["ids"][0], setup["ids"][1]
    body = practice(setup, (right, ["B"]), (wrong, ["A"]), (setup["multi"], ["A", "B"]))
    first = client.post(OFFLINE, json=body, headers=setup["learner"])
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["refused"] == []
    session = first.get_json()["session"]
    assert session["mode"] == "practice" and session["status"] == "submitted"
    assert session["result"]["score"] == 2 and session["max_score"] == 3
    assert [i["score"] for i in session["items"]] == [1.0, 0.0, 1.0]
    # the phone lost the answer and sent it again, twice at once or later: one session
    again = client.post(OFFLINE, json=body, headers=setup["learner"])
    assert again.get_json()["session"]["id"] == session["id"]
    # the same id with other answers is not the same practice: refused, never merged
    other = {**body, "answers": body["answers"][:1]}
    other["answers"] = [{**other["answers"][0], "response": {"selected": ["A"]}}]
    conflict = client.post(OFFLINE, json=other, headers=setup["learner"])
    assert conflict.status_code == 409
    assert conflict.get_json()["error"]["code"] == "client_id_reused"
    mine = client.get("/api/v1/me/quiz-sessions", headers=setup["learner"]).get_json()["items"]
    assert [s["id"] for s in mine] == [session["id"]]
    assert mine[0]["title"].startswith("离线练习")
    # the wrong one joined the mistakes book
    book = client.get("/api/v1/me/mistakes", headers=setup["learner"]).get_json()
    assert [m["question_id"] for m in book["items"]] == [wrong]


def test_a_phone_cannot_claim_what_the_server_cannot_vouch_for(
    client: FlaskClient,
    setup: dict[str, Any],
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    login: Callable[[User], dict],
) -> None:
    learner, q = setup["learner"], setup["ids"][0]
    refusals = {
        "a score of its own": practice(setup, (q, ["B"]), score=100),
        "a future start": practice(
            setup, (q, ["B"]), started_at=(utcnow() + timedelta(hours=2)).isoformat()
        ),
        "a start long ago": practice(
            setup, (q, ["B"]), started_at=(utcnow() - timedelta(days=400)).isoformat()
        ),
        "a version never written": {
            **practice(setup),
            "answers": [{"question_id": q, "version": 9, "response": {"selected": ["B"]}}],
        },
        "the same question twice": practice(setup, (q, ["B"]), (q, ["A"])),
        "no answers": practice(setup),
        "an answer of the wrong shape": practice(setup, (q, ["B"]))
        | {
            "answers": [
                {"question_id": q, "version": 1, "response": {"selected": ["B"], "extra": 1}}
            ]
        },
        "an option that does not exist": practice(setup, (q, ["Z"])),
        "a hundred thousand labels": practice(setup, (q, ["A"] * 100_000)),
    }
    for what, body in refusals.items():
        response = client.post(OFFLINE, json=body, headers=learner)
        assert response.status_code == 422, (what, response.get_json())
    # another organisation's bank is not acknowledged; an exam-only question is not practised
    other = make_org(code="other-co")
    other_editor = login(make_user(Role.EDITOR, organisation=other))
    theirs = build_bank(client, other_editor, name="他人题库")
    foreign = practice(theirs, (theirs["ids"][0], ["B"]))
    assert client.post(OFFLINE, json=foreign, headers=learner).status_code == 404
    exam_only = exam_only_question(client, setup)
    body = {
        **practice(setup),
        "answers": [{"question_id": exam_only, "version": 1, "response": {"value": True}}],
    }
    refused = client.post(OFFLINE, json=body, headers=learner)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "not_practisable"
    # with questions still practisable, those are recorded and the other one named
    mixed = practice(setup, (q, ["B"]))
    mixed["answers"].append({"question_id": exam_only, "version": 1, "response": {"value": True}})
    partly = client.post(OFFLINE, json=mixed, headers=learner).get_json()
    assert [r["question_id"] for r in partly["refused"]] == [exam_only]
    assert [i["question_id"] for i in partly["session"]["items"]] == [q]
    # the retry of it (its reply may have been lost) says the same; one answer more is not it
    retried = client.post(OFFLINE, json=mixed, headers=learner).get_json()
    assert [r["question_id"] for r in retried["refused"]] == [exam_only]
    assert retried["session"]["id"] == partly["session"]["id"]
    more = {
        **mixed,
        "answers": [*mixed["answers"], practice(setup, (setup["ids"][2], ["B"]))["answers"][0]],
    }
    assert client.post(OFFLINE, json=more, headers=learner).status_code == 409
    # a question of another bank is refused in the same words whether it exists or not, and
    # its response is never read (it told the question's type and options)
    for stranger_id in (theirs["ids"][0], 999_999):
        probe = practice(setup, (stranger_id, ["Z"]))
        refused_probe = client.post(OFFLINE, json=probe, headers=learner)
        assert refused_probe.status_code == 422
        assert "not in this pack" in json.dumps(refused_probe.get_json())
    # someone else's practice id is theirs: the same client id records a session of mine
    mine = practice(setup, (q, ["B"]))
    other_learner = login(make_user(Role.LEARNER, organisation=other))
    client.post(OFFLINE, json=foreign | {"client_id": mine["client_id"]}, headers=other_learner)
    assert (
        client.post(OFFLINE, json=mine, headers=learner).get_json()["session"]["result"]["score"]
        == 1
    )


def test_a_malformed_answer_is_named_by_its_place_in_the_request(
    client: FlaskClient, setup: dict[str, Any]
) -> None:
    """The phone sends the practice again without the answers named malformed, so the place
    named must be the answer's place in what it sent, even when an answer before it was left
    out as no longer practisable (CI: a 确定 pressed with nothing chosen lost a whole practice)."""
    client.post(f"/api/v1/banks/{setup['bank']}/publish", headers=setup["editor"])
    exam_only = exam_only_question(client, setup)
    body = practice(setup, (setup["ids"][0], ["B"]), (setup["ids"][1], []))
    body["answers"].insert(0, {"question_id": exam_only, "version": 1, "response": {"value": True}})
    refused = client.post(OFFLINE, json=body, headers=setup["learner"])
    assert refused.status_code == 422
    assert list(refused.get_json()["error"]["details"]["json"]["answers"]) == ["2"]
    # what the phone sends next, without it, is recorded
    body["answers"].pop(2)
    kept = client.post(OFFLINE, json=body, headers=setup["learner"])
    assert kept.status_code == 201, kept.get_json()
    assert [i["question_id"] for i in kept.get_json()["session"]["items"]] == [setup["ids"][0]]
