"""Exam integrity, as an attacker and a careless phone tried it on make run (issue 14): each
finding reproduced, and what now happens instead."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalog.accounts.models import Organisation, Role, User
from catalog.clock import utcnow
from catalog.credits.models import Certificate, CreditTransaction
from catalog.database import db
from catalog.quiz.models import QuizSession
from tests.support.concurrency import at_once
from tests.support.quizzing import answer_all, build_bank, start, template

API = "/api/v1"


@pytest.fixture
def rival(
    client: FlaskClient,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
) -> dict[str, Any]:
    """Another organisation, with its editor and a published bank."""
    org = make_org(code="rival-org")
    editor = login(make_user(Role.EDITOR, organisation=org))
    learner = login(make_user(Role.LEARNER, organisation=org))
    return {"editor": editor, "learner": learner, **build_bank(client, editor, name="外单位题库")}


def test_another_organisations_questions_cannot_be_fixed_in_a_paper(
    client: FlaskClient, setup: dict, rival: dict
) -> None:
    """Finding 1: a fixed section took any published id; the 422 told which ids existed."""
    theirs = template(client, setup, sections=[{"points": 1, "question_ids": rival["ids"][:2]}])
    nowhere = template(client, setup, sections=[{"points": 1, "question_ids": [2**31 - 1]}])
    assert theirs.status_code == nowhere.status_code == 422
    said = [r.get_json()["error"]["details"]["sections"] for r in (theirs, nowhere)]
    assert said[0]["section 1"][0].replace("2", "1") == said[1]["section 1"][0]  # same words


def test_a_bank_links_only_to_courses_its_editor_edits(
    client: FlaskClient, setup: dict, rival: dict, make_course: Callable[..., int]
) -> None:
    """Finding 2: a bank was linked to another organisation's course and fed its learners'
    daily practice."""
    course = make_course(db.session.get(Organisation, setup["org"]))
    linked = client.post(
        f"{API}/banks", json={"name": "外链题库", "course_ids": [course]}, headers=rival["editor"]
    )
    assert linked.status_code == 422
    assert client.put(f"{API}/me/courses/{course}", headers=setup["learner"]).status_code in (
        200,
        201,
    )
    daily = client.post(f"{API}/me/daily-practice", headers=setup["learner"])
    assert daily.status_code == 409  # nothing of the rival's reaches them


def test_a_live_contest_keeps_its_questions_from_reviews_and_snapshots(
    app: Flask, client: FlaskClient, setup: dict, rival: dict
) -> None:
    """Finding 3: a question of an open contest came back in a review a minute later with
    its key; another organisation's learner downloaded the snapshot holding the same key."""
    now = utcnow()
    practice = template(client, setup, sections=[{"points": 1, "question_ids": setup["ids"]}])
    session = start(client, setup, practice.get_json()["id"]).get_json()
    answer_all(client, setup, session, right=False)  # every answer wrong: cards open
    contest = template(
        client,
        setup,
        mode="contest",
        opens_at=(now - timedelta(minutes=1)).isoformat(),
        closes_at=(now + timedelta(hours=1)).isoformat(),
        sections=[{"points": 1, "question_ids": setup["ids"][:3]}],
    )
    assert contest.status_code == 201, contest.get_json()
    mistakes = client.get(f"{API}/me/mistakes?due_only=false", headers=setup["learner"])
    listed = {m["question_id"] for m in mistakes.get_json()["items"]}
    assert listed and not listed & set(setup["ids"][:3])
    client.post(f"{API}/banks/{setup['bank']}/publish", headers=setup["editor"])
    snapshot = client.get(f"{API}/banks/{setup['bank']}/snapshot", headers=rival["learner"])
    assert snapshot.status_code == 404
    mine = client.get(f"{API}/banks/{setup['bank']}/snapshot", headers=setup["learner"])
    assert mine.status_code == 200 and mine.get_json()["question_count"] == 4  # 7 minus 3


def test_a_retired_question_is_not_served_in_new_sessions(client: FlaskClient, setup: dict) -> None:
    """Finding 4: a question fixed in a template and then retired was still served."""
    paper = template(client, setup, sections=[{"points": 1, "question_ids": setup["ids"][:2]}])
    first = start(client, setup, paper.get_json()["id"])
    assert first.status_code == 201
    client.post(
        f"{API}/banks/{setup['bank']}/questions/bulk",
        json={"ids": setup["ids"][:1], "action": "retire"},
        headers=setup["editor"],
    )
    again = start(client, setup, paper.get_json()["id"])
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "template_outdated"
    kept = client.get(f"{API}/quiz-sessions/{first.get_json()['id']}", headers=setup["learner"])
    assert len(kept.get_json()["items"]) == 2  # a session already started keeps its versions


@pytest.mark.parametrize(
    "response",
    [{"selected": ["Z"]}, {"value": True}, {"selected": ["A", "B"]}, {"blanks": ["x"]}],
)
def test_a_malformed_answer_is_422_and_locks_nothing(
    client: FlaskClient, setup: dict, response: dict
) -> None:
    """Finding 5: malformed answers returned 200 and locked the question."""
    paper = template(client, setup, sections=[{"points": 1, "question_ids": setup["ids"][:1]}])
    session = start(client, setup, paper.get_json()["id"]).get_json()
    url = f"{API}/quiz-sessions/{session['id']}/answers/1"
    sent = client.put(
        url, json={"response": response, "client_answer_id": "a"}, headers=setup["learner"]
    )
    assert sent.status_code == 422 and sent.get_json()["error"]["code"] == "invalid_answer"
    fine = client.put(
        url,
        json={"response": {"selected": ["A"]}, "client_answer_id": "b"},
        headers=setup["learner"],
    )
    assert fine.status_code == 200 and fine.get_json()["stands"]


def test_device_times_are_bounded_by_the_server(client: FlaskClient, setup: dict) -> None:
    """Finding 6: an answer without device time was overwritten by one stamped an hour
    earlier (200); one stamped 9999 froze the question for good."""
    paper = template(
        client,
        setup,
        feedback_policy="after_submit",
        sections=[{"points": 1, "question_ids": setup["ids"][:2]}],
    )
    session = start(client, setup, paper.get_json()["id"]).get_json()

    def put(position: int, label: str, client_id: str, at: Any = None) -> Any:
        body: dict[str, Any] = {"response": {"selected": [label]}, "client_answer_id": client_id}
        if at is not None:
            body["client_answered_at"] = at.isoformat()
        url = f"{API}/quiz-sessions/{session['id']}/answers/{position}"
        return client.put(url, json=body, headers=setup["learner"]).get_json()

    assert put(1, "A", "no-time")["stands"]
    older = put(1, "B", "an-hour-earlier", utcnow() - timedelta(hours=1))
    assert not older["stands"] and older["response"] == {"selected": ["A"]}
    assert put(2, "A", "year-9999", utcnow().replace(year=9999))["stands"]
    assert put(2, "B", "next")["stands"] is False  # within the skew: the far clock counts as +5 min


def test_parallel_submits_of_a_level_exam_grade_once(
    app: Flask,
    client: FlaskClient,
    setup: dict,
    make_industry: Callable[..., Any],
    login: Callable[[User], dict[str, str]],
    make_user: Callable[..., User],
) -> None:
    """Finding 7: six parallel submits of a level exam gave three 500s; now eight give one
    grading, one certificate, one credit line and no 5xx."""
    org = db.session.get(Organisation, setup["org"])
    admin = login(make_user(Role.ADMIN, organisation=org))
    rule = {"kind": "certificate", "certificate_kind": "skill", "skill_level": 4, "credits": 3}
    assert client.post(f"{API}/credit-rules", json=rule, headers=admin).status_code == 201
    make_industry("power", "电力", occupation="6-28-01-14")
    exam = template(client, setup, mode="exam", occupation="6-28-01-14", skill_level=4)
    session = start(client, setup, exam.get_json()["id"]).get_json()
    answer_all(client, setup, session, right=True)
    url = f"{API}/quiz-sessions/{session['id']}/submit"
    phones = [app.test_client() for _ in range(8)]
    replies = at_once(*[lambda c=c: c.post(url, headers=setup["learner"]) for c in phones])
    assert [r.status_code for r in replies] == [200] * 8
    results = {str(r.get_json()["result"]) for r in replies}
    assert len(results) == 1  # every submit returns the same graded result
    db.session.expire_all()
    assert db.session.get(QuizSession, session["id"]).status.value == "submitted"
    certificates = db.session.scalars(
        db.select(Certificate).where(Certificate.session_id == session["id"])
    ).all()
    assert len(certificates) == 1
    lines = db.session.scalars(
        db.select(CreditTransaction).where(
            CreditTransaction.source_type == "certificate",
            CreditTransaction.source_id == str(certificates[0].id),
        )
    ).all()
    assert [line.credits for line in lines] == [3]


def test_learners_list_their_own_sessions(client: FlaskClient, setup: dict, rival: dict) -> None:
    """Finding 8: an exam started on one phone could not be found from another."""
    exam = template(client, setup, mode="exam", time_limit_seconds=600)
    running = start(client, setup, exam.get_json()["id"]).get_json()
    practice = template(client, setup)
    done = start(client, setup, practice.get_json()["id"]).get_json()
    client.post(f"{API}/quiz-sessions/{done['id']}/submit", headers=setup["learner"])
    mine = client.get(f"{API}/me/quiz-sessions", headers=setup["learner"]).get_json()
    assert [s["id"] for s in mine["items"]] == [done["id"], running["id"]]  # newest first
    exam_item = mine["items"][1]
    assert exam_item["status"] == "in_progress" and 0 < exam_item["remaining_seconds"] <= 600
    assert exam_item["score"] is None and mine["items"][0]["score"] is not None
    only = client.get(f"{API}/me/quiz-sessions?status=in_progress", headers=setup["learner"])
    assert [s["id"] for s in only.get_json()["items"]] == [running["id"]]
    paged = client.get(f"{API}/me/quiz-sessions?limit=1", headers=setup["learner"]).get_json()
    rest = client.get(
        f"{API}/me/quiz-sessions?limit=1&cursor={paged['next_cursor']}", headers=setup["learner"]
    ).get_json()
    assert [s["id"] for s in paged["items"] + rest["items"]] == [done["id"], running["id"]]
    theirs = client.get(f"{API}/me/quiz-sessions", headers=rival["learner"]).get_json()
    assert theirs["items"] == []
