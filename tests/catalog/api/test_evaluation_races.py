"""Evaluation under concurrency, as phones, tablets and two admins would race: one
application per tap storm, one approval, one theory attempt, both assessors' scores counted
and one certificate however the submissions interleave."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalog.accounts.models import Organisation, Role, User
from catalog.credits.models import Certificate
from catalog.database import db
from catalog.evaluation.models import (
    Application,
    ApplicationEvent,
    Assessment,
    ComponentResult,
)
from tests.support.concurrency import at_once
from tests.support.evaluating import (
    EVALUATION,
    OCCUPATION,
    World,
    build_world,
    complete_course,
)


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


def approved_for_two_assessors(world: World, max_gap: int = 10) -> int:
    components = world.plan_body()["components"]
    components[1] |= {"assessors": 2, "max_gap": max_gap}
    plan = world.published_plan(components=components)
    complete_course(world.client, world.learner, world.course)
    application = int(world.apply(plan["id"]).get_json()["id"])
    world.approve(application)
    return application


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
    application = approved_for_two_assessors(world)
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


def test_approve_reject_and_withdraw_at_once_decide_once(app: Flask, world: World) -> None:
    plan = world.published_plan()
    complete_course(world.client, world.learner, world.course)
    application = world.apply(plan["id"]).get_json()["id"]
    path = f"{EVALUATION}/applications/{application}"
    calls = [
        *[lambda: app.test_client().post(f"{path}/approve", json={}, headers=world.admin)] * 3,
        *[
            lambda: app.test_client().post(
                f"{path}/reject", json={"note": "名额已满"}, headers=world.admin
            )
        ]
        * 3,
        *[lambda: app.test_client().post(f"{path}/withdraw", headers=world.learner)] * 3,
    ]
    replies = at_once(*calls)
    assert {r.status_code for r in replies} <= {200, 409, 503}, [r.get_json() for r in replies]
    kinds = db.session.scalars(
        db.select(ApplicationEvent.kind).where(ApplicationEvent.application_id == application)
    ).all()
    # one admin decision at most; a withdrawal may follow an approval (before any result),
    # nothing follows a rejection or a withdrawal; the state is what the last step says
    assert [k for k in kinds if k in ("approved", "rejected")] in (["approved"], ["rejected"], [])
    steps = [k for k in kinds if k in ("approved", "rejected", "withdrawn")]
    assert steps in (["approved"], ["rejected"], ["withdrawn"], ["approved", "withdrawn"]), kinds
    db.session.expire_all()
    assert db.session.get(Application, application).status.value == steps[-1]


def test_assignments_at_once_make_one_attempt_and_one_third_assessor(
    app: Flask, world: World
) -> None:
    application = approved_for_two_assessors(world, max_gap=1)
    path = f"{EVALUATION}/applications/{application}/assessments"
    ids = [a.id for a in world.assessors]
    replies = at_once(
        *[
            lambda: app.test_client().post(
                path, json={"component": "practical", "assessor_ids": ids}, headers=world.admin
            )
            for _ in range(5)
        ]
    )
    assert {r.status_code for r in replies} <= {201, 409, 503}, [r.get_json() for r in replies]
    assert count(ComponentResult) == 1 and count(Assessment) == 2
    first, second = (world.task_of(h) for h in world.assessor_headers)
    world.score(
        world.assessor_headers[0], first["id"], {"ticket": 30, "sequence": 50, "report": 20}
    )
    world.score(
        world.assessor_headers[1], second["id"], {"ticket": 10, "sequence": 50, "report": 20}
    )
    assert world.application(application)["results"][-1]["status"] == "disputed"
    assert world.make_user is not None
    thirds = []
    for _ in (1, 2):
        third = world.make_user(Role.LEARNER, organisation=world.org)
        third.department_id = world.teams[2].id
        thirds.append(third)
    db.session.commit()
    for third in thirds:
        world.client.put(
            f"{EVALUATION}/assessors/{third.id}",
            json={"occupations": [OCCUPATION]},
            headers=world.admin,
        )
    third_ids = [third.id for third in thirds]  # read here: the threads have no session
    replies = at_once(
        *[
            lambda third_id=third_id: app.test_client().post(
                path,
                json={"component": "practical", "assessor_ids": [third_id]},
                headers=world.admin,
            )
            for third_id in third_ids
        ]
    )
    assert sorted(r.status_code for r in replies if r.status_code != 503) in ([201, 409], [201])
    assert count(Assessment) == 3


def test_two_replacements_at_once_replace_once(app: Flask, world: World) -> None:
    """Two admins replaced the same assessor at once: both were told 201, and the second
    silently took the first's assessor off the attempt."""
    application = approved_for_two_assessors(world)
    one, two = world.assessors
    world.assign(application, one, two)
    first = world.task_of(world.assessor_headers[0])
    world.score(
        world.assessor_headers[0], first["id"], {"ticket": 30, "sequence": 50, "report": 20}
    )
    assert world.make_user is not None
    newcomers = [world.make_user(Role.LEARNER, organisation=world.org) for _ in (1, 2)]
    for newcomer in newcomers:
        newcomer.department_id = world.teams[2].id
    db.session.commit()
    new_ids = [newcomer.id for newcomer in newcomers]  # read here: the threads have no session
    leaving = two.id
    for new_id in new_ids:
        world.client.put(
            f"{EVALUATION}/assessors/{new_id}",
            json={"occupations": [OCCUPATION]},
            headers=world.admin,
        )
    path = f"{EVALUATION}/applications/{application}/assessments"
    replies = at_once(
        *[
            lambda new_id=new_id: app.test_client().post(
                path,
                json={
                    "component": "practical",
                    "assessor_ids": [new_id],
                    "replacing": [leaving],
                    "client_id": f"console-{new_id}-0001",
                },
                headers=world.admin,
            )
            for new_id in new_ids
        ]
    )
    codes = sorted(r.status_code for r in replies if r.status_code != 503)
    assert codes in ([201, 409], [201]), [r.get_json() for r in replies]
    assert all(
        r.get_json()["error"]["code"] == "assessors_changed"
        for r in replies
        if r.status_code == 409
    )
    db.session.expire_all()
    on_it = set(db.session.scalars(db.select(Assessment.assessor_id)))
    assert len(on_it) == 2 and one.id in on_it and len(on_it & set(new_ids)) == 1
    replaced = db.session.scalars(
        db.select(ApplicationEvent).where(ApplicationEvent.kind == "assessors_replaced")
    )
    assert len(list(replaced)) == 1
