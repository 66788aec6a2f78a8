"""What a dishonest learner and a rogue admin did to the credit bank after issue 16's rules
were built (its attacker's findings), each a test that failed before."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete, event

from catalog.accounts.models import Organisation, Role, User
from catalog.clock import local_day, utcnow
from catalog.courses import enrolment
from catalog.courses.models import Enrolment
from catalog.credits.models import CreditAudit
from catalog.database import db
from catalog.lectures.models import Microlecture
from catalog.quiz.models import QuizTemplate
from tests.support.concurrency import at_once
from tests.support.heartbeats import played
from tests.support.quizzing import enter_contest, template

BATCH = "/api/v1/me/statements:batch"
CERTIFICATE = {
    "kind": "skill",
    "number": "S-777",
    "issuer": "鉴定中心",
    "skill_level": 4,
    "issued_on": "2026-02-01",
}


def credits(client: FlaskClient, headers: dict) -> float:
    return float(client.get("/api/v1/me/credits", headers=headers).get_json()["balance"])


@pytest.fixture
def org_world(
    client: FlaskClient,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    login: Callable[[User], dict],
) -> Any:
    org = make_org(code="attack-org")

    class World:
        organisation = org
        admin = make_user(Role.ADMIN, Role.LEARNER, organisation=org)
        admin_h = login(admin)
        second_h = login(make_user(Role.ADMIN, organisation=org))
        learner = make_user(Role.LEARNER, organisation=org)
        learner_h = login(learner)
        other_h = login(make_user(Role.LEARNER, organisation=org))

    return World


def test_a_new_account_cannot_claim_learning_from_before_it_existed(
    client: FlaskClient,
    org_world: Any,
    make_course: Callable[..., int],
    make_user: Callable[..., User],
    login: Callable[[User], dict],
) -> None:
    """Finding 1: a day-old account backdated heartbeats by 30 days and was credited."""
    course = make_course(org_world.organisation)
    lecture = db.session.scalars(db.select(Microlecture)).one()
    newcomer = make_user(Role.LEARNER, organisation=org_world.organisation)
    newcomer.created_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    headers = login(newcomer)
    client.put(f"/api/v1/me/courses/{course}", headers=headers)
    month_ago = utcnow() - timedelta(days=29)
    backdated = played(lecture.id, 0, lecture.duration_seconds, began=month_ago)
    results = client.post(BATCH, json={"statements": backdated}, headers=headers).get_json()
    assert {r["status"] for r in results["results"]} == {"rejected"}
    assert "before the account" in results["results"][0]["reason"]
    assert credits(client, headers) == 0
    # a lecture published today has no heartbeats from last week either
    lecture.published_at = utcnow() - timedelta(minutes=30)
    db.session.commit()
    week_ago = played(lecture.id, 0, 30, began=utcnow() - timedelta(days=7))
    refused = client.post(BATCH, json={"statements": week_ago}, headers=org_world.learner_h)
    assert {r["status"] for r in refused.get_json()["results"]} == {"rejected"}
    honest = played(lecture.id, 0, lecture.duration_seconds)  # ends now: after both
    stored = client.post(BATCH, json={"statements": honest}, headers=headers).get_json()
    assert {r["status"] for r in stored["results"]} == {"stored"}
    assert credits(client, headers) == 0.5


def test_a_draft_changes_nothing_a_learner_earns_until_it_is_published(
    client: FlaskClient,
    org_world: Any,
    make_course: Callable[..., int],
    make_user: Callable[..., User],
    make_lecture: Callable[..., Microlecture],
    login: Callable[[User], dict],
) -> None:
    """Finding 2: an instructor's unreviewed draft raised a course's credits 100-fold and
    made a required lecture optional."""
    course = make_course(org_world.organisation)
    first = db.session.scalars(db.select(Microlecture)).one()
    second = make_lecture(first.instructor)
    second.is_published = True
    db.session.commit()
    instructor = login(db.session.get(User, first.instructor_id))
    drafted = client.patch(
        f"/api/v1/authoring/courses/{course}",
        json={"credits": 100, "class_hours": 999},
        headers=instructor,
    )
    assert drafted.status_code == 200, drafted.get_json()
    chapters = {
        "chapters": [
            {
                "title": "改",
                "items": [
                    {"microlecture_id": second.id, "required": True},
                    {"microlecture_id": first.id, "required": False},
                ],
            }
        ]
    }
    client.put(f"/api/v1/authoring/courses/{course}/chapters", json=chapters, headers=instructor)
    client.put(f"/api/v1/me/courses/{course}", headers=org_world.learner_h)
    whole = played(first.id, 0, first.duration_seconds)
    client.post(BATCH, json={"statements": whole}, headers=org_world.learner_h)
    assert credits(client, org_world.learner_h) == 0.5  # the published release's credits
    mine = client.get("/api/v1/me/courses", headers=org_world.learner_h).get_json()["items"]
    assert (mine[0]["status"], mine[0]["lectures_total"]) == ("done", 1)
    report = client.get("/api/v1/reports/training", headers=org_world.second_h).get_json()
    assert report["total"]["course_hours"] == 2  # published: 2 class hours


def test_an_admin_cannot_appoint_a_second_admin_to_approve_their_own_credits(
    client: FlaskClient, org_world: Any, login: Callable[[User], dict], make_user: Any
) -> None:
    """Finding 3: an admin made a sock-puppet admin who approved and paid them."""
    shadow = {
        "username": "shadow-admin",
        "display_name": "影子",
        "password": "shadow-pass-123456",
        "roles": ["admin"],
    }
    refused = client.post("/api/v1/users", json=shadow, headers=org_world.admin_h)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "four_eyes"
    platform = login(make_user(Role.PLATFORM_ADMIN))
    appointed = client.post(
        "/api/v1/users",
        json={**shadow, "organisation_code": org_world.organisation.code},
        headers=platform,
    )
    assert appointed.status_code == 201, appointed.get_json()


def test_applying_a_rule_never_pays_the_acting_admin_and_waits_for_its_day(
    client: FlaskClient, org_world: Any
) -> None:
    """Findings 4 and 6: an admin paid themselves 1,000 credits through apply; a rule dated
    2030 paid out at once."""
    for headers, number in ((org_world.admin_h, "C-9"), (org_world.learner_h, "C-10")):
        made = client.post(
            "/api/v1/me/certificates",
            json={**CERTIFICATE, "kind": "contest", "number": number},
            headers=headers,
        ).get_json()
        approved = client.post(
            f"/api/v1/certificates/{made['id']}/approve", json={}, headers=org_world.second_h
        )
        assert approved.status_code == 200
    later = client.post(
        "/api/v1/credit-rules",
        json={
            "kind": "certificate",
            "certificate_kind": "contest",
            "credits": 3,
            "effective_from": "2030-01-01",
        },
        headers=org_world.admin_h,
    ).get_json()
    early = client.post(
        f"/api/v1/credit-rules/{later['id']}/apply",
        json={"dry_run": False},
        headers=org_world.admin_h,
    )
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "rule_not_in_effect"
    rule = client.post(
        "/api/v1/credit-rules",
        json={"kind": "certificate", "certificate_kind": "contest", "credits": 1000},
        headers=org_world.admin_h,
    ).get_json()
    applied = client.post(
        f"/api/v1/credit-rules/{rule['id']}/apply",
        json={"dry_run": False},
        headers=org_world.admin_h,
    ).get_json()
    assert [a["username"] for a in applied["awards"]] == [org_world.learner.username]
    assert credits(client, org_world.admin_h) == 0
    # another admin may apply it to the first one's certificate
    again = client.post(
        f"/api/v1/credit-rules/{rule['id']}/apply",
        json={"dry_run": False},
        headers=org_world.second_h,
    ).get_json()
    assert [a["user_id"] for a in again["awards"]] == [org_world.admin.id]


def test_a_certificate_is_registered_once_and_never_from_the_future_or_expired(
    client: FlaskClient, org_world: Any
) -> None:
    """Findings 7 and 8: the same certificate registered twice earned twice; one issued in
    2099 or expired in 2015 was accepted and earned."""
    today = local_day(utcnow())
    body = {**CERTIFICATE, "issued_on": "2026-03-01"}
    first = client.post("/api/v1/me/certificates", json=body, headers=org_world.learner_h)
    assert first.status_code == 201
    twice = client.post("/api/v1/me/certificates", json=body, headers=org_world.learner_h)
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "already_registered"
    widths = {**body, "number": "ｓ－７７７"}  # the same number in full-width letters
    assert (
        client.post("/api/v1/me/certificates", json=widths, headers=org_world.other_h).status_code
        == 409
    )
    future = {**body, "number": "FUT-1", "issued_on": (today + timedelta(days=1)).isoformat()}
    answer = client.post("/api/v1/me/certificates", json=future, headers=org_world.learner_h)
    assert (
        answer.status_code == 422 and "issued_on" in answer.get_json()["error"]["details"]["json"]
    )
    expired = {**body, "number": "OLD-1", "issued_on": "2010-01-01", "expires_on": "2015-01-01"}
    answer = client.post("/api/v1/me/certificates", json=expired, headers=org_world.learner_h)
    assert (
        answer.status_code == 422 and "expires_on" in answer.get_json()["error"]["details"]["json"]
    )
    # rejected (a blurred scan): may be sent again; revoked: never
    made = first.get_json()
    client.post(f"/api/v1/certificates/{made['id']}/reject", json={}, headers=org_world.admin_h)
    again = client.post("/api/v1/me/certificates", json=body, headers=org_world.learner_h)
    assert again.status_code == 201
    path = f"/api/v1/certificates/{again.get_json()['id']}"
    client.post(f"{path}/approve", json={}, headers=org_world.admin_h)
    client.post(f"{path}/revoke", json={"reason": "造假"}, headers=org_world.admin_h)
    assert (
        client.post("/api/v1/me/certificates", json=body, headers=org_world.learner_h).status_code
        == 409
    )


def test_enrolling_while_leaving_never_answers_500(
    app: Any, client: FlaskClient, org_world: Any, make_course: Callable[..., int]
) -> None:
    """Finding 9: an enrolment racing a leave of the same course answered 500."""
    course = make_course(org_world.organisation)
    path = f"/api/v1/me/courses/{course}"

    def enrol() -> int:
        with app.test_client() as other:
            return int(other.put(path, headers=org_world.learner_h).status_code)

    def leave() -> int:
        with app.test_client() as other:
            return int(other.delete(path, headers=org_world.learner_h).status_code)

    statuses = at_once(*([enrol, leave] * 4))
    assert all(status < 500 for status in statuses), statuses


def test_contest_awards_skip_the_awarding_admin_and_bands_give_their_best(
    client: FlaskClient,
    setup: dict,
    make_user: Callable[..., User],
    login: Callable[[User], dict],
) -> None:
    """Findings 5 and 10: an admin awarded their own rank (the audit said nobody did it), and
    applying a wide band first locked the first place at the wide band's credits."""
    org = db.session.get(Organisation, setup["org"])
    admin_user = make_user(Role.ADMIN, Role.LEARNER, organisation=org)
    admin, second = login(admin_user), login(make_user(Role.ADMIN, organisation=org))
    wide = client.post(
        "/api/v1/credit-rules",
        json={"kind": "contest_award", "rank_from": 1, "rank_to": 3, "credits": 1},
        headers=admin,
    ).get_json()
    client.post(
        "/api/v1/credit-rules",
        json={"kind": "contest_award", "rank_from": 1, "rank_to": 1, "credits": 5},
        headers=admin,
    )
    now = utcnow()
    contest = template(
        client,
        setup,
        mode="contest",
        opens_at=(now - timedelta(minutes=5)).isoformat(),
        closes_at=(now + timedelta(hours=1)).isoformat(),
    ).get_json()["id"]
    runner_up = login(make_user(Role.LEARNER, organisation=org))
    for headers, right in ((admin, 3), (runner_up, 2), (setup["learner"], 1)):
        enter_contest(client, contest, headers, right)
    db.session.get(QuizTemplate, contest).closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    awarded = client.post(f"/api/v1/quiz-templates/{contest}/awards", headers=admin).get_json()
    assert awarded["awarded"] == 2 and credits(client, admin) == 0  # not their own first place
    awards = db.session.scalars(db.select(CreditAudit).where(CreditAudit.action == "award")).all()
    assert {a.actor_id for a in awards} == {admin_user.id}  # who awarded, not "nobody"
    # another admin applies the wide band to the past: first place earns the best band, 5
    applied = client.post(
        f"/api/v1/credit-rules/{wide['id']}/apply", json={"dry_run": False}, headers=second
    ).get_json()
    assert [(a["user_id"], a["credits"]) for a in applied["awards"]] == [(admin_user.id, 5.0)]


def test_two_phones_leaving_a_course_at_once_both_succeed(
    app: Any, client: FlaskClient, org_world: Any, make_course: Callable[..., int]
) -> None:
    """Both leaves read the enrolment and the second deleted a row already gone: 500 (seen once
    in a full run). Here the other phone leaves between this one's read and its delete."""
    course = make_course(org_world.organisation)
    path = f"/api/v1/me/courses/{course}"
    assert client.put(path, headers=org_world.learner_h).status_code in (200, 201)
    user_id = org_world.learner.id
    left = []

    def other_phone_leaves(*_: Any) -> None:
        if not left:  # its own connection, its own transaction
            with db.engine.begin() as other:
                gone = other.execute(
                    delete(Enrolment).where(
                        Enrolment.user_id == user_id, Enrolment.course_id == course
                    )
                )
                left.append(gone.rowcount)

    with app.app_context():
        session = db.session()
        event.listen(session, "before_flush", other_phone_leaves)
        try:
            enrolment.unenrol(session.get(User, user_id), course)
        finally:
            event.remove(session, "before_flush", other_phone_leaves)
    assert left in ([], [1])
    assert client.get("/api/v1/me/courses", headers=org_world.learner_h).get_json()["items"] == []
