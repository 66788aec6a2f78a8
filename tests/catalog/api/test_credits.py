"""The credit bank: ledger arithmetic, certificate registration, review, revocation and
expiry, credits from level exams, courses and contests, and who may see what."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalog.accounts.models import Organisation, Role, User
from catalog.clock import utcnow
from catalog.credits.models import CreditTransaction
from catalog.database import db
from catalog.quiz.models import QuizTemplate
from tests.support.concurrency import at_once
from tests.support.heartbeats import played
from tests.support.presigned import call_url
from tests.support.quizzing import answer_all, enter_contest, start, template

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 60


@pytest.fixture
def people(
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    login: Callable[[User], dict],
) -> Any:
    org = make_org(code="bank-org")
    learner = make_user(Role.LEARNER, organisation=org, display_name="孙工")

    class People:
        organisation = org
        learner_id = learner.id
        learner_h = login(learner)
        admin_h = login(make_user(Role.ADMIN, organisation=org))
        outsider_admin_h = login(make_user(Role.ADMIN, organisation=make_org(code="other")))

    return People


def balance_and_sum(client: FlaskClient, headers: dict) -> tuple[float, float]:
    body = client.get("/api/v1/me/credits?limit=200", headers=headers).get_json()
    return body["balance"], round(sum(t["credits"] for t in body["items"]), 2)


def rule(client: FlaskClient, headers: dict, **body: Any) -> dict:
    response = client.post("/api/v1/credit-rules", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def register(client: FlaskClient, headers: dict, **changes: Any) -> Any:
    body = {
        "kind": "skill",
        "number": "S000123",
        "issuer": "电力行业职业技能鉴定中心",
        "skill_level": 3,
        "issued_on": "2025-06-01",
        **changes,
    }
    return client.post("/api/v1/me/certificates", json=body, headers=headers)


def test_adjustments_are_new_ledger_lines_and_the_balance_is_their_sum(
    client: FlaskClient, people: Any
) -> None:
    for credits, reason in ((5, "补录线下培训"), (-2, "重复登记")):
        made = client.post(
            "/api/v1/credit-adjustments",
            json={"user_id": people.learner_id, "credits": credits, "reason": reason},
            headers=people.admin_h,
        )
        assert made.status_code == 201 and made.get_json()["kind"] == "adjust"
    assert balance_and_sum(client, people.learner_h) == (3, 3)
    other = client.post(
        "/api/v1/credit-adjustments",
        json={"user_id": people.learner_id, "credits": 1, "reason": "x"},
        headers=people.outsider_admin_h,
    )
    assert other.status_code == 404  # not their member
    assert (
        client.post(
            "/api/v1/credit-adjustments",
            json={"user_id": people.learner_id, "credits": 1, "reason": "x"},
            headers=people.learner_h,
        ).status_code
        == 403
    )


def test_a_registered_certificate_earns_after_approval_and_loses_it_when_revoked(
    app: Flask, client: FlaskClient, people: Any
) -> None:
    rule(client, people.admin_h, kind="certificate", certificate_kind="skill", credits=2)
    rule(
        client,
        people.admin_h,
        kind="certificate",
        certificate_kind="skill",
        skill_level=3,
        credits=4,
    )
    plan = client.post(
        "/api/v1/me/certificates/scan-upload",
        json={"content_type": "image/png", "size": len(PNG)},
        headers=people.learner_h,
    ).get_json()
    assert call_url(app, "PUT", plan["url"], PNG).status == 200
    created = register(client, people.learner_h, scan_key=plan["key"])
    assert created.status_code == 201, created.get_json()
    certificate = created.get_json()
    assert certificate["status"] == "pending" and certificate["has_scan"]
    listed = client.get("/api/v1/certificates?status=pending", headers=people.admin_h).get_json()
    scan = call_url(app, "GET", listed["items"][0]["scan_url"])
    assert scan.status == 200 and scan.body == PNG  # the reviewing admin can read it
    assert balance_and_sum(client, people.learner_h) == (0, 0)  # nothing before approval

    pending = client.get("/api/v1/certificates?status=pending", headers=people.admin_h)
    assert [c["id"] for c in pending.get_json()["items"]] == [certificate["id"]]
    assert client.get("/api/v1/certificates", headers=people.learner_h).status_code == 403
    outsider = client.get("/api/v1/certificates", headers=people.outsider_admin_h).get_json()
    assert outsider["items"] == []
    path = f"/api/v1/certificates/{certificate['id']}"
    assert (
        client.post(f"{path}/approve", json={}, headers=people.outsider_admin_h).status_code == 404
    )
    approved = client.post(f"{path}/approve", json={"note": "核验无误"}, headers=people.admin_h)
    assert approved.get_json()["status"] == "approved"
    assert balance_and_sum(client, people.learner_h) == (4, 4)  # the level-3 rule, not the general
    again = client.post(f"{path}/approve", json={}, headers=people.admin_h)
    assert again.status_code == 409

    revoked = client.post(f"{path}/revoke", json={"reason": "证书造假"}, headers=people.admin_h)
    assert revoked.get_json()["status"] == "revoked"
    client.post(f"{path}/revoke", json={"reason": "再次撤销"}, headers=people.admin_h)
    ledger = client.get("/api/v1/me/credits", headers=people.learner_h).get_json()["items"]
    assert sorted((t["kind"], t["credits"]) for t in ledger) == [("earn", 4), ("revoke", -4)]
    revoke_line = next(t for t in ledger if t["kind"] == "revoke")
    assert revoke_line["reverses_id"] == next(t["id"] for t in ledger if t["kind"] == "earn")
    assert balance_and_sum(client, people.learner_h) == (0, 0)


def test_rejected_and_malformed_registrations_earn_nothing(
    client: FlaskClient, people: Any
) -> None:
    rule(client, people.admin_h, kind="certificate", certificate_kind="training", credits=1)
    bad = register(client, people.learner_h, kind="diploma", issued_on="yesterday")
    assert bad.status_code == 422
    assert {"kind", "issued_on"} <= set(bad.get_json()["error"]["details"]["json"])
    backwards = register(client, people.learner_h, expires_on="2020-01-01")
    assert backwards.status_code == 422
    foreign_scan = register(client, people.learner_h, scan_key="certificates/999/scan-x")
    assert foreign_scan.status_code == 422
    created = register(client, people.learner_h, kind="training").get_json()
    rejected = client.post(
        f"/api/v1/certificates/{created['id']}/reject",
        json={"note": "扫描件不清晰"},
        headers=people.admin_h,
    ).get_json()
    assert rejected["status"] == "rejected" and rejected["review_note"] == "扫描件不清晰"
    assert balance_and_sum(client, people.learner_h) == (0, 0)


def test_certificates_expiring_soon_are_listed_for_retraining(
    client: FlaskClient, people: Any
) -> None:
    soon = (date.today() + timedelta(days=30)).isoformat()
    later = (date.today() + timedelta(days=400)).isoformat()
    ids = []
    for number, expires in (("A1", soon), ("A2", later)):
        created = register(client, people.learner_h, number=number, expires_on=expires)
        ids.append(created.get_json()["id"])
        client.post(f"/api/v1/certificates/{ids[-1]}/approve", json={}, headers=people.admin_h)
    mine = client.get(
        "/api/v1/me/certificates?expiring_within_days=60", headers=people.learner_h
    ).get_json()
    assert [c["id"] for c in mine] == [ids[0]]
    listed = client.get(
        "/api/v1/certificates?expiring_within_days=60", headers=people.admin_h
    ).get_json()
    assert [c["id"] for c in listed["items"]] == [ids[0]]
    assert (
        client.get(
            "/api/v1/me/certificates?expiring_within_days=10", headers=people.learner_h
        ).get_json()
        == []
    )
    warned = client.get("/api/v1/me/certificates?expiring=true", headers=people.learner_h)
    assert [c["id"] for c in warned.get_json()] == [ids[0]]  # within the default 90 days
    everything = client.get("/api/v1/me/certificates", headers=people.learner_h).get_json()
    assert sorted(c["id"] for c in everything) == sorted(ids)


def test_level_exams_and_contests_earn_by_the_rules(
    client: FlaskClient,
    setup: dict,
    login: Callable[[User], dict],
    make_user: Callable[..., User],
    make_industry: Callable,
) -> None:
    org = db.session.get(Organisation, setup["org"])
    admin = login(make_user(Role.ADMIN, organisation=org))
    rule(client, admin, kind="certificate", certificate_kind="skill", skill_level=4, credits=3)
    rule(client, admin, kind="contest_award", rank_from=1, rank_to=1, credits=5)
    rule(client, admin, kind="contest_award", rank_from=2, rank_to=3, credits=2)
    bad_band = client.post(
        "/api/v1/credit-rules",
        json={"kind": "contest_award", "rank_from": 3, "rank_to": 1, "credits": 1},
        headers=admin,
    )
    assert bad_band.status_code == 422

    make_industry("power", "电力", occupation="6-28-01-14")
    exam = template(client, setup, mode="exam", occupation="6-28-01-14", skill_level=4).get_json()[
        "id"
    ]
    session = start(client, setup, exam).get_json()
    answer_all(client, setup, session, right=True)
    client.post(f"/api/v1/quiz-sessions/{session['id']}/submit", headers=setup["learner"])
    assert balance_and_sum(client, setup["learner"]) == (3, 3)

    now = utcnow()
    contest = template(
        client,
        setup,
        mode="contest",
        opens_at=(now - timedelta(minutes=5)).isoformat(),
        closes_at=(now + timedelta(hours=1)).isoformat(),
    ).get_json()["id"]
    entrants = [setup["learner"]] + [
        login(make_user(Role.LEARNER, organisation=org)) for _ in range(3)
    ]
    for rank, headers in enumerate(entrants):
        enter_contest(client, contest, headers, right=3 - rank)  # the first answers most right
    early = client.post(f"/api/v1/quiz-templates/{contest}/awards", headers=admin)
    assert early.status_code == 409  # not closed yet
    db.session.get(QuizTemplate, contest).closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    awarded = client.post(f"/api/v1/quiz-templates/{contest}/awards", headers=admin).get_json()
    assert awarded["awarded"] == 3  # ranks 1, 2 and 3; the fourth earns nothing
    assert client.post(f"/api/v1/quiz-templates/{contest}/awards", headers=admin).get_json() == {
        "awarded": 0
    }
    assert balance_and_sum(client, setup["learner"]) == (8, 8)  # 3 + 5 for first place
    assert balance_and_sum(client, entrants[3]) == (0, 0)


def test_a_completed_course_earns_its_credits_once(
    client: FlaskClient, people: Any, make_course: Callable[..., int]
) -> None:
    from catalog.lectures.models import Microlecture

    course = make_course(people.organisation)  # 0.5 credits
    client.put(f"/api/v1/me/courses/{course}", headers=people.learner_h)
    lecture = db.session.scalars(db.select(Microlecture)).one()
    beats = played(lecture.id, 0, lecture.duration_seconds, prefix="beat")
    for _ in range(2):
        client.post(
            "/api/v1/me/statements:batch", json={"statements": beats}, headers=people.learner_h
        )
    assert balance_and_sum(client, people.learner_h) == (0.5, 0.5)
    lines = db.session.scalars(db.select(CreditTransaction)).all()
    assert [(t.source_type, t.source_id) for t in lines] == [("course", str(course))]


def test_mastery_and_export_hold_the_learners_own_data(client: FlaskClient, setup: dict) -> None:
    tid = template(client, setup, mode="exam").get_json()["id"]
    session = start(client, setup, tid).get_json()
    answer_all(client, setup, session, right=True)
    client.post(f"/api/v1/quiz-sessions/{session['id']}/submit", headers=setup["learner"])
    mastery = client.get("/api/v1/me/mastery", headers=setup["learner"]).get_json()
    assert mastery == [{"knowledge_point": "停电作业", "mastery": 1.0, "answers": 3}]
    export = client.get("/api/v1/me/export", headers=setup["learner"]).get_json()
    verbs = {s["verb"] for s in export["statements"]}
    assert {"attempted", "passed"} <= verbs
    assert export["quiz_sessions"][0]["id"] == session["id"]
    assert export["mastery"] == mastery and export["credits"]["balance"] == 0
    editor_export = client.get("/api/v1/me/export", headers=setup["editor"]).get_json()
    assert editor_export["statements"] == [] and editor_export["quiz_sessions"] == []


def test_two_admins_approving_at_once_credit_once(
    app: Flask, client: FlaskClient, people: Any, make_user: Callable[..., User], login: Callable
) -> None:
    rule(client, people.admin_h, kind="certificate", certificate_kind="skill", credits=2)
    second_admin = login(make_user(Role.ADMIN, organisation=people.organisation))
    certificate = register(client, people.learner_h).get_json()
    path = f"/api/v1/certificates/{certificate['id']}/approve"
    codes = [
        response.status_code
        for response in at_once(
            *(
                lambda h=headers: app.test_client().post(path, json={}, headers=h)
                for headers in (people.admin_h, second_admin)
            )
        )
    ]
    assert 200 in codes and set(codes) <= {200, 409}
    assert balance_and_sum(client, people.learner_h) == (2, 2)
