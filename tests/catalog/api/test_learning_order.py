"""Order does not matter (issue 16, findings 2 and 3): learning done before a learner enrols
or is assigned counts at once — completion, credits, the training report — and a learner's
courses say honestly where they are."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from catalog.accounts.models import Organisation, Role, User
from catalog.clock import local_day, utcnow
from catalog.courses.models import Assignment
from catalog.database import db
from catalog.lectures.models import Microlecture
from tests.support.heartbeats import played

BATCH = "/api/v1/me/statements:batch"


@pytest.fixture
def world(
    client: FlaskClient,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    login: Callable[[User], dict],
    make_course: Callable[..., int],
) -> Any:
    org = make_org(code="order-org")
    course = make_course(org)  # one required microlecture, 0.5 credits
    lecture = db.session.scalars(db.select(Microlecture)).one()
    learners = [make_user(Role.LEARNER, organisation=org) for _ in range(3)]

    class World:
        pass

    world = World()
    world.org, world.course, world.lecture = org, course, lecture
    world.headers = [login(u) for u in learners]
    world.admin = login(make_user(Role.ADMIN, organisation=org))
    return world


def watch_all(client: FlaskClient, headers: dict, lecture: Microlecture) -> None:
    beats = played(lecture.id, 0, lecture.duration_seconds)
    answer = client.post(BATCH, json={"statements": beats}, headers=headers)
    assert {r["status"] for r in answer.get_json()["results"]} == {"stored"}


def my_course(client: FlaskClient, headers: dict, course: int) -> dict:
    items = client.get("/api/v1/me/courses", headers=headers).get_json()["items"]
    return next(i for i in items if i["course"]["id"] == course)


def credits(client: FlaskClient, headers: dict) -> float:
    return float(client.get("/api/v1/me/credits", headers=headers).get_json()["balance"])


def report_total(client: FlaskClient, admin: dict) -> dict:
    answer = client.get("/api/v1/reports/training?group_by=course", headers=admin)
    assert answer.status_code == 200, answer.get_json()
    return dict(answer.get_json()["total"])


def test_watching_before_enrolling_completes_the_course_on_enrolment(
    client: FlaskClient, world: Any
) -> None:
    """A learner watched to 99.9 %, then enrolled: 1/1 lectures but completed false and 0
    credits, even after more heartbeats."""
    headers = world.headers[0]
    watch_all(client, headers, world.lecture)
    assert credits(client, headers) == 0
    assert client.put(f"/api/v1/me/courses/{world.course}", headers=headers).status_code == 200
    mine = my_course(client, headers, world.course)
    assert mine["status"] == "done" and mine["lectures_done"] == mine["lectures_total"] == 1
    assert mine["share"] == 1.0 and mine["next_lecture"] is None
    assert credits(client, headers) == 0.5
    progress = client.get("/api/v1/me/progress", headers=headers).get_json()["courses"]
    assert progress[0]["completed"] is True
    # enrolling again changes nothing: the credits are earned once
    client.put(f"/api/v1/me/courses/{world.course}", headers=headers)
    assert credits(client, headers) == 0.5
    total = report_total(client, world.admin)
    assert total["completions"] == 1 and total["person_times"] == 1
    assert total["study_hours"] > 0


def test_assigning_a_course_counts_what_its_learners_did_before(
    client: FlaskClient, world: Any
) -> None:
    for headers in world.headers:
        watch_all(client, headers, world.lecture)
    answer = client.post(
        f"/api/v1/courses/{world.course}/assignments",
        json={"due_date": (local_day(utcnow()) + timedelta(days=7)).isoformat()},
        headers=world.admin,
    )
    assert answer.status_code == 201, answer.get_json()
    for headers in world.headers:
        assert my_course(client, headers, world.course)["status"] == "done"
        assert credits(client, headers) == 0.5
    total = report_total(client, world.admin)
    assert (total["completions"], total["person_times"], total["learners"]) == (3, 3, 3)
    minutes = world.lecture.duration_seconds * 3 / 60
    assert total["study_hours"] == round(minutes / 45, 2)


def test_a_done_course_is_never_overdue_and_each_status_is_true(
    client: FlaskClient, world: Any
) -> None:
    """A completed required course still showed overdue: true (finding 3)."""
    client.post(
        f"/api/v1/courses/{world.course}/assignments",
        json={"due_date": local_day(utcnow()).isoformat()},
        headers=world.admin,
    )
    # ten days pass (a due date in the past is refused when assigning)
    db.session.execute(update(Assignment).values(due_date=date.today() - timedelta(days=10)))
    db.session.commit()
    first, second, third = world.headers
    assert my_course(client, first, world.course)["status"] == "overdue"
    watch_all(client, first, world.lecture)
    done = my_course(client, first, world.course)
    assert (done["status"], done["overdue"]) == ("done", False)
    half = played(world.lecture.id, 0, world.lecture.duration_seconds / 3)
    client.post(BATCH, json={"statements": half}, headers=second)
    late = my_course(client, second, world.course)
    assert (late["status"], late["overdue"], late["lectures_done"]) == ("overdue", True, 0)
    assert late["next_lecture"] == {"id": world.lecture.id, "title": world.lecture.title}
    # without a due date: not started, then in progress
    client.put(f"/api/v1/me/courses/{world.course}", headers=third)
    assert my_course(client, third, world.course)["status"] == "overdue"  # assigned to all
