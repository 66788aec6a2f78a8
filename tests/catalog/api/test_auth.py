"""Tokens: issue, refresh, expiry, revocation; login rate limits in memory and in Redis."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import cast

import pytest
import redis
from argon2 import PasswordHasher, Type, extract_parameters
from flask import Flask
from flask.testing import FlaskClient
from flask_jwt_extended import create_access_token, create_refresh_token

from catalog.accounts.models import AuthSession, Role, User
from catalog.accounts.services import REFRESH_RETRY_SECONDS
from catalog.clock import utcnow
from catalog.database import db
from catalog.runtime import runtime
from catalog.security import password_hasher_for
from config import Environment, Settings
from tests.support.factories import TEST_PASSWORD

TOKEN = "/api/v1/auth/token"


def sign_in(client: FlaskClient, user: User, password: str = TEST_PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(TOKEN, json={"username": user.username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_sign_in_issues_access_and_refresh_tokens(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.LEARNER, Role.INSTRUCTOR)
    response = sign_in(client, user)
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 15 * 60
    assert body["refresh_expires_in"] == 30 * 86400
    assert body["user"]["roles"] == ["instructor", "learner"]
    me = client.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.get_json()["username"] == user.username
    assert me.get_json()["organisation"]["code"] == "home-org"


def test_password_is_stored_as_argon2id(make_user: Callable[..., User]) -> None:
    user = make_user()
    assert user.password_hash.startswith("$argon2id$")
    assert TEST_PASSWORD not in user.password_hash


@pytest.mark.parametrize("case", ["wrong password", "unknown user", "disabled user"])
def test_bad_credentials_get_one_answer(
    client: FlaskClient, make_user: Callable[..., User], case: str
) -> None:
    user = make_user()
    if case == "disabled user":
        user.is_active = False
        db.session.commit()
    if case == "unknown user":
        response = client.post(TOKEN, json={"username": "nobody", "password": TEST_PASSWORD})
    else:
        response = sign_in(client, user, "wrong" if case == "wrong password" else TEST_PASSWORD)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_credentials"


def test_refresh_rotates_the_refresh_token(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    """Issue 18: each refresh returns the next refresh token (it used to return none)."""
    tokens = sign_in(client, make_user()).get_json()
    response = client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert response.status_code == 200
    body = response.get_json()
    assert client.get("/api/v1/me", headers=bearer(body["access_token"])).status_code == 200
    assert body["refresh_token"] != tokens["refresh_token"]
    # rotating does not lengthen the login: the new token ends when the session does
    assert 0 < body["refresh_expires_in"] <= tokens["refresh_expires_in"]
    again = client.post("/api/v1/auth/refresh", headers=bearer(body["refresh_token"]))
    assert again.status_code == 200, again.get_json()


def test_a_refresh_token_used_twice_ends_the_login(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    """A copied refresh token: whoever uses it second (thief or owner) ends the login for both,
    and every token of that login stops working at once."""
    tokens = sign_in(client, make_user()).get_json()
    owner = client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"])).get_json()
    thief = client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert thief.status_code == 401
    assert thief.get_json()["error"]["code"] == "refresh_token_reused"
    assert client.get("/api/v1/me", headers=bearer(owner["access_token"])).status_code == 401
    newer = client.post("/api/v1/auth/refresh", headers=bearer(owner["refresh_token"]))
    assert newer.status_code == 401
    assert client.get("/api/v1/me", headers=bearer(tokens["access_token"])).status_code == 401


def test_a_refresh_whose_reply_was_lost_may_be_retried_with_its_key(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    """A phone on a weak signal sent its refresh, the server rotated, the reply never came:
    the phone sent the old token again and the whole login ended (attack on issue 20)."""
    tokens = sign_in(client, make_user()).get_json()
    attempt = {**bearer(tokens["refresh_token"]), "Idempotency-Key": "attempt-1"}
    lost = client.post("/api/v1/auth/refresh", headers=attempt)
    assert lost.status_code == 200
    retried = client.post("/api/v1/auth/refresh", headers=attempt)
    assert retried.status_code == 200  # the same request again: tokens of that generation
    me = client.get("/api/v1/me", headers=bearer(retried.get_json()["access_token"]))
    assert me.status_code == 200
    following = client.post(
        "/api/v1/auth/refresh", headers=bearer(retried.get_json()["refresh_token"])
    )
    assert following.status_code == 200  # the login goes on
    # the old token with another key, or none, is a copy: the login ends
    thief = client.post(
        "/api/v1/auth/refresh",
        headers={**bearer(tokens["refresh_token"]), "Idempotency-Key": "guess"},
    )
    assert thief.status_code == 401
    ended = client.get("/api/v1/me", headers=bearer(following.get_json()["access_token"]))
    assert ended.status_code == 401
    # a key is compared whole: one longer than 64 characters is refused, not cut short
    fresh = sign_in(client, make_user(username="other-phone")).get_json()
    long_key = {**bearer(fresh["refresh_token"]), "Idempotency-Key": "a" * 64 + "X"}
    assert client.post("/api/v1/auth/refresh", headers=long_key).status_code == 422


def test_a_retried_refresh_is_honoured_only_shortly_after(
    client: FlaskClient, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = sign_in(client, make_user()).get_json()
    attempt = {**bearer(tokens["refresh_token"]), "Idempotency-Key": "attempt-1"}
    assert client.post("/api/v1/auth/refresh", headers=attempt).status_code == 200
    later = utcnow() + timedelta(seconds=REFRESH_RETRY_SECONDS + 1)
    monkeypatch.setattr("catalog.accounts.services.utcnow", lambda: later)
    assert client.post("/api/v1/auth/refresh", headers=attempt).status_code == 401


def test_two_refreshes_racing_with_one_token_leave_one_winner(
    app: Flask, make_user: Callable[..., User]
) -> None:
    """Two devices (or a phone's retry) race with the same refresh token: one conditional
    update decides; never two live successors of one token."""
    user = make_user()
    with app.test_client() as first:
        tokens = sign_in(first, user).get_json()
    results: list[int] = []

    def use() -> None:
        with app.test_client() as client:
            response = client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"]))
            results.append(response.status_code)

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(200) <= 1
    assert sorted(set(results)) in ([200, 401], [401])


def test_tokens_are_not_interchangeable(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    tokens = sign_in(client, make_user()).get_json()
    as_access = client.get("/api/v1/me", headers=bearer(tokens["refresh_token"]))
    assert as_access.status_code == 401
    as_refresh = client.post("/api/v1/auth/refresh", headers=bearer(tokens["access_token"]))
    assert as_refresh.status_code == 401


def _session_id(user: User) -> str:
    session = db.session.scalars(db.select(AuthSession).filter_by(user_id=user.id)).one()
    return session.id


def test_expired_access_token_is_refused(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user()
    sign_in(client, user)
    token = create_access_token(
        user, expires_delta=timedelta(seconds=-5), additional_claims={"sid": _session_id(user)}
    )
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "token_expired"


def test_expired_refresh_token_is_refused(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user()
    sign_in(client, user)
    token = create_refresh_token(
        user, expires_delta=timedelta(seconds=-5), additional_claims={"sid": _session_id(user)}
    )
    response = client.post("/api/v1/auth/refresh", headers=bearer(token))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "token_expired"


def test_expired_login_session_refuses_its_tokens(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user()
    tokens = sign_in(client, user).get_json()
    session = db.session.get(AuthSession, _session_id(user))
    session.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.get("/api/v1/me", headers=bearer(tokens["access_token"]))
    assert response.get_json()["error"]["code"] == "token_revoked"


def test_logout_revokes_access_and_refresh_tokens(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user()
    tokens = sign_in(client, user).get_json()
    other_device = sign_in(client, user).get_json()
    assert (
        client.post("/api/v1/auth/logout", headers=bearer(tokens["access_token"])).status_code
        == 204
    )
    me = client.get("/api/v1/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 401
    assert me.get_json()["error"]["code"] == "token_revoked"
    refreshed = client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert refreshed.status_code == 401
    # The other device's login is untouched.
    assert client.get("/api/v1/me", headers=bearer(other_device["access_token"])).status_code == 200


def test_logout_with_the_refresh_token_also_works(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    tokens = sign_in(client, make_user()).get_json()
    assert (
        client.post("/api/v1/auth/logout", headers=bearer(tokens["refresh_token"])).status_code
        == 204
    )
    assert client.get("/api/v1/me", headers=bearer(tokens["access_token"])).status_code == 401


def test_disabling_a_user_cuts_their_tokens(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user()
    tokens = sign_in(client, user).get_json()
    user.is_active = False
    db.session.commit()
    response = client.get("/api/v1/me", headers=bearer(tokens["access_token"]))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "account_disabled"


@pytest.mark.parametrize(
    "token",
    # the last one is an unsigned token ("alg": "none") claiming to be user 1
    [
        "not-a-jwt",
        "a.b.c",
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiIxIiwidHlwZSI6ImFjY2VzcyJ9.",
    ],
)
def test_garbage_tokens_are_401(client: FlaskClient, token: str) -> None:
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "token_invalid"


def test_token_signed_with_another_secret_is_refused(
    make_app: Callable[..., Flask], client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user()
    other = make_app(secret_key="another-secret-" + "y" * 40)
    with other.app_context():
        forged = create_access_token(user, additional_claims={"sid": "whatever"})
    response = client.get("/api/v1/me", headers=bearer(forged))
    assert response.get_json()["error"]["code"] == "token_invalid"


def test_successful_logins_are_not_limited(
    make_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    client = make_app(login_rate_limit="2 per minute").test_client()
    user = make_user()
    for _ in range(4):
        assert sign_in(client, user).status_code == 200


def test_failures_from_elsewhere_do_not_lock_a_worker_out(
    make_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    """Ten failures from anywhere locked the real user out for a minute: now failures count
    per user name from one address, with a slower ceiling per user name."""
    client = make_app(
        login_rate_limit="3 per minute", login_user_rate_limit="7 per hour"
    ).test_client()
    user = make_user()
    guess = {"username": user.username, "password": "guess"}

    def attempt(address: str, body: dict[str, str]) -> int:
        reply = client.post(TOKEN, json=body, environ_base={"REMOTE_ADDR": address})
        return int(reply.status_code)

    assert [attempt(f"10.0.0.{i}", guess) for i in range(1, 4)] == [401, 401, 401]
    right = {"username": user.username, "password": TEST_PASSWORD}
    assert attempt("10.0.0.99", right) == 200  # the worker on their own phone gets in
    assert [attempt("10.0.1.1", guess) for _ in range(4)] == [401, 401, 401, 429]  # one address
    assert attempt("10.0.2.1", guess) == 401  # a seventh failure in the hour…
    assert attempt("10.0.3.1", right) == 429  # …reaches the ceiling for the user name
    # but never where the worker signed in before (issue 15's attacker, finding 7: a hundred
    # failures from twelve addresses locked the real user out everywhere for an hour)
    assert attempt("10.0.0.99", right) == 200
    assert [attempt("10.0.0.99", guess) for _ in range(4)] == [401, 401, 401, 429]


def test_behind_trusted_proxies_the_forwarded_address_counts(
    make_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    """Behind a load balancer every request came from its address: one user's failures
    limited everybody's sign-in. TRUSTED_PROXIES reads the client's own."""
    client = make_app(login_rate_limit="2 per minute", trusted_proxies=1).test_client()
    user = make_user()
    guess = {"username": user.username, "password": "guess"}

    def attempt(forwarded: str) -> int:
        reply = client.post(
            TOKEN,
            json=guess,
            headers={"X-Forwarded-For": forwarded},
            environ_base={"REMOTE_ADDR": "10.9.9.9"},  # the balancer
        )
        return int(reply.status_code)

    assert [attempt("203.0.113.7") for _ in range(3)] == [401, 401, 429]
    assert attempt("198.51.100.8") == 401  # another client behind the same balancer


def test_the_default_limits_are_shared_by_the_machines_processes(
    make_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    """Counted in each process's memory, two workers let 19 of 24 failures through as 401s."""
    options = {"login_rate_limit": "2 per minute", "rate_limit_storage_url": ""}
    first, second = make_app(**options).test_client(), make_app(**options).test_client()
    user = make_user()
    bad = {"username": user.username, "password": "nope"}
    address = {"REMOTE_ADDR": "10.9.9.9"}
    assert first.post(TOKEN, json=bad, environ_base=address).status_code == 401
    assert second.post(TOKEN, json=bad, environ_base=address).status_code == 401
    assert first.post(TOKEN, json=bad, environ_base=address).status_code == 429
    assert second.post(TOKEN, json=bad, environ_base=address).status_code == 429


def _redis_answers() -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", 6379)) == 0


@pytest.mark.skipif(not _redis_answers(), reason="no Redis server answers on 127.0.0.1:6379")
def test_login_limit_is_shared_through_redis(
    make_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    # Two app processes (here two apps) share the count when limits live in Redis.
    options = {
        "login_rate_limit": "2 per minute",
        "rate_limit_storage_url": "redis://127.0.0.1:6379/0",
    }
    first, second = make_app(**options).test_client(), make_app(**options).test_client()
    user = make_user()
    bad = {"username": user.username, "password": "nope"}
    # A client address of its own, so that counts left in Redis by other runs do not interfere.
    address = {"REMOTE_ADDR": f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"}
    assert first.post(TOKEN, json=bad, environ_base=address).status_code == 401
    assert second.post(TOKEN, json=bad, environ_base=address).status_code == 401
    assert first.post(TOKEN, json=bad, environ_base=address).status_code == 429
    assert second.post(TOKEN, json=bad, environ_base=address).status_code == 429
    # The counts really are in Redis (not in this process's memory).
    keys = redis.Redis.from_url("redis://127.0.0.1:6379/0").keys(f"*{address['REMOTE_ADDR']}*")
    assert keys


def test_a_hash_with_other_parameters_is_upgraded_at_the_next_sign_in(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    """Hashes made before the OWASP parameters (or any other) are re-made on a successful
    sign-in, with the password just checked; a failed sign-in changes nothing."""
    user = make_user()
    old = PasswordHasher(time_cost=1, memory_cost=64, parallelism=2).hash(TEST_PASSWORD)
    user.password_hash = old
    db.session.commit()
    assert sign_in(client, user, "wrong-password").status_code == 401
    db.session.refresh(user)
    assert user.password_hash == old
    assert sign_in(client, user).status_code == 200
    db.session.refresh(user)
    assert user.password_hash != old
    assert not runtime().password_hasher.check_needs_rehash(user.password_hash)
    assert sign_in(client, user).status_code == 200


def test_production_hashes_use_owasp_minimum_parameters() -> None:
    production = cast(Settings, SimpleNamespace(environment=Environment.PRODUCTION))
    hasher = password_hasher_for(production)
    parameters = extract_parameters(hasher.hash("correct horse battery"))
    assert (parameters.type, parameters.memory_cost, parameters.time_cost) == (
        Type.ID,
        19 * 1024,
        2,
    )
    assert parameters.parallelism == 1
