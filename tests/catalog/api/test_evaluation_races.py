"""Evaluation under concurrency, as phones, tablets and two admins would race: one
application per tap storm, one approval, one theory attempt, both assessors' scores counted
and one certificate however the submissions interleave."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalog.accounts.models import Organisation, User
from catalog.credits.models import Certificate
from catalog.database import db
from catalog.evaluation.models import Application, ApplicationEvent, ComponentResult
from tests.support.concurrency import at_once
from tests.support.evaluating import EVALUATION, World, build_world, complete_course


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


def count(model: Any) -> int:
    db.session.expire_all()
    return int(db.session.scalar(db.select(db.func.count()).select_from(model)) or 0)


def test_taps_at_once_make_one_application_one_approval_one_attempt(
    app: Flask, world: World
) -> None:
    plan = world.published_plan()
    complete_course(world.client, world.learner, world.course)
    path = f"{EVALUATION}/applications"
    applied = at_once(
        *[
            lambda: app.test_client().post(
                path, json={"plan_id": plan["id"]}, headers=world.learner
            )
            for _ in range(6)
        ]
    )
    assert {r.status_code for r in applied} <= {201, 503}, [r.get_json() for r in applied]
    assert len({r.get_json()["id"] for r in applied if r.status_code == 201}) == 1
    assert count(Application) == 1
    application = db.session.scalars(db.select(Application)).one().id
    approve = f"{path}/{application}/approve"
    decided = at_once(
        *[lambda: app.test_client().post(approve, json={}, headers=world.admin) for _ in range(4)]
    )
    assert sorted(r.status_code for r in decided if r.status_code != 503)[0] == 200
    assert {r.status_code for r in decided} <= {200, 409, 503}
    kinds = db.session.scalars(
        db.select(ApplicationEvent.kind).where(ApplicationEvent.application_id == application)
    ).all()
    assert kinds.count("approved") == 1
    theory = f"{path}/{application}/theory-sessions"
    started = at_once(
        *[
            lambda: app.test_client().post(
                theory, json={"component": "theory"}, headers=world.learner
            )
            for _ in range(4)
        ]
    )
    sessions = {r.get_json()["id"] for r in started if r.status_code == 201}
    assert len(sessions) == 1, [r.get_json() for r in started]
    assert count(ComponentResult) == 1


def test_two_assessors_submitting_at_once_decide_once(app: Flask, world: World) -> None:
    components = world.plan_body()["components"]
    components[1] |= {"assessors": 2, "max_gap": 10}
    plan = world.published_plan(components=components)
    complete_course(world.client, world.learner, world.course)
    application = world.apply(plan["id"]).get_json()["id"]
    world.approve(application)
    world.sit_theory(application, right=True)
    world.assign(application, *world.assessors)
    tasks = [world.task_of(h) for h in world.assessor_headers]
    body = {
        "scored_at": "2026-01-01T08:00:00+08:00",
        "items": [
            {"key": "ticket", "points": 30},
            {"key": "sequence", "points": 50, "passed": True},
            {"key": "report", "points": 20},
        ],
    }
    replies = at_once(
        *[
            lambda task=task, headers=headers, n=n: app.test_client().post(
                f"/api/v1/assessments/{task['id']}/submit",
                json={**body, "client_id": f"tablet-{n}-0001"},
                headers=headers,
            )
            for n, (task, headers) in enumerate(zip(tasks, world.assessor_headers, strict=True))
            for _ in range(3)
        ]
    )
    # a phone whose reply was refused by a busy database retries: the same submission
    for reply, (n, task, headers) in zip(
        replies,
        [
            (n, t, h)
            for n, (t, h) in enumerate(zip(tasks, world.assessor_headers, strict=True))
            for _ in range(3)
        ],
        strict=True,
    ):
        if reply.status_code == 503:
            again = world.client.post(
                f"/api/v1/assessments/{task['id']}/submit",
                json={**body, "client_id": f"tablet-{n}-0001"},
                headers=headers,
            )
            assert again.status_code == 200, again.get_json()
        else:
            assert reply.status_code == 200, reply.get_json()
    done = world.application(application)
    assert done["status"] == "certified", done
    assert count(Certificate) == 1
    practical = [r for r in done["results"] if r["component_key"] == "practical"]
    assert [(r["status"], r["score"]) for r in practical] == [("passed", 100)]
