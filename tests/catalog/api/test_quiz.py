"""Quiz templates and sessions: drawing, frozen versions, feedback policies, answers from flaky
networks, deadlines, expiry, grading and attempts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient

from catalog.accounts.models import Organisation, Role, User
from catalog.clock import utcnow
from catalog.database import db
from catalog.quiz.models import QuizSession
from tests.support.quizzing import answer, label_of, start, template


def test_templates_say_which_section_the_banks_cannot_fill(
    client: FlaskClient, setup: dict
) -> None:
    response = template(
        client,
        setup,
        sections=[
            {"points": 2, "count": 3, "bank_ids": [setup["bank"]]},
            {"points": 5, "count": 4, "bank_ids": [setup["bank"]], "types": ["multiple_choice"]},
        ],
    )
    assert response.status_code == 422
    problems = response.get_json()["error"]["details"]["sections"]
    assert list(problems) == ["section 2"]
    assert "缺 3 道" in problems["section 2"][0]
    assert (
        client.post(
            "/api/v1/quiz-templates",
            json={"title": "x", "mode": "exam", "sections": [{"points": 1}]},
            headers=setup["editor"],
        ).status_code
        == 422
    )
    assert (
        client.post("/api/v1/quiz-templates", json={}, headers=setup["learner"]).status_code == 403
    )


def test_practice_gives_feedback_after_each_answer(client: FlaskClient, setup: dict) -> None:
    tid = template(client, setup).get_json()["id"]
    session = start(client, setup, tid).get_json()
    assert len(session["items"]) == 3 and session["max_score"] == 6
    assert all(i["answer"] is None and i["explanation"] is None for i in session["items"])
    assert {i["text_format"] for i in session["items"]} == {"plain"}  # how to show the stem
    first = session["items"][0]
    saved = answer(client, setup, session["id"], 1, [label_of(first, "断开电源")], "a1").get_json()
    assert saved["revealed"] and saved["score"] == 2
    assert saved["answer"] == {"correct": [label_of(first, "断开电源")]}
    assert saved["explanation"].startswith("解析")
    # The others stay hidden until answered.
    again = client.get(f"/api/v1/quiz-sessions/{session['id']}", headers=setup["learner"])
    assert [i["revealed"] for i in again.get_json()["items"]] == [True, False, False]


def test_exam_keys_never_leave_before_submission(client: FlaskClient, setup: dict) -> None:
    tid = template(
        client,
        setup,
        mode="exam",
        time_limit_seconds=600,
        shuffle_options=True,
        shuffle_questions=True,
    ).get_json()["id"]
    session = start(client, setup, tid).get_json()
    saved = answer(client, setup, session["id"], 1, ["A"], "x1")
    assert saved.get_json()["answer"] is None
    body = client.get(f"/api/v1/quiz-sessions/{session['id']}", headers=setup["learner"])
    text = body.get_data(as_text=True)
    assert "解析" not in text and '"correct"' not in text
    assert body.get_json()["result"] is None
    assert 0 < body.get_json()["remaining_seconds"] <= 600
    done = client.post(f"/api/v1/quiz-sessions/{session['id']}/submit", headers=setup["learner"])
    assert all(i["answer"] is not None for i in done.get_json()["items"])


def test_shuffled_options_are_graded_by_their_meaning(client: FlaskClient, setup: dict) -> None:
    tid = template(client, setup, mode="exam", shuffle_options=True).get_json()["id"]
    session = start(client, setup, tid).get_json()
    for item in session["items"]:
        answer(
            client,
            setup,
            session["id"],
            item["position"],
            [label_of(item, "断开电源")],
            f"c{item['position']}",
        )
    result = client.post(
        f"/api/v1/quiz-sessions/{session['id']}/submit", headers=setup["learner"]
    ).get_json()["result"]
    assert result["score"] == 6 and result["passed"] is True
    assert result["knowledge_points"] == {"停电作业": 1.0}


def test_answers_from_flaky_networks_are_idempotent(client: FlaskClient, setup: dict) -> None:
    tid = template(client, setup, mode="exam").get_json()["id"]
    sid = start(client, setup, tid).get_json()["id"]
    first = answer(client, setup, sid, 1, ["A"], "same-id")
    retry = answer(client, setup, sid, 1, ["A"], "same-id")  # a replay: nothing changes
    assert first.status_code == retry.status_code == 200
    assert retry.get_json()["response"] == {"selected": ["A"]} and retry.get_json()["stands"]
    # Other content under the same id is no replay: refused, as statements are (409).
    reused = answer(client, setup, sid, 1, ["C"], "same-id")
    assert reused.status_code == 409 and reused.get_json()["error"]["code"] == "answer_id_reused"
    # Two devices saving the same position: the later save stands.
    answer(client, setup, sid, 1, ["B"], "phone")
    answer(client, setup, sid, 1, ["C"], "tablet")
    resumed = client.get(f"/api/v1/quiz-sessions/{sid}", headers=setup["learner"]).get_json()
    assert resumed["items"][0]["response"] == {"selected": ["C"]}


def _move_deadline(sid: str, seconds_ago: float) -> None:
    session = db.session.get(QuizSession, sid)
    session.deadline_at = utcnow() - timedelta(seconds=seconds_ago)
    db.session.commit()


def test_the_deadline_with_its_grace(client: FlaskClient, setup: dict) -> None:
    tid = template(client, setup, mode="exam", time_limit_seconds=60).get_json()["id"]
    sid = start(client, setup, tid).get_json()["id"]
    _move_deadline(sid, 0)  # exactly at the deadline
    assert answer(client, setup, sid, 1, ["B"], "at").status_code == 200
    _move_deadline(sid, 3)  # within the grace of 5 s
    assert answer(client, setup, sid, 2, ["B"], "grace").status_code == 200
    _move_deadline(sid, 6)  # just after
    late = answer(client, setup, sid, 3, ["B"], "late")
    assert late.status_code == 409
    assert "server_time" in late.get_json()["error"]["details"]
    state = client.get(f"/api/v1/quiz-sessions/{sid}", headers=setup["learner"]).get_json()
    assert state["status"] == "expired"
    assert state["result"]["score"] == 4  # graded with what was saved


def test_expiry_without_answers_scores_zero(client: FlaskClient, setup: dict) -> None:
    tid = template(client, setup, mode="exam", time_limit_seconds=60).get_json()["id"]
    sid = start(client, setup, tid).get_json()["id"]
    _move_deadline(sid, 120)
    state = client.get(f"/api/v1/quiz-sessions/{sid}", headers=setup["learner"]).get_json()
    assert state["status"] == "expired"
    assert state["result"]["score"] == 0 and state["result"]["passed"] is False


def test_submitting_twice_is_harmless(client: FlaskClient, setup: dict) -> None:
    tid = template(client, setup, mode="exam").get_json()["id"]
    sid = start(client, setup, tid).get_json()["id"]
    answer(client, setup, sid, 1, ["A"], "w")
    first = client.post(f"/api/v1/quiz-sessions/{sid}/submit", headers=setup["learner"])
    second = client.post(f"/api/v1/quiz-sessions/{sid}/submit", headers=setup["learner"])
    assert first.get_json()["result"] == second.get_json()["result"]
    assert answer(client, setup, sid, 2, ["B"], "after").status_code == 409


def test_exam_attempts_and_one_active_attempt(client: FlaskClient, setup: dict) -> None:
    tid = template(client, setup, mode="exam", attempts_allowed=2).get_json()["id"]
    first = start(client, setup, tid).get_json()["id"]
    assert start(client, setup, tid).get_json()["id"] == first  # resumed, not doubled
    client.post(f"/api/v1/quiz-sessions/{first}/submit", headers=setup["learner"])
    second = start(client, setup, tid).get_json()
    assert second["attempt"] == 2
    client.post(f"/api/v1/quiz-sessions/{second['id']}/submit", headers=setup["learner"])
    refused = start(client, setup, tid)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "no_attempts_left"


def test_the_window_is_enforced(client: FlaskClient, setup: dict) -> None:
    later = (utcnow() + timedelta(days=1)).isoformat()
    tid = template(client, setup, opens_at=later).get_json()["id"]
    assert start(client, setup, tid).get_json()["error"]["code"] == "closed"


def test_versions_are_frozen_and_unseen_questions_preferred(
    client: FlaskClient, setup: dict
) -> None:
    tid = template(client, setup).get_json()["id"]
    first = start(client, setup, tid).get_json()
    drawn = {i["question_id"] for i in first["items"]}
    # Editing a drawn question makes a new version; the session keeps the one it drew.
    qid = first["items"][0]["question_id"]
    client.patch(
        f"/api/v1/questions/{qid}",
        json={"stem": "改过的题干：停电检修时首先？"},
        headers=setup["editor"],
    )
    again = client.get(f"/api/v1/quiz-sessions/{first['id']}", headers=setup["learner"])
    assert again.get_json()["items"][0]["stem"] != "改过的题干：停电检修时首先？"
    second = start(client, setup, tid).get_json()
    assert {i["question_id"] for i in second["items"]}.isdisjoint(drawn)  # 6 questions, 3 seen


def test_sessions_are_private(
    client: FlaskClient, setup: dict, login_as: Callable[..., dict]
) -> None:
    tid = template(client, setup).get_json()["id"]
    sid = start(client, setup, tid).get_json()["id"]
    other = login_as(Role.LEARNER)
    assert client.get(f"/api/v1/quiz-sessions/{sid}", headers=other).status_code == 404
    assert client.post(f"/api/v1/quiz-sessions/{sid}/submit", headers=other).status_code == 404


def test_partial_credit_for_multiple_choice(client: FlaskClient, setup: dict) -> None:
    tid = template(
        client,
        setup,
        mode="exam",
        choice_partial=True,
        choice_share=0.5,
        sections=[{"points": 4, "question_ids": [setup["multi"]]}],
    ).get_json()["id"]
    session = start(client, setup, tid).get_json()
    item = session["items"][0]
    answer(client, setup, session["id"], 1, [label_of(item, "绝缘手套")], "p")
    result = client.post(
        f"/api/v1/quiz-sessions/{session['id']}/submit", headers=setup["learner"]
    ).get_json()["result"]
    assert result["score"] == 2


def test_batch_answers_after_a_stretch_offline(client: FlaskClient, setup: dict) -> None:
    tid = template(client, setup, mode="exam", time_limit_seconds=600).get_json()["id"]
    sid = start(client, setup, tid).get_json()["id"]
    answer(client, setup, sid, 1, ["A"], "already-sent")
    batch = client.post(
        f"/api/v1/quiz-sessions/{sid}/answers/batch",
        headers=setup["learner"],
        json={
            "answers": [
                {
                    "position": 1,
                    "response": {"selected": ["A"]},
                    "client_answer_id": "already-sent",
                },
                {"position": 2, "response": {"selected": ["B"]}, "client_answer_id": "offline-2"},
                {"position": 9, "response": {"selected": ["B"]}, "client_answer_id": "offline-9"},
                {"position": 3, "response": {"selected": ["C"]}, "client_answer_id": "offline-3"},
            ]
        },
    )
    assert batch.status_code == 200
    assert [(r["position"], r["status"]) for r in batch.get_json()["results"]] == [
        (1, "duplicate"),
        (2, "saved"),
        (9, "rejected"),
        (3, "saved"),
    ]
    state = client.get(f"/api/v1/quiz-sessions/{sid}", headers=setup["learner"]).get_json()
    assert [i["response"] for i in state["items"]] == [
        {"selected": ["A"]},
        {"selected": ["B"]},
        {"selected": ["C"]},
    ]


def test_overdue_sessions_are_graded_by_the_periodic_task(client: FlaskClient, setup: dict) -> None:
    from catalog.quiz.results import expire_overdue

    tid = template(client, setup, mode="exam", time_limit_seconds=60).get_json()["id"]
    sid = start(client, setup, tid).get_json()["id"]
    answer(client, setup, sid, 1, ["B"], "one")
    _move_deadline(sid, 30)
    assert expire_overdue() == 1
    session = db.session.get(QuizSession, sid)
    assert session.status.value == "expired"
    assert session.result["score"] == 2  # the saved answer (B is right in every question) counts
    assert expire_overdue() == 0


def test_item_statistics_follow_graded_sessions(
    client: FlaskClient,
    setup: dict,
    make_user: Callable[..., User],
    login: Callable[[User], dict],
) -> None:
    """Strong learners answer the question right, weak ones wrong: it discriminates."""
    org = db.session.scalar(db.select(Organisation).where(Organisation.code == "quiz-org"))
    fixed = [setup["ids"][0], setup["ids"][1]]
    tid = template(
        client, setup, mode="exam", sections=[{"points": 1, "question_ids": fixed}]
    ).get_json()["id"]
    for strong in (True, True, False, False):
        learner = login(make_user(Role.LEARNER, organisation=org))
        session = client.post(f"/api/v1/quiz-templates/{tid}/sessions", headers=learner).get_json()
        for item in session["items"]:
            right = label_of(item, "断开电源")
            wrong = label_of(item, "验电")
            choice = right if strong or item["question_id"] == fixed[1] else wrong
            client.put(
                f"/api/v1/quiz-sessions/{session['id']}/answers/{item['position']}",
                json={"response": {"selected": [choice]}, "client_answer_id": "x"},
                headers=learner,
            )
        client.post(f"/api/v1/quiz-sessions/{session['id']}/submit", headers=learner)
    page = client.get(
        f"/api/v1/banks/{setup['bank']}/questions?limit=50", headers=setup["editor"]
    ).get_json()
    stats = {q["id"]: q["statistics"] for q in page["items"]}
    assert stats[fixed[0]] == {"attempts": 4, "share_correct": 0.5, "discrimination": 1.0}
    # Everyone got the second one right: it cannot tell strong from weak.
    assert stats[fixed[1]] == {"attempts": 4, "share_correct": 1.0, "discrimination": None}
    assert stats[setup["ids"][5]] is None  # never asked


def test_only_the_organisation_may_take_its_quizzes(
    client: FlaskClient, setup: dict, login_as: Callable[..., dict]
) -> None:
    tid = template(client, setup).get_json()["id"]
    outsider = login_as(Role.LEARNER)  # another organisation
    assert (
        client.post(f"/api/v1/quiz-templates/{tid}/sessions", headers=outsider).status_code == 404
    )


def test_learners_list_the_quizzes_of_their_organisation(
    client: FlaskClient, setup: dict, login_as: Callable[..., dict]
) -> None:
    practice = template(client, setup, title="练习卷").get_json()["id"]
    exam = template(client, setup, title="考试卷", mode="exam").get_json()["id"]
    listed = client.get("/api/v1/quiz-templates", headers=setup["learner"]).get_json()
    assert [t["id"] for t in listed["items"]] == [exam, practice] and listed["total"] == 2
    only = client.get("/api/v1/quiz-templates?mode=practice", headers=setup["learner"])
    assert [t["title"] for t in only.get_json()["items"]] == ["练习卷"]
    outsider = login_as(Role.LEARNER)  # another organisation sees none of them
    assert client.get("/api/v1/quiz-templates", headers=outsider).get_json()["items"] == []
    refused = client.get("/api/v1/quiz-templates?mode=daily", headers=setup["learner"])
    assert refused.status_code == 422


def test_passing_a_level_exam_records_a_certificate(
    client: FlaskClient, setup: dict, make_industry: Callable
) -> None:
    make_industry("power", "电力", occupation="6-28-01-14")
    tid = template(
        client, setup, mode="exam", occupation="6-28-01-14", skill_level=4, pass_mark=60
    ).get_json()["id"]
    for attempt, good in ((1, False), (2, True)):
        session = start(client, setup, tid).get_json()
        for item in session["items"]:
            choice = label_of(item, "断开电源" if good else "验电")
            answer(client, setup, session["id"], item["position"], [choice], f"{attempt}")
        client.post(f"/api/v1/quiz-sessions/{session['id']}/submit", headers=setup["learner"])
        client.post(f"/api/v1/quiz-sessions/{session['id']}/submit", headers=setup["learner"])
    certificates = client.get("/api/v1/me/certificates", headers=setup["learner"]).get_json()
    assert len(certificates) == 1  # the failed attempt earns none; a second submit no other
    [certificate] = certificates
    assert (certificate["occupation"], certificate["skill_level"], certificate["score"]) == (
        "6-28-01-14",
        4,
        6,
    )
    assert len(certificate["verification_code"]) == 12
    bad = template(client, setup, mode="exam", occupation="9-99-99-99")
    assert bad.status_code == 422


def test_rule_sections_filter_by_type_difficulty_knowledge_point_and_tag(
    client: FlaskClient, setup: dict
) -> None:
    tagged = setup["ids"][0]
    client.post(
        f"/api/v1/banks/{setup['bank']}/questions/bulk",
        json={"ids": [tagged], "action": "add_tags", "value": ["必考"]},
        headers=setup["editor"],
    )
    rules = [
        ({"knowledge_points": ["工器具"]}, {setup["multi"]}),
        ({"tags": ["必考"]}, {tagged}),
        ({"types": ["multiple_choice"]}, {setup["multi"]}),
        ({"difficulty_min": 2, "difficulty_max": 2}, set(setup["ids"])),
    ]
    for rule, allowed in rules:
        count = min(len(allowed), 3)
        section = {"points": 1, "count": count, "bank_ids": [setup["bank"]], **rule}
        created = template(client, setup, sections=[section])
        assert created.status_code == 201, (rule, created.get_json())
        session = start(client, setup, created.get_json()["id"]).get_json()
        assert {i["question_id"] for i in session["items"]} <= allowed, rule
    too_hard = {"points": 1, "count": 1, "bank_ids": [setup["bank"]], "difficulty_min": 5}
    refused = template(client, setup, sections=[too_hard])
    assert refused.status_code == 422
    assert "缺 1 道" in refused.get_json()["error"]["details"]["sections"]["section 1"][0]
