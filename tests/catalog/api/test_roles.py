"""Who may do what: anonymous, learner, organisation admin, platform admin."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from catalog.accounts.models import Organisation, Role

STAFF_ENDPOINTS = [("get", "/api/v1/users"), ("get", "/api/v1/organisations")]


@pytest.mark.parametrize(
    ("method", "path"), [*STAFF_ENDPOINTS, ("get", "/api/v1/me"), ("get", "/api/v1/tasks/abc")]
)
def test_anonymous_gets_401(client: FlaskClient, method: str, path: str) -> None:
    assert getattr(client, method)(path).status_code == 401


@pytest.mark.parametrize("role", [Role.LEARNER, Role.INSTRUCTOR, Role.EDITOR])
@pytest.mark.parametrize(("method", "path"), STAFF_ENDPOINTS)
def test_non_admins_get_403(
    client: FlaskClient, login_as: Callable[..., dict], role: Role, method: str, path: str
) -> None:
    assert getattr(client, method)(path, headers=login_as(role)).status_code == 403


def test_admin_sees_only_their_organisation(
    client: FlaskClient,
    login_as: Callable[..., dict],
    make_org: Callable[..., Organisation],
    make_user: Callable,
) -> None:
    mine, theirs = make_org(code="mine"), make_org(code="theirs")
    make_user(Role.LEARNER, organisation=mine, username="my-worker")
    make_user(Role.LEARNER, organisation=theirs, username="their-worker")
    headers = login_as(Role.ADMIN, organisation=mine)
    users = client.get("/api/v1/users", headers=headers).get_json()
    assert {u["username"] for u in users["items"]} >= {"my-worker"}
    assert "their-worker" not in {u["username"] for u in users["items"]}
    orgs = client.get("/api/v1/organisations", headers=headers).get_json()
    assert [o["code"] for o in orgs["items"]] == ["mine"]


def test_platform_admin_sees_everything(
    client: FlaskClient, login_as: Callable[..., dict], make_org: Callable[..., Organisation]
) -> None:
    make_org(code="a-org"), make_org(code="b-org")
    orgs = client.get("/api/v1/organisations", headers=login_as(Role.PLATFORM_ADMIN)).get_json()
    assert {"a-org", "b-org"} <= {o["code"] for o in orgs["items"]}
    assert orgs["total"] == len(orgs["items"])


def test_admin_creates_users_in_own_organisation_only(
    client: FlaskClient, login_as: Callable[..., dict], make_org: Callable[..., Organisation]
) -> None:
    mine, theirs = make_org(code="mine"), make_org(code="theirs")
    headers = login_as(Role.ADMIN, organisation=mine)
    new = {"username": "worker-007", "display_name": "李工", "password": "long enough"}
    created = client.post("/api/v1/users", json=new, headers=headers)
    assert created.status_code == 201
    assert created.get_json()["organisation"]["code"] == "mine"
    assert created.get_json()["roles"] == ["learner"]
    elsewhere = {**new, "username": "worker-008", "organisation_code": "theirs"}
    assert client.post("/api/v1/users", json=elsewhere, headers=headers).status_code == 403
    escalate = {**new, "username": "worker-009", "roles": ["platform_admin"]}
    assert client.post("/api/v1/users", json=escalate, headers=headers).status_code == 403
    assert theirs.id


def test_only_platform_admin_creates_organisations(
    client: FlaskClient, login_as: Callable[..., dict]
) -> None:
    body = {"code": "new-org", "name": "新组织", "kind": "union"}
    assert (
        client.post("/api/v1/organisations", json=body, headers=login_as(Role.ADMIN)).status_code
        == 403
    )
    created = client.post("/api/v1/organisations", json=body, headers=login_as(Role.PLATFORM_ADMIN))
    assert created.status_code == 201
    assert created.get_json()["kind"] == "union"


def test_user_create_validates_fields(client: FlaskClient, login_as: Callable[..., dict]) -> None:
    headers = login_as(Role.ADMIN)
    bad = {"username": "x", "display_name": "", "password": "short", "roles": ["boss"]}
    error = client.post("/api/v1/users", json=bad, headers=headers).get_json()["error"]
    assert set(error["details"]["json"]) == {"username", "display_name", "password", "roles"}
