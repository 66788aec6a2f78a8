"""End to end: a worker practises, passes a level exam and earns its certificate, does the
daily practice, enters a contest and finds their rank, then reviews their mistakes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient

from catalog.accounts.models import Organisation, Role, User
from catalog.banks.models import QuestionHold
from catalog.clock import utcnow
from catalog.database import db
from catalog.quiz.models import QuizTemplate, ReviewCard
from tests.support.quizzing import answer, answer_all, label_of, template

SESSIONS = "/api/v1/quiz-sessions"


def test_a_learner_from_practice_to_certificate_to_contest_to_review(
    client: FlaskClient,
    setup: dict,
    make_course: Callable[..., int],
    make_industry: Callable,
    make_user: Callable[..., User],
    login: Callable[[User], dict],
) -> None:
    learner = setup["learner"]
    org = db.session.get(Organisation, setup["org"])
    me = client.get("/api/v1/me", headers=learner).get_json()

    # 1. Practice: a wrong answer, its explanation at once, and a right one.
    practice_id = template(client, setup, title="停电作业练习").get_json()["id"]
    practice = client.post(
        f"/api/v1/quiz-templates/{practice_id}/sessions", headers=learner
    ).get_json()
    first, second, third = practice["items"]
    missed = answer(client, setup, practice["id"], 1, [label_of(first, "验电")], "p1").get_json()
    assert missed["score"] == 0 and missed["explanation"].startswith("解析")
    answer(client, setup, practice["id"], 2, [label_of(second, "断开电源")], "p2")
    answer(client, setup, practice["id"], 3, [label_of(third, "断开电源")], "p3")
    done = client.post(f"{SESSIONS}/{practice['id']}/submit", headers=learner).get_json()
    assert done["result"]["score"] == 4 and done["result"]["knowledge_points"] == {
        "停电作业": 0.667
    }

    # 2. A timed level exam: keys hidden while it runs; passing earns a certificate.
    make_industry("power", "电力", occupation="6-28-01-14")
    exam_id = template(
        client,
        setup,
        title="电工四级考试",
        mode="exam",
        time_limit_seconds=1800,
        attempts_allowed=2,
        shuffle_questions=True,
        shuffle_options=True,
        occupation="6-28-01-14",
        skill_level=4,
    ).get_json()["id"]
    exam = client.post(f"/api/v1/quiz-templates/{exam_id}/sessions", headers=learner).get_json()
    assert 1790 < exam["remaining_seconds"] <= 1800
    assert all(i["answer"] is None and i["explanation"] is None for i in exam["items"])
    answer_all(client, setup, exam, right=True)
    resumed = client.get(f"{SESSIONS}/{exam['id']}", headers=learner).get_json()  # app restart
    assert all(i["response"] for i in resumed["items"]) and all(
        i["answer"] is None for i in resumed["items"]
    )
    graded = client.post(f"{SESSIONS}/{exam['id']}/submit", headers=learner).get_json()
    assert graded["result"]["passed"] is True and graded["status"] == "submitted"
    [certificate] = client.get("/api/v1/me/certificates", headers=learner).get_json()
    assert certificate["skill_level"] == 4 and certificate["session_id"] == exam["id"]
    # an employer checks it by its code, without signing in
    checked = client.get(f"/api/v1/verify/{certificate['verification_code']}").get_json()
    assert checked["status"] == "valid" and checked["skill_level"]["level"] == 4
    assert checked["issuer"] == org.name and checked["holder"] == me["display_name"][0] + "**"

    # 3. Daily practice from the course the organisation assigned.
    course = make_course(org)
    client.patch(
        f"/api/v1/banks/{setup['bank']}", json={"course_ids": [course]}, headers=setup["editor"]
    )
    admin = login(make_user(Role.ADMIN, organisation=org))
    client.post(f"/api/v1/courses/{course}/assignments", json={}, headers=admin)
    daily = client.post("/api/v1/me/daily-practice", headers=learner).get_json()
    assert daily["mode"] == "daily" and daily["items"]
    answer_all(client, setup, daily, right=True)
    client.post(f"{SESSIONS}/{daily['id']}/submit", headers=learner)
    assert client.post("/api/v1/me/daily-practice", headers=learner).get_json()["id"] == daily["id"]

    # 4. A contest against a colleague, and the leaderboard.
    now = utcnow()
    contest_id = template(
        client,
        setup,
        title="安全知识竞赛",
        mode="contest",
        opens_at=(now - timedelta(minutes=1)).isoformat(),
        closes_at=(now + timedelta(hours=1)).isoformat(),
    ).get_json()["id"]
    rival = login(make_user(Role.LEARNER, organisation=org, display_name="李师傅"))
    for headers, right in ((rival, True), (learner, False)):
        entry = client.post(
            f"/api/v1/quiz-templates/{contest_id}/sessions", headers=headers
        ).get_json()
        for item in entry["items"]:
            choice = label_of(item, "断开电源" if right or item["position"] == 1 else "验电")
            client.put(
                f"{SESSIONS}/{entry['id']}/answers/{item['position']}",
                json={"response": {"selected": [choice]}, "client_answer_id": "k"},
                headers=headers,
            )
        client.post(f"{SESSIONS}/{entry['id']}/submit", headers=headers)
    board = client.get(
        f"/api/v1/quiz-templates/{contest_id}/leaderboard", headers=learner
    ).get_json()
    assert board["top"][0]["display_name"] == "李师傅"
    assert board["me"]["rank"] == 2 and board["me"]["score"] == 2

    # 5. Review, once the contest is over (until then it holds its questions: a mistake made
    # in it must not come back with its key while others still compete): the mistakes fall
    # due; answered right, they leave the due list.
    held = client.get("/api/v1/me/mistakes?due_only=true", headers=learner).get_json()
    assert held["total"] == 0
    over = utcnow() - timedelta(seconds=1)
    db.session.execute(
        db.update(QuizTemplate).where(QuizTemplate.id == contest_id).values(closes_at=over)
    )
    db.session.execute(db.update(QuestionHold).values(until=over))
    db.session.commit()
    cards = db.session.scalars(db.select(ReviewCard).where(ReviewCard.user_id == me["id"]))
    for card in cards:
        card.due_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    mistakes = client.get("/api/v1/me/mistakes", headers=learner).get_json()
    assert mistakes["total"] >= 1
    review = client.post("/api/v1/me/review-sessions", headers=learner).get_json()
    assert {i["question_id"] for i in review["items"]} == {
        m["question_id"] for m in mistakes["items"]
    }
    answer_all(client, setup, review, right=True)
    client.post(f"{SESSIONS}/{review['id']}/submit", headers=learner)
    due = client.get("/api/v1/me/mistakes?due_only=true", headers=learner).get_json()
    assert due["total"] == 0
