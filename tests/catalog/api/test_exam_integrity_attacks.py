"""What an attacker found after the visibility rule was built (issue 14, second round): each
finding reproduced, and what happens now."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalog.accounts.models import Organisation, Role, User
from catalog.clock import utcnow
from catalog.database import db
from catalog.quiz import answering, results
from catalog.quiz.models import QuizSession, ReviewCard, SessionStatus
from tests.support.concurrency import at_once
from tests.support.quizzing import build_bank, start, template

API = "/api/v1"


def test_parallel_starts_take_one_attempt(app: Flask, client: FlaskClient, setup: dict) -> None:
    """Twelve phones starting a single-attempt exam at once opened three sessions (and two
    certificates); sixteen starts of a contest gave one learner two entries."""
    exam = template(client, setup, mode="exam", attempts_allowed=1).get_json()["id"]
    now = utcnow()
    contest = template(
        client,
        setup,
        mode="contest",
        opens_at=(now - timedelta(minutes=1)).isoformat(),
        closes_at=(now + timedelta(hours=1)).isoformat(),
    ).get_json()["id"]
    for paper in (exam, contest):
        url = f"{API}/quiz-templates/{paper}/sessions"
        phones = [app.test_client() for _ in range(12)]
        replies = at_once(*[lambda c=c, u=url: c.post(u, headers=setup["learner"]) for c in phones])
        assert {r.status_code for r in replies} == {201}
        assert len({r.get_json()["id"] for r in replies}) == 1  # the same session, resumed
    sessions = db.session.scalars(db.select(QuizSession)).all()
    assert sorted(s.attempt for s in sessions) == [1, 1]


def test_parallel_review_starts_open_one_review(
    app: Flask, client: FlaskClient, setup: dict
) -> None:
    paper = template(client, setup, sections=[{"points": 1, "question_ids": setup["ids"][:2]}])
    session = start(client, setup, paper.get_json()["id"]).get_json()
    for item in session["items"]:  # wrong answers open cards
        label = next(o["label"] for o in item["options"] if o["text"] == "验电")
        client.put(
            f"{API}/quiz-sessions/{session['id']}/answers/{item['position']}",
            json={"response": {"selected": [label]}, "client_answer_id": f"w{item['position']}"},
            headers=setup["learner"],
        )
    db.session.execute(db.update(ReviewCard).values(due_at=utcnow()))
    db.session.commit()
    phones = [app.test_client() for _ in range(8)]
    replies = at_once(
        *[lambda c=c: c.post(f"{API}/me/review-sessions", headers=setup["learner"]) for c in phones]
    )
    assert len({r.get_json()["id"] for r in replies}) == 1


@pytest.fixture
def alliance(
    client: FlaskClient,
    setup: dict,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
) -> dict[str, Any]:
    """An alliance whose bank is shared with the setup's organisation (a member)."""
    org = make_org(code="alliance")
    editor = login(make_user(Role.EDITOR, organisation=org))
    learner = login(make_user(Role.LEARNER, organisation=org))
    made = build_bank(client, editor, name="联盟题库")
    member = db.session.get(Organisation, setup["org"])
    assert member is not None
    shared = client.patch(
        f"{API}/banks/{made['bank']}", json={"shared_with": [member.code]}, headers=editor
    )
    assert shared.status_code == 200, shared.get_json()
    return {"editor": editor, "learner": learner, **made}


def test_a_members_exam_does_not_freeze_the_alliances_bank(
    client: FlaskClient, setup: dict, alliance: dict
) -> None:
    """A member's exam dated 2036 made the owner's own practice paper answer 409 for years."""
    question = alliance["ids"][0]
    own_practice = template(
        client, alliance, sections=[{"points": 1, "question_ids": [question]}]
    ).get_json()["id"]
    far = utcnow().replace(year=2036)
    members_exam = template(
        client,
        setup,
        mode="exam",
        opens_at=far.isoformat(),
        closes_at=(far + timedelta(days=30)).isoformat(),
        sections=[{"points": 1, "question_ids": [question]}],
    )
    assert members_exam.status_code == 201, members_exam.get_json()
    assert start(client, alliance, own_practice).status_code == 201  # the owner practises on
    members_practice = template(client, setup, sections=[{"points": 1, "question_ids": [question]}])
    assert members_practice.status_code == 422  # the member's own exam holds it, for them
    snapshot = client.get(f"{API}/banks/{alliance['bank']}/snapshot", headers=setup["learner"])
    client.post(f"{API}/banks/{alliance['bank']}/publish", headers=alliance["editor"])
    snapshot = client.get(f"{API}/banks/{alliance['bank']}/snapshot", headers=setup["learner"])
    assert snapshot.status_code == 409
    assert snapshot.get_json()["error"]["code"] == "snapshot_withheld"
    owners = client.get(f"{API}/banks/{alliance['bank']}/snapshot", headers=alliance["learner"])
    assert owners.status_code == 200 and owners.get_json()["question_count"] == 7


def test_no_total_tells_a_held_answer(client: FlaskClient, setup: dict) -> None:
    """A session opened before a contest held its question told, by its total, whether the
    answer was right."""
    question = setup["ids"][0]
    practice = template(
        client,
        setup,
        feedback_policy="after_submit",
        sections=[{"points": 1, "question_ids": [question]}],
    )
    session = start(client, setup, practice.get_json()["id"]).get_json()
    now = utcnow()
    contest = template(
        client,
        setup,
        mode="contest",
        opens_at=(now - timedelta(minutes=1)).isoformat(),
        closes_at=(now + timedelta(hours=1)).isoformat(),
        sections=[{"points": 1, "question_ids": [question]}],
    )
    assert contest.status_code == 201
    item = session["items"][0]
    right = next(o["label"] for o in item["options"] if o["text"] == "断开电源")
    client.put(
        f"{API}/quiz-sessions/{session['id']}/answers/1",
        json={"response": {"selected": [right]}, "client_answer_id": "r"},
        headers=setup["learner"],
    )
    graded = client.post(f"{API}/quiz-sessions/{session['id']}/submit", headers=setup["learner"])
    assert graded.status_code == 200
    body = graded.get_json()
    assert body["status"] == "submitted" and body["result"] is None
    assert body["items"][0]["score"] is None and body["items"][0]["answer"] is None


def test_an_answer_arriving_during_grading_is_refused(app: Flask, setup: dict) -> None:
    """An answer sent while the session was being submitted got 200, stood, and was never
    graded."""
    learner = db.session.get(User, _user_id(app, setup["learner"]))
    paper = _paper_id(app, setup)
    from catalog.quiz import sessions

    session_id = sessions.start(learner, paper).id
    claimed, answered = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def submit() -> None:
        with app.app_context():
            session = db.session.get(QuizSession, session_id)
            assert results.grade_session(session, SessionStatus.SUBMITTED) is not None
            claimed.set()
            answered.wait(timeout=1)  # the answer is in flight while grading holds the claim
            db.session.commit()

    def answer() -> None:
        claimed.wait(timeout=5)
        with app.app_context():
            user = db.session.get(User, learner.id)
            try:
                answering.save_answer(user, session_id, 1, {"selected": ["A"]}, "late", None)
                outcome["saved"] = True
            except Exception as refusal:
                outcome["refused"] = getattr(refusal, "code", repr(refusal))
            answered.set()

    threads = [threading.Thread(target=submit), threading.Thread(target=answer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcome == {"refused": "session_closed"}
    db.session.expire_all()
    stored = db.session.get(QuizSession, session_id)
    assert stored is not None and stored.items[0].response is None


def _user_id(app: Flask, headers: dict[str, str]) -> int:
    me = app.test_client().get(f"{API}/me", headers=headers).get_json()
    return int(me["id"])


def _paper_id(app: Flask, setup: dict) -> int:
    made = template(app.test_client(), setup, mode="exam", feedback_policy="after_submit")
    return int(made.get_json()["id"])


def test_offset_less_times_are_422_and_a_batch_keeps_its_good_answers(
    client: FlaskClient, setup: dict
) -> None:
    """A device time without an offset gave a 500; in a batch it lost the answers beside it."""
    paper = template(client, setup, mode="exam").get_json()["id"]
    session = start(client, setup, paper).get_json()
    url = f"{API}/quiz-sessions/{session['id']}/answers"
    naive = "2026-12-04T18:30:00"
    one = client.put(
        f"{url}/1",
        json={
            "response": {"selected": ["A"]},
            "client_answer_id": "n",
            "client_answered_at": naive,
        },
        headers=setup["learner"],
    )
    assert one.status_code == 422
    assert "client_answered_at" in json.dumps(one.get_json()["error"]["details"])
    batch = client.post(
        f"{url}/batch",
        json={
            "answers": [
                {"position": 1, "response": {"selected": ["C"]}, "client_answer_id": "ok"},
                {
                    "position": 2,
                    "response": {"selected": ["A"]},
                    "client_answer_id": "bad",
                    "client_answered_at": naive,
                },
            ]
        },
        headers=setup["learner"],
    )
    assert batch.status_code == 200
    assert [r["status"] for r in batch.get_json()["results"]] == ["saved", "rejected"]
    template_naive = template(client, setup, mode="exam", opens_at=naive)
    assert template_naive.status_code == 422


@pytest.mark.parametrize(
    "path",
    ["/me/quiz-sessions", "/me/history", "/me/credits", "/courses?sort=-published_at"],
)
@pytest.mark.parametrize(
    "forged", [["9999-12-31T23:59:59-12:00", "zz"], ["0001-01-01T00:00:00+14:00", 1], [[1], 2]]
)
def test_forged_cursors_are_422(client: FlaskClient, setup: dict, path: str, forged: Any) -> None:
    """A cursor at the calendar's ends gave a 500 on every cursor-paged list."""
    cursor = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
    joiner = "&" if "?" in path else "?"
    reply = client.get(f"{API}{path}{joiner}cursor={cursor}", headers=setup["learner"])
    assert reply.status_code == 422, reply.get_json()


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"username": "\\ud800", "password": "x"}',
        '{"username": "a", "password": NaN}',
        '{"username": "a", "password": "b", "x": Infinity}',
    ],
)
def test_bodies_no_strict_parser_would_take_are_400(client: FlaskClient, body: str) -> None:
    """Deep nesting, lone surrogates and NaN gave 500s, before sign-in."""
    reply = client.post(f"{API}/auth/token", data=body, content_type="application/json")
    assert reply.status_code == 400
    assert reply.get_json()["error"]["code"] == "bad_request"


def test_another_organisations_question_is_no_different_from_none(
    client: FlaskClient, setup: dict, make_org: Callable[..., Organisation], login_as: Callable
) -> None:
    """GET /questions/{id} said "No such bank" with the bank's id for another organisation's
    question, "No such question" for a missing one."""
    outsider = login_as(Role.EDITOR, organisation=make_org(code="elsewhere"))
    theirs = client.get(f"{API}/questions/{setup['ids'][0]}", headers=outsider)
    missing = client.get(f"{API}/questions/{2**31 - 1}", headers=outsider)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.get_json()["error"]["message"] == missing.get_json()["error"]["message"]
    assert "bank" not in json.dumps(theirs.get_json()).lower()


def test_sharing_tells_no_one_which_organisations_exist(
    client: FlaskClient, setup: dict, make_org: Callable[..., Organisation]
) -> None:
    make_org(code="exists-org")
    replies = [
        client.patch(
            f"{API}/banks/{setup['bank']}", json={"shared_with": [code]}, headers=setup["editor"]
        )
        for code in ("exists-org", "no-such-org")
    ]
    assert replies[0].status_code == 200
    assert replies[1].status_code == 422
    assert "no-such-org" not in json.dumps(replies[1].get_json())


def test_a_rewritten_snapshot_takes_its_old_links_with_it(
    app: Flask, client: FlaskClient, setup: dict
) -> None:
    """A link signed before a contest still served the old snapshot, keys and all."""
    from tests.support.presigned import call_url

    client.post(f"{API}/banks/{setup['bank']}/publish", headers=setup["editor"])
    old = client.get(f"{API}/banks/{setup['bank']}/snapshot", headers=setup["learner"]).get_json()
    assert call_url(app, "GET", old["url"]).status == 200
    now = utcnow()
    template(
        client,
        setup,
        mode="contest",
        opens_at=(now - timedelta(minutes=1)).isoformat(),
        closes_at=(now + timedelta(hours=1)).isoformat(),
        sections=[{"points": 1, "question_ids": setup["ids"][:1]}],
    )
    new = client.get(f"{API}/banks/{setup['bank']}/snapshot", headers=setup["learner"]).get_json()
    assert (
        new["version"] == old["version"] + 1 and new["question_count"] == old["question_count"] - 1
    )
    assert call_url(app, "GET", old["url"]).status == 404
