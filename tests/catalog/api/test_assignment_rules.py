"""Assignment by rule (issue 18): a course required of a department's subtree, an occupation,
a skill level, or a mix; members who come to match it have it at once, leavers lose it; who is
overdue, by department."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from catalog.accounts.models import Organisation, Role, User
from catalog.clock import local_day, utcnow
from catalog.courses.models import Assignment
from catalog.database import db


@pytest.fixture
def org(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org(code="rule-co", name="某检修公司")


@pytest.fixture
def admin(
    login: Callable[[User], dict[str, str]], make_user: Callable[..., User], org: Organisation
) -> dict:
    return login(make_user(Role.ADMIN, organisation=org))


def department(client: FlaskClient, admin: dict, name: str, parent: int | None = None) -> int:
    made = client.post(
        "/api/v1/departments", json={"name": name, "parent_id": parent}, headers=admin
    )
    assert made.status_code == 201, made.get_json()
    return int(made.get_json()["id"])


def worker(
    make_user: Callable[..., User], org: Organisation, place: int | None, **profile: object
) -> User:
    user = make_user(organisation=org)
    user.department_id = place
    for field, value in profile.items():
        setattr(user, field, value)
    db.session.commit()
    return user


def my_course_ids(
    client: FlaskClient, login: Callable[[User], dict[str, str]], user: User
) -> set[int]:
    items = client.get("/api/v1/me/courses", headers=login(user)).get_json()["items"]
    return {item["course"]["id"] for item in items if item["assigned"]}


def test_a_rule_binds_whoever_matches_it_now(
    client: FlaskClient,
    admin: dict,
    org: Organisation,
    make_user: Callable[..., User],
    make_course: Callable[..., int],
    login: Callable[[User], dict[str, str]],
) -> None:
    course = make_course(org)
    north = department(client, admin, "北区")
    shop = department(client, admin, "检修车间", north)
    south = department(client, admin, "南区")
    electrician = worker(make_user, org, shop, occupation="电工", skill_level=3)
    welder = worker(make_user, org, shop, occupation="焊工", skill_level=3)
    elsewhere = worker(make_user, org, south, occupation="电工", skill_level=3)
    rule = client.post(
        f"/api/v1/courses/{course}/assignments",
        json={"department_id": north, "occupation": "电工", "due_date": "2027-06-30"},
        headers=admin,
    )
    assert rule.status_code == 201, rule.get_json()
    assert rule.get_json()[0]["department_id"] == north
    assert course in my_course_ids(client, login, electrician)  # in a team below the rule's
    assert course not in my_course_ids(client, login, welder)  # another occupation
    assert course not in my_course_ids(client, login, elsewhere)  # another branch
    # a newcomer who matches has it at once; a mover loses it
    newcomer = worker(make_user, org, shop, occupation="电工")
    assert course in my_course_ids(client, login, newcomer)
    electrician.department_id = south
    db.session.commit()
    assert course not in my_course_ids(client, login, electrician)
    # the same rule again updates it, never duplicates it
    again = client.post(
        f"/api/v1/courses/{course}/assignments",
        json={"department_id": north, "occupation": "电工", "due_date": "2027-07-31"},
        headers=admin,
    )
    listed = client.get(f"/api/v1/courses/{course}/assignments", headers=admin).get_json()
    assert again.get_json()[0]["id"] == listed[0]["id"] and len(listed) == 1
    level_rule = client.post(
        f"/api/v1/courses/{course}/assignments", json={"skill_level": 3}, headers=admin
    )
    assert level_rule.status_code == 201
    assert course in my_course_ids(client, login, welder)  # level 3, by the second rule


def test_a_rule_is_refused_with_users_or_outside_the_admins_reach(
    client: FlaskClient,
    admin: dict,
    org: Organisation,
    make_user: Callable[..., User],
    make_course: Callable[..., int],
    make_org: Callable[..., Organisation],
    login: Callable[[User], dict[str, str]],
) -> None:
    course = make_course(org)
    team = department(client, admin, "一班")
    someone = worker(make_user, org, team)
    both = client.post(
        f"/api/v1/courses/{course}/assignments",
        json={"user_ids": [someone.id], "department_id": team},
        headers=admin,
    )
    assert both.status_code == 422
    stranger = login(make_user(Role.ADMIN, organisation=make_org(code="far-co")))
    foreign = client.post(
        f"/api/v1/courses/{course}/assignments", json={"department_id": team}, headers=stranger
    )
    assert foreign.status_code == 404


def test_merging_a_department_keeps_its_rules(
    client: FlaskClient,
    admin: dict,
    org: Organisation,
    make_user: Callable[..., User],
    make_course: Callable[..., int],
    login: Callable[[User], dict[str, str]],
) -> None:
    course = make_course(org)
    old = department(client, admin, "旧班组")
    new = department(client, admin, "新班组")
    member = worker(make_user, org, old)
    client.post(f"/api/v1/courses/{course}/assignments", json={"department_id": old}, headers=admin)
    merged = client.post(f"/api/v1/departments/{old}/merge", json={"target_id": new}, headers=admin)
    assert merged.status_code == 200
    listed = client.get(f"/api/v1/courses/{course}/assignments", headers=admin).get_json()
    assert [a["department_id"] for a in listed] == [new]
    assert course in my_course_ids(client, login, member)
    member.department_id = None
    db.session.commit()
    in_use = client.delete(f"/api/v1/departments/{new}", headers=admin)
    assert in_use.status_code == 409  # a rule still names it: never deleted with it


def test_overdue_people_are_listed_by_department(
    client: FlaskClient,
    admin: dict,
    org: Organisation,
    make_user: Callable[..., User],
    make_course: Callable[..., int],
) -> None:
    course = make_course(org)
    north = department(client, admin, "北区")
    team = department(client, admin, "一班", north)
    south = department(client, admin, "南区")
    late = worker(make_user, org, team, display_name="迟到者")
    other = worker(make_user, org, south)
    today = local_day(utcnow())
    yesterday = (today - timedelta(days=1)).isoformat()
    # A due date already past is refused: every assignee would be overdue at once.
    past = client.post(
        f"/api/v1/courses/{course}/assignments",
        json={"department_id": north, "due_date": yesterday},
        headers=admin,
    )
    assert past.status_code == 422
    assert "due_date" in past.get_json()["error"]["details"]["json"]
    client.post(
        f"/api/v1/courses/{course}/assignments",
        json={"department_id": north, "due_date": today.isoformat()},
        headers=admin,
    )
    # a day passes
    db.session.execute(update(Assignment).values(due_date=today - timedelta(days=1)))
    db.session.commit()
    listed = client.get(f"/api/v1/courses/{course}/overdue", headers=admin).get_json()["items"]
    assert [(i["user_id"], i["department"], i["due_date"]) for i in listed] == [
        (late.id, "一班", yesterday)
    ]
    only_south = client.get(
        f"/api/v1/courses/{course}/overdue", query_string={"department_id": south}, headers=admin
    ).get_json()["items"]
    assert only_south == [] and other.id not in {i["user_id"] for i in listed}
