"""A user's life (issue 18): profile, roles within the admin's powers, disabling a leaver,
password resets with a forced change, one's own password, masked phones, the audit log."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from catalog.accounts.models import Organisation, Role, User
from tests.support.factories import TEST_PASSWORD

TOKEN = "/api/v1/auth/token"


@pytest.fixture
def org(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org(code="plant-co", name="某发电厂")


@pytest.fixture
def admin(make_user: Callable[..., User], org: Organisation) -> User:
    return make_user(Role.ADMIN, organisation=org)


@pytest.fixture
def headers(login: Callable[[User], dict[str, str]], admin: User) -> dict[str, str]:
    return login(admin)


def sign_in(client: FlaskClient, user: User, password: str = TEST_PASSWORD) -> dict:
    response = client.post(TOKEN, json={"username": user.username, "password": password})
    return {"status": response.status_code, **(response.get_json() or {})}


def bearer(body: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {body['access_token']}"}


def test_profile_fields_are_kept_and_checked(
    client: FlaskClient, headers: dict, make_user: Callable[..., User], org: Organisation
) -> None:
    worker = make_user(organisation=org)
    changed = client.patch(
        f"/api/v1/users/{worker.id}",
        json={
            "employee_no": "GD-0001",
            "phone": "138 1234 5678",
            "occupation": "变电检修工",
            "skill_level": 3,
        },
        headers=headers,
    )
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert (body["employee_no"], body["phone"], body["occupation"], body["skill_level"]) == (
        "GD-0001",
        "13812345678",  # the admin sees it whole
        "变电检修工",
        3,
    )
    other = make_user(organisation=org)
    taken = client.patch(
        f"/api/v1/users/{other.id}", json={"employee_no": "GD-0001"}, headers=headers
    )
    assert taken.status_code == 409
    for bad in ({"phone": "call me"}, {"skill_level": 6}, {"skill_level": "三级"}):
        assert (
            client.patch(f"/api/v1/users/{other.id}", json=bad, headers=headers).status_code == 422
        ), bad


def test_a_phone_is_masked_for_everyone_but_the_user_and_their_admins(
    client: FlaskClient,
    headers: dict,
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
    org: Organisation,
    make_org: Callable[..., Organisation],
) -> None:
    worker = make_user(organisation=org)
    client.patch(f"/api/v1/users/{worker.id}", json={"phone": "13812345678"}, headers=headers)
    mine = client.get("/api/v1/me", headers=login(worker)).get_json()
    assert mine["phone"] == "13812345678"
    platform = login(make_user(Role.PLATFORM_ADMIN))
    seen = client.get(f"/api/v1/users/{worker.id}", headers=platform).get_json()
    assert seen["phone"] == "13812345678"
    stranger = login(make_user(Role.ADMIN, organisation=make_org(code="elsewhere")))
    assert client.get(f"/api/v1/users/{worker.id}", headers=stranger).status_code == 404
    entries = client.get(f"/api/v1/users/{worker.id}/audit", headers=headers).get_json()["items"]
    said = next(e for e in entries if e["action"] == "profile_changed")["details"]["phone"]
    assert said == [None, "138****5678"]  # the log keeps that it changed, not the number


def test_disabling_a_leaver_ends_every_login_at_once(
    client: FlaskClient, headers: dict, make_user: Callable[..., User], org: Organisation
) -> None:
    worker = make_user(organisation=org)
    phone, tablet = sign_in(client, worker), sign_in(client, worker)
    disabled = client.post(f"/api/v1/users/{worker.id}/disable", headers=headers)
    assert disabled.status_code == 200 and disabled.get_json()["is_active"] is False
    for device in (phone, tablet):
        assert client.get("/api/v1/me", headers=bearer(device)).status_code == 401
        refreshed = client.post(
            "/api/v1/auth/refresh",
            headers={"Authorization": f"Bearer {device['refresh_token']}"},
        )
        assert refreshed.status_code == 401
    assert sign_in(client, worker)["status"] == 401
    client.post(f"/api/v1/users/{worker.id}/enable", headers=headers)
    assert sign_in(client, worker)["status"] == 200
    listed = client.get(
        "/api/v1/users", query_string={"active": "false"}, headers=headers
    ).get_json()
    assert worker.id not in {u["id"] for u in listed["items"]}


def test_nobody_disables_or_demotes_themselves(
    client: FlaskClient, headers: dict, admin: User
) -> None:
    assert client.post(f"/api/v1/users/{admin.id}/disable", headers=headers).status_code == 403
    assert (
        client.put(
            f"/api/v1/users/{admin.id}/roles", json={"roles": ["learner"]}, headers=headers
        ).status_code
        == 403
    )


def test_roles_change_within_the_admins_own_powers(
    client: FlaskClient,
    headers: dict,
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
    org: Organisation,
) -> None:
    worker = make_user(organisation=org)
    made_editor = client.put(
        f"/api/v1/users/{worker.id}/roles", json={"roles": ["learner", "editor"]}, headers=headers
    )
    assert sorted(made_editor.get_json()["roles"]) == ["editor", "learner"]
    for roles in (["admin"], ["platform_admin"]):
        refused = client.put(
            f"/api/v1/users/{worker.id}/roles", json={"roles": roles}, headers=headers
        )
        assert refused.status_code == 403, roles
    other_admin = make_user(Role.ADMIN, organisation=org)
    demote = client.put(
        f"/api/v1/users/{other_admin.id}/roles", json={"roles": ["learner"]}, headers=headers
    )
    assert demote.status_code == 403  # only a platform admin removes an admin
    platform = login(make_user(Role.PLATFORM_ADMIN))
    appointed = client.put(
        f"/api/v1/users/{worker.id}/roles", json={"roles": ["admin"]}, headers=platform
    )
    assert appointed.status_code == 200 and appointed.get_json()["roles"] == ["admin"]
    actions = [
        e["action"]
        for e in client.get(f"/api/v1/users/{worker.id}/audit", headers=headers).get_json()["items"]
    ]
    assert actions.count("roles_changed") == 2


def test_a_reset_password_must_be_changed_at_the_next_sign_in(
    client: FlaskClient, headers: dict, make_user: Callable[..., User], org: Organisation
) -> None:
    worker = make_user(organisation=org)
    before = sign_in(client, worker)
    reset = client.post(f"/api/v1/users/{worker.id}/password-reset", headers=headers)
    assert reset.status_code == 200
    temporary = reset.get_json()["temporary_password"]
    assert client.get("/api/v1/me", headers=bearer(before)).status_code == 401  # logins ended
    assert sign_in(client, worker)["status"] == 401  # the old password is gone
    fresh = sign_in(client, worker, temporary)
    assert fresh["status"] == 200 and fresh["user"]["must_change_password"] is True
    held = client.get("/api/v1/me/courses", headers=bearer(fresh))
    assert held.status_code == 403
    assert held.get_json()["error"]["code"] == "password_change_required"
    assert client.get("/api/v1/me", headers=bearer(fresh)).status_code == 200
    changed = client.post(
        "/api/v1/me/password",
        json={"current_password": temporary, "new_password": "my-own-secret-9"},
        headers=bearer(fresh),
    )
    assert changed.status_code == 200 and changed.get_json()["must_change_password"] is False
    assert client.get("/api/v1/me/courses", headers=bearer(fresh)).status_code == 200
    assert sign_in(client, worker, "my-own-secret-9")["status"] == 200


def test_changing_ones_own_password_ends_the_other_logins_only(
    client: FlaskClient, make_user: Callable[..., User], org: Organisation
) -> None:
    worker = make_user(organisation=org)
    here, there = sign_in(client, worker), sign_in(client, worker)
    wrong = client.post(
        "/api/v1/me/password",
        json={"current_password": "not-it-at-all", "new_password": "another-secret-1"},
        headers=bearer(here),
    )
    assert wrong.status_code == 403
    same = client.post(
        "/api/v1/me/password",
        json={"current_password": TEST_PASSWORD, "new_password": TEST_PASSWORD},
        headers=bearer(here),
    )
    assert same.status_code == 422
    short = client.post(
        "/api/v1/me/password",
        json={"current_password": TEST_PASSWORD, "new_password": "short"},
        headers=bearer(here),
    )
    assert short.status_code == 422
    changed = client.post(
        "/api/v1/me/password",
        json={"current_password": TEST_PASSWORD, "new_password": "another-secret-1"},
        headers=bearer(here),
    )
    assert changed.status_code == 200
    assert client.get("/api/v1/me", headers=bearer(here)).status_code == 200
    assert client.get("/api/v1/me", headers=bearer(there)).status_code == 401


def test_learners_and_editors_manage_nobody(
    client: FlaskClient,
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
    org: Organisation,
) -> None:
    worker = make_user(organisation=org)
    for role in (Role.LEARNER, Role.EDITOR, Role.INSTRUCTOR):
        someone = login(make_user(role, organisation=org))
        assert client.post(f"/api/v1/users/{worker.id}/disable", headers=someone).status_code == 403
        assert client.get(f"/api/v1/users/{worker.id}", headers=someone).status_code == 403
