"""Daily practice, contests and their leaderboard, the mistakes book with FSRS reviews, manual
grading, and two devices answering the same question."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalog.accounts.models import Organisation, Role, User
from catalog.clock import utcnow
from catalog.database import db
from catalog.quiz.models import QuizSession, ReviewCard, SeenQuestion
from tests.support.concurrency import at_once
from tests.support.quizzing import answer, answer_all, label_of, start, template

SESSIONS = "/api/v1/quiz-sessions"


def _org(setup: dict) -> Organisation:
    organisation = db.session.get(Organisation, setup["org"])
    assert organisation is not None
    return organisation


def _link_course(client: FlaskClient, setup: dict, course_id: int) -> None:
    linked = client.patch(
        f"/api/v1/banks/{setup['bank']}", json={"course_ids": [course_id]}, headers=setup["editor"]
    )
    assert linked.status_code == 200, linked.get_json()


def _daily(client: FlaskClient, headers: dict) -> Any:
    return client.post("/api/v1/me/daily-practice", headers=headers)


# --- daily practice ------------------------------------------------------------------------


def test_daily_practice_draws_from_the_learners_courses(
    client: FlaskClient, setup: dict, make_course: Callable[..., int]
) -> None:
    refused = _daily(client, setup["learner"])
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "no_daily_questions"
    course = make_course(_org(setup))
    _link_course(client, setup, course)
    assert _daily(client, setup["learner"]).status_code == 409  # linked, but not enrolled
    enrolled = client.put(f"/api/v1/me/courses/{course}", headers=setup["learner"])
    assert enrolled.status_code in (200, 201)
    daily = _daily(client, setup["learner"])
    assert daily.status_code == 201
    body = daily.get_json()
    assert body["mode"] == "daily" and body["template_id"] is None and body["day"]
    # Ten are asked for; the bank holds seven published questions, so all seven come.
    assert len(body["items"]) == 7
    assert all(i["answer"] is None and i["explanation"] is None for i in body["items"])
    assert 0 < body["remaining_seconds"] <= 24 * 3600  # it closes at the end of the day


def test_daily_practice_is_one_session_a_day_with_the_same_questions(
    client: FlaskClient,
    setup: dict,
    make_course: Callable[..., int],
    login_as: Callable,
    make_app: Callable[..., Flask],
) -> None:
    course = make_course(_org(setup))
    _link_course(client, setup, course)
    admin = login_as(Role.ADMIN, organisation=_org(setup))
    assigned = client.post(f"/api/v1/courses/{course}/assignments", json={}, headers=admin)
    assert assigned.status_code == 201, assigned.get_json()  # the whole organisation
    first = _daily(client, setup["learner"]).get_json()
    again = _daily(client, setup["learner"]).get_json()
    assert again["id"] == first["id"]
    # The draw is seeded by learner and day: find a single choice wherever it landed.
    item = next(i for i in first["items"] if i["type"] == "single_choice")
    at = item["position"]
    saved = answer(client, setup, first["id"], at, [label_of(item, "验电")], "d1").get_json()
    assert saved["revealed"] and saved["score"] == 0  # feedback after each answer
    changed = answer(client, setup, first["id"], at, [label_of(item, "断开电源")], "d2")
    assert changed.status_code == 409  # the key is out: the answer stands
    assert changed.get_json()["error"]["code"] == "already_answered"
    client.post(f"{SESSIONS}/{first['id']}/submit", headers=setup["learner"])
    after = _daily(client, setup["learner"]).get_json()
    assert after["id"] == first["id"] and after["status"] == "submitted"  # one a day

    # Drawn again from the same state for the same learner and day, the set is the same.
    db.session.delete(db.session.get(QuizSession, first["id"]))
    db.session.execute(db.delete(SeenQuestion))
    db.session.commit()
    three = make_app(daily_practice_questions=3).test_client()
    drawn = _daily(three, setup["learner"]).get_json()
    questions = [i["question_id"] for i in drawn["items"]]
    assert len(questions) == 3
    db.session.delete(db.session.get(QuizSession, drawn["id"]))
    db.session.execute(db.delete(SeenQuestion))
    db.session.commit()
    redrawn = _daily(three, setup["learner"]).get_json()
    assert [i["question_id"] for i in redrawn["items"]] == questions

    # Tomorrow is another session.
    session = db.session.get(QuizSession, redrawn["id"])
    session.day = session.day - timedelta(days=1)
    session.deadline_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    tomorrow = _daily(client, setup["learner"]).get_json()
    assert tomorrow["id"] != redrawn["id"]
    yesterday = client.get(f"{SESSIONS}/{redrawn['id']}", headers=setup["learner"]).get_json()
    assert yesterday["status"] == "expired"  # graded at the end of its day


def test_two_phones_opening_daily_practice_at_once_share_one_session(
    app: Flask, setup: dict, make_course: Callable[..., int], client: FlaskClient
) -> None:
    course = make_course(_org(setup))
    _link_course(client, setup, course)
    client.put(f"/api/v1/me/courses/{course}", headers=setup["learner"])
    results = at_once(
        *(lambda: app.test_client().post("/api/v1/me/daily-practice", headers=setup["learner"]),)
        * 2
    )
    assert [r.status_code for r in results] == [201, 201]
    assert results[0].get_json()["id"] == results[1].get_json()["id"]
    assert db.session.scalar(db.select(db.func.count()).select_from(QuizSession)) == 1


# --- contests ------------------------------------------------------------------------------


def _window(hours: int = 2) -> dict[str, str]:
    now = utcnow()
    return {
        "opens_at": (now - timedelta(minutes=5)).isoformat(),
        "closes_at": (now + timedelta(hours=hours)).isoformat(),
    }


def test_a_contest_needs_a_window_and_admits_each_entrant_once(
    client: FlaskClient, setup: dict
) -> None:
    missing = template(client, setup, mode="contest")
    assert missing.status_code == 422
    assert {"opens_at", "closes_at"} <= set(missing.get_json()["error"]["details"]["json"])
    many = template(client, setup, mode="contest", attempts_allowed=3, **_window())
    assert "attempts_allowed" in many.get_json()["error"]["details"]["json"]
    contest = template(client, setup, mode="contest", **_window()).get_json()
    assert contest["attempts_allowed"] == 1 and contest["feedback_policy"] == "after_close"
    first = start(client, setup, contest["id"]).get_json()
    assert start(client, setup, contest["id"]).get_json()["id"] == first["id"]  # resumed
    client.post(f"{SESSIONS}/{first['id']}/submit", headers=setup["learner"])
    again = start(client, setup, contest["id"])
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "no_attempts_left"


def test_contest_entrants_share_one_paper_and_are_ranked(
    client: FlaskClient,
    setup: dict,
    make_user: Callable[..., User],
    login: Callable[[User], dict],
) -> None:
    contest = template(
        client, setup, mode="contest", shuffle_questions=True, shuffle_options=True, **_window()
    ).get_json()
    org = _org(setup)
    # name, right answers out of 3, seconds used
    entrants = [("甲", 3, 300.0), ("乙", 3, 420.0), ("丙", 3, 420.0), ("丁", 2, 100.0)]
    papers, sessions = [], {}
    for name, right, seconds in entrants:
        headers = login(make_user(Role.LEARNER, organisation=org, display_name=name))
        session = client.post(
            f"/api/v1/quiz-templates/{contest['id']}/sessions", headers=headers
        ).get_json()
        papers.append(sorted(i["question_id"] for i in session["items"]))
        for item in session["items"]:
            good = item["position"] <= right
            choice = label_of(item, "断开电源" if good else "验电")
            client.put(
                f"{SESSIONS}/{session['id']}/answers/{item['position']}",
                json={"response": {"selected": [choice]}, "client_answer_id": "c"},
                headers=headers,
            )
        stored = db.session.get(QuizSession, session["id"])
        stored.started_at = utcnow() - timedelta(seconds=seconds)
        db.session.commit()
        submitted = client.post(f"{SESSIONS}/{session['id']}/submit", headers=headers).get_json()
        assert all(not i["revealed"] and i["answer"] is None for i in submitted["items"])
        sessions[name] = (headers, session["id"])
    assert all(paper == papers[0] for paper in papers)  # one paper for everyone
    for name, (_, sid) in sessions.items():  # pin times to the second for the tie
        stored = db.session.get(QuizSession, sid)
        stored.time_used_seconds = dict((n, s) for n, _, s in entrants)[name]
    db.session.commit()

    board = client.get(
        f"/api/v1/quiz-templates/{contest['id']}/leaderboard?limit=3",
        headers=sessions["丁"][0],
    ).get_json()
    assert board["entrants"] == 4
    assert [(s["rank"], s["display_name"], s["score"]) for s in board["top"]] == [
        (1, "甲", 6),
        (2, "乙", 6),  # same score and time as 丙: the same rank
        (2, "丙", 6),
    ]
    assert board["me"]["rank"] == 4 and board["me"]["is_me"] and board["me"]["score"] == 4
    assert (
        client.get(
            f"/api/v1/quiz-templates/{contest['id']}/leaderboard?limit=0", headers=setup["learner"]
        ).status_code
        == 422
    )
    practice = template(client, setup).get_json()["id"]
    not_contest = client.get(
        f"/api/v1/quiz-templates/{practice}/leaderboard", headers=setup["learner"]
    )
    assert not_contest.status_code == 404

    # After the close, the keys come out.
    closed = db.session.get(QuizSession, sessions["甲"][1]).template
    closed.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    final = client.get(f"{SESSIONS}/{sessions['甲'][1]}", headers=sessions["甲"][0]).get_json()
    assert all(i["revealed"] and i["answer"] for i in final["items"])


def test_outsiders_see_no_leaderboard(
    client: FlaskClient, setup: dict, login_as: Callable[..., dict]
) -> None:
    contest = template(client, setup, mode="contest", **_window()).get_json()
    outsider = login_as(Role.LEARNER)
    path = f"/api/v1/quiz-templates/{contest['id']}/leaderboard"
    assert client.get(path, headers=outsider).status_code == 404


# --- the mistakes book and FSRS reviews ----------------------------------------------------


def _make_due(user_headers: dict, client: FlaskClient) -> None:
    """Time passes: every card of the caller is due."""
    me = client.get("/api/v1/me", headers=user_headers).get_json()["id"]
    for card in db.session.scalars(db.select(ReviewCard).where(ReviewCard.user_id == me)):
        card.due_at = utcnow() - timedelta(minutes=1)
    db.session.commit()


def test_mistakes_are_scheduled_with_fsrs_and_reviewed(client: FlaskClient, setup: dict) -> None:
    learner = setup["learner"]
    nothing = client.post("/api/v1/me/review-sessions", headers=learner)
    assert nothing.status_code == 409 and nothing.get_json()["error"]["code"] == "nothing_due"
    tid = template(client, setup).get_json()["id"]
    practice = start(client, setup, tid).get_json()
    wrong = []
    for item in practice["items"]:
        good = item["position"] == 1
        choice = label_of(item, "断开电源" if good else "验电")
        answer(client, setup, practice["id"], item["position"], [choice], f"p{item['position']}")
        if not good:
            wrong.append(item["question_id"])

    # FSRS asks a fresh mistake again after a short learning step, not at once.
    assert client.get("/api/v1/me/mistakes?due_only=true", headers=learner).get_json()["total"] == 0
    book = client.get("/api/v1/me/mistakes?due_only=false", headers=learner).get_json()
    assert sorted(m["question_id"] for m in book["items"]) == sorted(wrong)
    assert all(m["wrong_count"] == 1 and m["stem"] for m in book["items"])
    later = client.post("/api/v1/me/review-sessions", headers=learner).get_json()
    assert later["error"]["details"]["next_due_at"]

    _make_due(learner, client)
    due = client.get("/api/v1/me/mistakes?due_only=true", headers=learner).get_json()
    assert due["total"] == 2
    review = client.post("/api/v1/me/review-sessions", headers=learner)
    assert review.status_code == 201
    session = review.get_json()
    assert session["mode"] == "review"
    assert sorted(i["question_id"] for i in session["items"]) == sorted(wrong)
    assert all(i["answer"] is None for i in session["items"])  # no key before answering
    resumed = client.post("/api/v1/me/review-sessions", headers=learner).get_json()
    assert resumed["id"] == session["id"]
    answer_all(client, setup, session, right=True)
    client.post(f"{SESSIONS}/{session['id']}/submit", headers=learner)

    # Right this time: FSRS pushes them out; the book remembers the mistake.
    assert client.get("/api/v1/me/mistakes?due_only=true", headers=learner).get_json()["total"] == 0
    book = client.get("/api/v1/me/mistakes?due_only=false", headers=learner).get_json()
    assert all(m["reviews"] == 2 and m["wrong_count"] == 1 for m in book["items"])
    assert all(m["due_at"] > utcnow().isoformat() for m in book["items"])


def test_exam_answers_review_the_cards_too(client: FlaskClient, setup: dict) -> None:
    fixed = setup["ids"][:2]
    practice = template(client, setup, sections=[{"points": 1, "question_ids": fixed}]).get_json()[
        "id"
    ]
    session = start(client, setup, practice).get_json()
    answer_all(client, setup, session, right=False)
    exam = template(
        client, setup, mode="exam", sections=[{"points": 1, "question_ids": fixed}]
    ).get_json()["id"]
    taken = start(client, setup, exam).get_json()
    answer_all(client, setup, taken, right=False)
    client.post(f"{SESSIONS}/{taken['id']}/submit", headers=setup["learner"])
    book = client.get("/api/v1/me/mistakes?due_only=false", headers=setup["learner"]).get_json()
    assert [(m["wrong_count"], m["reviews"]) for m in book["items"]] == [(2, 2), (2, 2)]
    # Right answers to questions never missed open no card.
    other = template(
        client, setup, sections=[{"points": 1, "question_ids": setup["ids"][2:4]}]
    ).get_json()["id"]
    answer_all(client, setup, start(client, setup, other).get_json(), right=True)
    book = client.get("/api/v1/me/mistakes?due_only=false", headers=setup["learner"]).get_json()
    assert book["total"] == 2


# --- manual grading ------------------------------------------------------------------------


def _short_answer(client: FlaskClient, setup: dict) -> int:
    created = client.post(
        f"/api/v1/banks/{setup['bank']}/questions",
        headers=setup["editor"],
        json={
            "type": "short_answer",
            "stem": "简述停电作业的安全技术措施。",
            "answer": {"reference": "停电、验电、接地、悬挂标示牌和装设遮栏", "manual": True},
        },
    )
    assert created.status_code == 201, created.get_json()
    qid = created.get_json()["id"]
    client.post(
        f"/api/v1/banks/{setup['bank']}/questions/bulk",
        headers=setup["editor"],
        json={"ids": [qid], "action": "publish"},
    )
    return int(qid)


def test_short_answers_wait_for_an_editor(
    client: FlaskClient, setup: dict, login_as: Callable[..., dict]
) -> None:
    short = _short_answer(client, setup)
    tid = template(
        client,
        setup,
        mode="exam",
        pass_mark=60,
        sections=[
            {"points": 2, "question_ids": setup["ids"][:2]},
            {"points": 6, "question_ids": [short]},
        ],
    ).get_json()["id"]
    session = start(client, setup, tid).get_json()
    for item in session["items"][:2]:
        answer(client, setup, session["id"], item["position"], [label_of(item, "断开电源")], "r")
    client.put(
        f"{SESSIONS}/{session['id']}/answers/3",
        json={"response": {"text": "先停电，再验电，然后挂接地线"}, "client_answer_id": "s"},
        headers=setup["learner"],
    )
    result = client.post(f"{SESSIONS}/{session['id']}/submit", headers=setup["learner"]).get_json()
    assert result["result"]["pending_manual"] == 1
    assert result["result"]["passed"] is None  # not known until a person grades
    assert result["result"]["score"] == 4

    pending_path = f"/api/v1/banks/{setup['bank']}/pending-answers"
    assert client.get(pending_path, headers=setup["learner"]).status_code == 403
    pending = client.get(pending_path, headers=setup["editor"]).get_json()
    assert pending["total"] == 1
    [waiting] = pending["items"]
    assert waiting["response"]["text"].startswith("先停电") and waiting["answer"]["manual"]
    grade_path = f"{SESSIONS}/{session['id']}/items/3/grade"
    too_much = client.put(grade_path, json={"score": 7}, headers=setup["editor"])
    assert too_much.status_code == 422
    outsider = login_as(Role.EDITOR)
    assert client.put(grade_path, json={"score": 5}, headers=outsider).status_code == 404
    auto = client.put(
        f"{SESSIONS}/{session['id']}/items/1/grade", json={"score": 1}, headers=setup["editor"]
    )
    assert auto.status_code == 409
    graded = client.put(
        grade_path, json={"score": 5, "comment": "少了悬挂标示牌"}, headers=setup["editor"]
    )
    assert graded.status_code == 200 and graded.get_json()["score"] == 5
    final = client.get(f"{SESSIONS}/{session['id']}", headers=setup["learner"]).get_json()
    assert final["result"]["score"] == 9 and final["result"]["pending_manual"] == 0
    assert final["result"]["passed"] is True
    assert client.get(pending_path, headers=setup["editor"]).get_json()["total"] == 0
    stats = client.get(
        f"/api/v1/banks/{setup['bank']}/questions?limit=50", headers=setup["editor"]
    ).get_json()
    counted = {q["id"]: q["statistics"] for q in stats["items"]}
    assert counted[short]["attempts"] == 1  # counted once it was final


# --- two devices, one question -------------------------------------------------------------


def test_the_answer_given_last_on_a_device_stands(client: FlaskClient, setup: dict) -> None:
    tid = template(client, setup, mode="exam", time_limit_seconds=600).get_json()["id"]
    session = start(client, setup, tid).get_json()
    sid, item = session["id"], session["items"][0]
    now = utcnow()
    newer = {
        "response": {"selected": [label_of(item, "断开电源")]},
        "client_answer_id": "tablet",
        "client_answered_at": now.isoformat(),
    }
    older = {
        "response": {"selected": [label_of(item, "验电")]},
        "client_answer_id": "phone",
        "client_answered_at": (now - timedelta(seconds=30)).isoformat(),
    }
    path = f"{SESSIONS}/{sid}/answers/1"
    assert client.put(path, json=newer, headers=setup["learner"]).status_code == 200
    late = client.put(path, json=older, headers=setup["learner"])  # synced late from a phone
    assert late.status_code == 200
    assert late.get_json()["response"] == newer["response"]
    batch = client.post(
        f"{SESSIONS}/{sid}/answers/batch",
        json={"answers": [{**older, "position": 1, "client_answer_id": "phone-2"}]},
        headers=setup["learner"],
    ).get_json()
    assert batch["results"][0]["status"] == "stale"


def test_concurrent_saves_of_one_question_from_two_devices(
    app: Flask, client: FlaskClient, setup: dict
) -> None:
    tid = template(client, setup, mode="exam", time_limit_seconds=600).get_json()["id"]
    session = start(client, setup, tid).get_json()
    sid, item = session["id"], session["items"][0]
    now = utcnow()
    bodies = [
        {
            "response": {"selected": [label_of(item, text)]},
            "client_answer_id": device,
            "client_answered_at": (now + timedelta(seconds=offset)).isoformat(),
        }
        for device, text, offset in (("phone", "验电", 0), ("tablet", "断开电源", 5))
    ]
    for round_ in range(4):

        def device(body: dict, round_: int = round_) -> Any:
            sent = {**body, "client_answer_id": f"{body['client_answer_id']}-{round_}"}
            path = f"{SESSIONS}/{sid}/answers/1"
            return app.test_client().put(path, json=sent, headers=setup["learner"])

        codes = [r.status_code for r in at_once(*(lambda b=b: device(b) for b in bodies))]
        assert codes == [200, 200]
        state = client.get(f"{SESSIONS}/{sid}", headers=setup["learner"]).get_json()
        assert state["items"][0]["response"] == bodies[1]["response"]  # the later one
        bodies = [
            {**b, "client_answered_at": (utcnow() + timedelta(seconds=10 * (i + 1))).isoformat()}
            for i, b in enumerate(bodies)
        ]


# --- no key before its time, in any mode ---------------------------------------------------


def _keys_shown(body: dict) -> set[int]:
    """Positions whose key, explanation or score a response carries."""
    return {
        i["position"]
        for i in body["items"]
        if i["answer"] is not None or i["explanation"] is not None or i["score"] is not None
    }


def _open_session(
    client: FlaskClient, setup: dict, mode: str, policy: str | None, make_course: Callable
) -> dict:
    if mode == "daily":
        course = make_course(_org(setup))
        _link_course(client, setup, course)
        client.put(f"/api/v1/me/courses/{course}", headers=setup["learner"])
        return _daily(client, setup["learner"]).get_json()
    if mode == "review":
        practice = template(client, setup).get_json()["id"]
        answer_all(client, setup, start(client, setup, practice).get_json(), right=False)
        _make_due(setup["learner"], client)
        return client.post("/api/v1/me/review-sessions", headers=setup["learner"]).get_json()
    extra: dict[str, Any] = {"feedback_policy": policy} if policy else {}
    if mode == "contest":
        extra.update(_window())
    tid = template(client, setup, mode=mode, time_limit_seconds=600, **extra).get_json()["id"]
    return start(client, setup, tid).get_json()


@pytest.mark.parametrize(
    ("mode", "policy", "after_answer", "after_submit"),
    [
        ("practice", None, True, True),
        ("practice", "after_submit", False, True),
        ("exam", None, False, True),
        ("exam", "never", False, False),
        ("contest", None, False, False),  # after the close only
        ("daily", None, True, True),
        ("review", None, True, True),
    ],
)
def test_no_key_leaves_before_its_policy_allows(
    client: FlaskClient,
    setup: dict,
    make_course: Callable[..., int],
    mode: str,
    policy: str | None,
    after_answer: bool,
    after_submit: bool,
) -> None:
    learner = setup["learner"]
    session = _open_session(client, setup, mode, policy, make_course)
    sid = session["id"]
    assert session["mode"] == mode and _keys_shown(session) == set()
    first = session["items"][0]
    saved = answer(client, setup, sid, 1, [first["options"][0]["label"]], "k1").get_json()
    assert (saved["answer"] is not None) is after_answer
    batch = client.post(
        f"{SESSIONS}/{sid}/answers/batch",
        json={
            "answers": [{"position": 2, "response": {"selected": ["A"]}, "client_answer_id": "k2"}]
        },
        headers=learner,
    )
    assert '"correct"' not in batch.get_data(as_text=True)
    state = client.get(f"{SESSIONS}/{sid}", headers=learner).get_json()
    assert _keys_shown(state) == ({1, 2} if after_answer else set())
    if not after_answer:
        assert state["result"] is None
    done = client.post(f"{SESSIONS}/{sid}/submit", headers=learner).get_json()
    everything = {i["position"] for i in done["items"]}
    assert _keys_shown(done) == (everything if after_submit else set())
    again = client.get(f"{SESSIONS}/{sid}", headers=learner)
    if not after_submit:
        assert "解析" not in again.get_data(as_text=True)


def test_the_mistakes_book_lists_every_mistake_with_its_key_once_shown(
    client: FlaskClient, setup: dict
) -> None:
    """The book was empty by default (only due cards) and never showed the key, even after
    practice had revealed it (issue 16, finding 9)."""
    learner = setup["learner"]
    after_submit = template(client, setup, feedback_policy="after_submit").get_json()["id"]
    session = start(client, setup, after_submit).get_json()
    answer_all(client, setup, session, right=False)
    client.post(f"{SESSIONS}/{session['id']}/submit", headers=learner)
    book = client.get("/api/v1/me/mistakes", headers=learner).get_json()
    assert book["total"] == 3  # every mistake, not only what is due
    assert all(m["due"] is False and len(m["options"]) >= 2 for m in book["items"])
    shown = book["items"]
    for mistake in shown:
        texts = {o["label"]: o["text"] for o in mistake["options"]}
        assert [texts[label] for label in mistake["answer"]["correct"]] == ["断开电源"]
        assert mistake["explanation"] is not None
    _make_due(learner, client)
    one = db.session.scalars(db.select(ReviewCard)).first()
    one.due_at = utcnow() + timedelta(days=3)
    db.session.commit()
    ordered = client.get("/api/v1/me/mistakes", headers=learner).get_json()["items"]
    assert [m["due"] for m in ordered] == [True, True, False]  # what is due first


def test_a_mistake_made_where_keys_are_never_shown_keeps_its_key(
    client: FlaskClient, setup: dict
) -> None:
    never = template(client, setup, feedback_policy="never").get_json()["id"]
    session = start(client, setup, never).get_json()
    answer_all(client, setup, session, right=False)
    client.post(f"{SESSIONS}/{session['id']}/submit", headers=setup["learner"])
    book = client.get("/api/v1/me/mistakes", headers=setup["learner"]).get_json()["items"]
    assert book and all(m["answer"] is None and m["explanation"] is None for m in book)


def test_an_options_feedback_is_shown_only_with_its_key(client: FlaskClient, setup: dict) -> None:
    """Per-option feedback is part of the question (issue 17); it can betray the key, so a
    learner sees it only when the quiz's feedback policy shows the key."""
    bank = setup["bank"]
    body = {
        "type": "single_choice",
        "stem": "挂接地线前必须？",
        "options": [
            {"label": "A", "text": "验电", "feedback": "正确：先验电，后挂地线"},
            {"label": "B", "text": "通知调度", "feedback": "调度不能代替验电"},
        ],
        "answer": {"correct": ["A"]},
    }
    made = client.post(f"/api/v1/banks/{bank}/questions", json=body, headers=setup["editor"])
    assert made.status_code == 201, made.get_json()
    question = made.get_json()
    assert question["options"][0]["feedback"] == "正确：先验电，后挂地线"  # the editor's view
    client.post(
        f"/api/v1/banks/{bank}/questions/bulk",
        headers=setup["editor"],
        json={"ids": [question["id"]], "action": "publish"},
    )
    paper = template(
        client,
        setup,
        feedback_policy="after_submit",
        sections=[{"points": 1, "question_ids": [question["id"]]}],
    ).get_json()["id"]
    session = start(client, setup, paper).get_json()
    assert all("feedback" not in o for o in session["items"][0]["options"])
    wrong = label_of(session["items"][0], "通知调度")
    answer(client, setup, session["id"], 1, [wrong], "fb-1")
    answered = client.get(f"{SESSIONS}/{session['id']}", headers=setup["learner"]).get_json()
    assert all("feedback" not in o for o in answered["items"][0]["options"])
    mistakes = client.get("/api/v1/me/mistakes", headers=setup["learner"]).get_json()["items"]
    assert all("feedback" not in o for m in mistakes for o in m["options"])
    done = client.post(f"{SESSIONS}/{session['id']}/submit", headers=setup["learner"]).get_json()
    said = {o["text"]: o.get("feedback") for o in done["items"][0]["options"]}
    assert said == {"验电": "正确：先验电，后挂地线", "通知调度": "调度不能代替验电"}
