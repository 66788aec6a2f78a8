"""Skill-level evaluation end to end over HTTP: the required course, the application and its
eligibility, the admin's approval, the theory exam through the application, the practical
scored by an assessor offline and synced, the certificate issued once with its credits, and
an employer's check — and the same learner refused at each step while something is missing."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from catalog.accounts.models import Organisation, User
from catalog.credits.models import Certificate
from catalog.database import db
from tests.support.evaluating import EVALUATION, FULL, World, build_world, complete_course
from tests.support.phone_media import TAKER, phone_photo
from tests.support.presigned import call_url

PNG = phone_photo()


@pytest.fixture
def world(
    client: FlaskClient,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
    make_course: Callable[..., int],
    make_industry: Callable[..., Any],
) -> World:
    return build_world(client, make_org, make_user, login, make_course, make_industry)


def test_from_the_required_course_to_a_certificate_an_employer_can_check(
    app: Flask, client: FlaskClient, world: World
) -> None:
    client.post(
        "/api/v1/credit-rules",
        json={"kind": "certificate", "certificate_kind": "skill", "skill_level": 4, "credits": 6},
        headers=world.admin,
    )
    plan = world.published_plan()
    learner = world.learner

    # 逢考必训: no application before the required course is completed, and it says which
    check = client.get(f"{EVALUATION}/plans/{plan['id']}/eligibility", headers=learner)
    assert check.get_json()["eligible"] is False
    refused = world.apply(plan["id"])
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "not_eligible"
    [unmet] = refused.get_json()["error"]["details"]["unmet"]
    assert unmet["code"] == "course_not_completed" and unmet["course_id"] == world.course
    assert "变配电运行基础" in unmet["message"]

    # the learner reads the plan without its checklist or exam
    read = client.get(f"{EVALUATION}/plans/{plan['id']}", headers=learner).get_json()
    assert all("checklist" not in c and "template_id" not in c for c in read["components"])

    complete_course(client, learner, world.course)
    assert client.get(f"{EVALUATION}/plans/{plan['id']}/eligibility", headers=learner).get_json()[
        "eligible"
    ]
    applied = world.apply(plan["id"])
    assert applied.status_code == 201, applied.get_json()
    application = applied.get_json()
    assert application["status"] == "pending" and application["plan"]["version"] == 1
    assert world.apply(plan["id"]).get_json()["id"] == application["id"]  # a second tap

    # the theory exam is sat through an approved application only: not in the learner's list
    listed = client.get("/api/v1/quiz-templates?mode=exam", headers=learner).get_json()
    assert world.exam not in [t["id"] for t in listed["items"]]
    by_editor = client.get("/api/v1/quiz-templates?mode=exam", headers=world.editor).get_json()
    assert [t["for_evaluation"] for t in by_editor["items"] if t["id"] == world.exam] == [True]
    direct = client.post(f"/api/v1/quiz-templates/{world.exam}/sessions", headers=learner)
    assert direct.status_code == 409 and direct.get_json()["error"]["code"] == "evaluation_only"
    early = client.post(
        f"{EVALUATION}/applications/{application['id']}/theory-sessions",
        json={"component": "theory"},
        headers=learner,
    )
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "not_sitting"
    assert world.assign(application["id"], world.assessors[0]).status_code == 409

    approved = world.approve(application["id"])
    assert approved["status"] == "approved" and approved["valid_until"]

    graded = world.sit_theory(application["id"], right=True)
    assert graded["result"]["passed"] is True
    assert client.get("/api/v1/me/certificates", headers=learner).get_json() == []
    [theory] = world.application(application["id"])["results"]
    assert theory["component_key"] == "theory" and theory["status"] == "passed"
    assert theory["score"] == 100

    # the practical: an assessor in the workshop, offline, syncs later
    assigned = world.assign(application["id"], world.assessors[0])
    assert assigned.status_code == 201, assigned.get_json()
    assessor = world.assessor_headers[0]
    task = world.task_of(assessor)
    assert task["candidate"] == "王小明" and [i["key"] for i in task["component"]["checklist"]] == [
        "ticket",
        "sequence",
        "report",
    ]
    ticket = client.post(
        f"/api/v1/assessments/{task['id']}/evidence-upload",
        json={"content_type": "image/png", "size": len(PNG)},
        headers=assessor,
    ).get_json()
    assert call_url(app, "PUT", ticket["url"], PNG).status == 200
    client_id = "tablet-7-0001"
    scored = world.score(
        assessor,
        task["id"],
        {"ticket": 25, "sequence": 50, "report": 15},
        client_id=client_id,
        evidence=[ticket["key"]],
    )
    assert scored.status_code == 200, scored.get_json()
    assert scored.get_json()["total"] == 90
    [photo] = scored.get_json()["evidence"]
    kept = call_url(app, "GET", photo["url"]).body  # the picture, not who took it
    assert TAKER.encode() in PNG and TAKER.encode() not in kept and b"HUAWEI" not in kept
    with Image.open(io.BytesIO(kept)) as picture:
        assert (picture.format, picture.size, dict(picture.getexif())) == ("PNG", (32, 24), {})
    retried = world.score(
        assessor,
        task["id"],
        {"ticket": 25, "sequence": 50, "report": 15},
        client_id=client_id,
        evidence=[ticket["key"]],
    )  # the reply was lost on the way back to the tablet
    assert retried.status_code == 200 and retried.get_json()["id"] == task["id"]

    done = world.application(application["id"], learner)
    assert done["status"] == "certified" and done["certificate_id"]
    assert done["total_score"] == 94.0  # 40% of 100 and 60% of 90
    [certificate] = client.get("/api/v1/me/certificates", headers=learner).get_json()
    assert certificate["source"] == "evaluation" and certificate["skill_level"] == 4
    assert certificate["number"].startswith("GRID-CO-4-")
    assert db.session.scalar(db.select(db.func.count()).select_from(Certificate)) == 1
    credits = client.get("/api/v1/me/credits", headers=learner).get_json()
    assert credits["balance"] == 6.5  # the course's 0.5 and the certificate's 6

    checked = client.get(f"/api/v1/verify/{certificate['verification_code']}").get_json()
    assert checked["status"] == "valid" and checked["holder"] == "王**"
    assert checked["skill_level"]["level"] == 4 and checked["issuer"] == world.org.name

    kinds = [
        e["kind"]
        for e in client.get(
            f"{EVALUATION}/applications/{application['id']}/history", headers=learner
        ).get_json()
    ]
    assert kinds == [
        "applied",
        "approved",
        "theory_started",
        "component_passed",
        "assessors_assigned",
        "assessed",
        "component_passed",
        "certified",
    ]
    history = client.get("/api/v1/me/history?limit=50", headers=learner).get_json()["items"]
    assert {"applied", "approved", "certified"} <= {h["verb"] for h in history}
    certified = next(h for h in history if h["verb"] == "certified")
    assert certified["title"] == "变配电运行值班员四级评价方案"  # the plan, as applied under


def test_a_failed_critical_item_fails_the_practical_whatever_the_points(
    client: FlaskClient, world: World
) -> None:
    plan = world.published_plan()
    complete_course(client, world.learner, world.course)
    application = world.apply(plan["id"]).get_json()
    world.approve(application["id"])
    world.sit_theory(application["id"], right=True)
    world.assign(application["id"], world.assessors[0])
    task = world.task_of(world.assessor_headers[0])
    scored = world.score(world.assessor_headers[0], task["id"], FULL, sequence_passed=False)
    assert scored.status_code == 200, scored.get_json()
    after = world.application(application["id"])
    practical = next(r for r in after["results"] if r["component_key"] == "practical")
    assert practical["status"] == "failed" and practical["score"] == 100
    assert after["status"] == "approved" and after["certificate_id"] is None
    assert client.get("/api/v1/me/certificates", headers=world.learner).get_json() == []
