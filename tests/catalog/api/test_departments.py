"""Departments (issue 18): a tree of any depth inside an organisation; rename, move, merge,
delete; admins scoped to a subtree manage only it, and are refused outside it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from catalog.accounts.models import Department, Organisation, Role, User
from catalog.database import db

API = "/api/v1/departments"


@pytest.fixture
def org(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org(code="grid-co", name="某电网公司")


@pytest.fixture
def admin(make_user: Callable[..., User], org: Organisation) -> User:
    return make_user(Role.ADMIN, organisation=org)


@pytest.fixture
def headers(login: Callable[[User], dict[str, str]], admin: User) -> dict[str, str]:
    return login(admin)


def create(client: FlaskClient, headers: dict, name: str, parent: int | None = None) -> Any:
    return client.post(API, json={"name": name, "parent_id": parent}, headers=headers)


def build(client: FlaskClient, headers: dict) -> dict[str, int]:
    """分公司 → 车间 → 班组, and a second branch."""
    ids: dict[str, int] = {}
    ids["north"] = create(client, headers, "北区分公司").get_json()["id"]
    ids["shop"] = create(client, headers, "检修车间", ids["north"]).get_json()["id"]
    ids["team"] = create(client, headers, "一班", ids["shop"]).get_json()["id"]
    ids["south"] = create(client, headers, "南区分公司").get_json()["id"]
    return ids


def place(user: User, department_id: int) -> None:
    user.department_id = department_id
    db.session.commit()


def test_a_tree_of_any_depth_with_members_and_subtree_totals(
    client: FlaskClient, headers: dict, make_user: Callable[..., User], org: Organisation
) -> None:
    ids = build(client, headers)
    for department in ("team", "team", "shop", "south"):
        place(make_user(organisation=org), ids[department])
    parent = ids["team"]
    for level in range(10):  # deep trees are fine
        parent = create(client, headers, f"第{level}层", parent).get_json()["id"]
    items = client.get(API, headers=headers).get_json()["items"]
    by_id = {item["id"]: item for item in items}
    assert (by_id[ids["north"]]["members"], by_id[ids["north"]]["total"]) == (0, 3)
    assert (by_id[ids["shop"]]["members"], by_id[ids["shop"]]["total"]) == (1, 3)
    assert by_id[ids["team"]]["depth"] == 2 and by_id[parent]["depth"] == 12
    positions = [item["id"] for item in items]
    assert (
        positions.index(ids["north"]) < positions.index(ids["shop"]) < positions.index(ids["team"])
    )


def test_names_are_unique_among_siblings_and_sane(client: FlaskClient, headers: dict) -> None:
    ids = build(client, headers)
    assert create(client, headers, "检修车间", ids["north"]).status_code == 409
    assert create(client, headers, "北区分公司").status_code == 409  # roots too
    assert create(client, headers, "检修车间", ids["south"]).status_code == 201
    assert create(client, headers, "a/b").status_code == 422
    assert create(client, headers, "   ").status_code == 422


def test_rename_and_move_rewrite_the_subtree(
    client: FlaskClient, headers: dict, make_user: Callable[..., User], org: Organisation
) -> None:
    ids = build(client, headers)
    member = make_user(organisation=org)
    place(member, ids["team"])
    renamed = client.patch(f"{API}/{ids['shop']}", json={"name": "运维车间"}, headers=headers)
    assert renamed.get_json()["name"] == "运维车间"
    moved = client.patch(f"{API}/{ids['shop']}", json={"parent_id": ids["south"]}, headers=headers)
    assert moved.status_code == 200 and moved.get_json()["parent_id"] == ids["south"]
    team = db.session.get(Department, ids["team"])
    south = db.session.get(Department, ids["south"])
    assert team is not None and south is not None and team.path.startswith(south.path)
    listed = client.get(
        "/api/v1/users", query_string={"department_id": ids["south"]}, headers=headers
    ).get_json()
    assert [u["id"] for u in listed["items"]] == [member.id]  # the subtree follows the move
    below_itself = client.patch(
        f"{API}/{ids['south']}", json={"parent_id": ids["team"]}, headers=headers
    )
    assert below_itself.status_code == 422
    to_top = client.patch(f"{API}/{ids['shop']}", json={"parent_id": None}, headers=headers)
    assert to_top.get_json()["parent_id"] is None


def test_merge_moves_members_and_teams_and_removes_the_source(
    client: FlaskClient, headers: dict, make_user: Callable[..., User], org: Organisation
) -> None:
    ids = build(client, headers)
    member = make_user(organisation=org)
    place(member, ids["north"])
    merged = client.post(
        f"{API}/{ids['north']}/merge", json={"target_id": ids["south"]}, headers=headers
    )
    assert merged.status_code == 200, merged.get_json()
    db.session.expire_all()
    assert db.session.get(Department, ids["north"]) is None
    assert db.session.get(User, member.id).department_id == ids["south"]  # type: ignore[union-attr]
    assert db.session.get(Department, ids["shop"]).parent_id == ids["south"]  # type: ignore[union-attr]
    into_itself = client.post(
        f"{API}/{ids['south']}/merge", json={"target_id": ids["team"]}, headers=headers
    )
    assert into_itself.status_code == 422


def test_only_an_empty_department_is_deleted(
    client: FlaskClient, headers: dict, make_user: Callable[..., User], org: Organisation
) -> None:
    ids = build(client, headers)
    assert client.delete(f"{API}/{ids['shop']}", headers=headers).status_code == 409
    place(make_user(organisation=org), ids["team"])
    assert client.delete(f"{API}/{ids['team']}", headers=headers).status_code == 409
    assert client.delete(f"{API}/{ids['south']}", headers=headers).status_code == 204


def test_a_scoped_admin_manages_only_their_subtree(
    client: FlaskClient,
    headers: dict,
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
    org: Organisation,
) -> None:
    ids = build(client, headers)
    inside = make_user(organisation=org, display_name="车间职工")
    place(inside, ids["team"])
    outside = make_user(organisation=org, display_name="南区职工")
    place(outside, ids["south"])
    workshop_admin = make_user(Role.ADMIN, organisation=org)
    workshop_admin.admin_scope_id = ids["shop"]
    place(workshop_admin, ids["shop"])
    scoped = login(workshop_admin)

    seen = client.get(API, headers=scoped).get_json()["items"]
    assert {item["id"] for item in seen} == {ids["shop"], ids["team"]}
    users = client.get("/api/v1/users", headers=scoped).get_json()["items"]
    assert inside.id in {u["id"] for u in users} and outside.id not in {u["id"] for u in users}
    # outside the subtree: as if nothing were there
    assert client.get(f"/api/v1/users/{outside.id}", headers=scoped).status_code == 404
    assert (
        client.patch(f"/api/v1/users/{outside.id}", json={"occupation": "电工"}, headers=scoped)
    ).status_code == 404
    assert client.post(f"/api/v1/users/{outside.id}/disable", headers=scoped).status_code == 404
    assert (
        client.post(f"/api/v1/users/{outside.id}/password-reset", headers=scoped).status_code == 404
    )
    assert (
        client.patch(f"{API}/{ids['south']}", json={"name": "x"}, headers=scoped).status_code == 404
    )
    assert create(client, scoped, "新分公司").status_code == 403  # no roots
    assert create(client, scoped, "二班", ids["south"]).status_code == 404
    assert create(client, scoped, "二班", ids["shop"]).status_code == 201
    # moving a member out of the subtree, or the subtree itself, is refused
    assert (
        client.patch(
            f"/api/v1/users/{inside.id}", json={"department_id": ids["south"]}, headers=scoped
        ).status_code
        == 404
    )
    assert (
        client.patch(f"{API}/{ids['shop']}", json={"parent_id": ids["south"]}, headers=scoped)
    ).status_code == 403
    assert (
        client.post(
            f"{API}/{ids['team']}/merge", json={"target_id": ids["south"]}, headers=scoped
        ).status_code
        == 404
    )
    # creating a user: in one of the admin's departments, named
    body = {"username": "new-worker", "display_name": "新职工", "password": "long-enough-1"}
    assert client.post("/api/v1/users", json=body, headers=scoped).status_code == 422
    made = client.post("/api/v1/users", json={**body, "department_id": ids["team"]}, headers=scoped)
    assert made.status_code == 201, made.get_json()
    elsewhere = client.post(
        "/api/v1/users",
        json={**body, "username": "other-worker", "department_id": ids["south"]},
        headers=scoped,
    )
    assert elsewhere.status_code == 404


def test_another_organisations_departments_do_not_exist(
    client: FlaskClient,
    headers: dict,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
) -> None:
    ids = build(client, headers)
    stranger = login(make_user(Role.ADMIN, organisation=make_org(code="other-co")))
    assert client.get(API, headers=stranger).get_json()["items"] == []
    assert (
        client.patch(f"{API}/{ids['north']}", json={"name": "x"}, headers=stranger).status_code
        == 404
    )
    assert create(client, stranger, "x", ids["north"]).status_code == 404
    learner = login(
        make_user(
            organisation=db.session.get(
                Organisation, db.session.get(Department, ids["north"]).organisation_id
            )
        )
    )  # type: ignore[union-attr]
    assert client.get(API, headers=learner).status_code == 403


def test_a_scoped_admin_is_refused_outside_their_subtree_in_credits_and_assignments(
    client: FlaskClient,
    headers: dict,
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
    org: Organisation,
) -> None:
    """Every path about a user asks the one rule (scope.manages): credits, assignments."""
    ids = build(client, headers)
    outside = make_user(organisation=org)
    place(outside, ids["south"])
    workshop_admin = make_user(Role.ADMIN, organisation=org)
    workshop_admin.admin_scope_id = ids["shop"]
    place(workshop_admin, ids["shop"])
    scoped = login(workshop_admin)
    adjusted = client.post(
        "/api/v1/credit-adjustments",
        json={"user_id": outside.id, "credits": 5, "reason": "补录"},
        headers=scoped,
    )
    assert adjusted.status_code == 404
    whole = client.post("/api/v1/courses/1/assignments", json={}, headers=scoped)
    assert whole.status_code == 403  # not the whole organisation
