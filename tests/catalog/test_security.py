"""Headers every answer carries (attack on issue 20): no framing, private answers not cached."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from catalog.accounts.models import Role


def test_no_page_can_be_framed(client: FlaskClient) -> None:
    for path in ("/api/docs", "/api/openapi.json", "/healthz", "/"):
        assert client.get(path).headers["X-Frame-Options"] == "DENY", path


def test_what_a_signed_in_caller_receives_is_not_kept_by_caches(
    client: FlaskClient, login_as: Callable[..., dict]
) -> None:
    learner = login_as(Role.LEARNER)
    assert client.get("/api/v1/me", headers=learner).headers["Cache-Control"] == "no-store"
    listed = client.get("/api/v1/courses", headers=learner)  # has an ETag: revalidated
    assert listed.headers["Cache-Control"] == "private, no-cache" and listed.headers["ETag"]
    # tokens, before any Authorization header exists, are not kept either
    signed = client.post("/api/v1/auth/token", json={"username": "nobody", "password": "x"})
    assert signed.headers["Cache-Control"] == "no-store"
    # a view that says otherwise keeps its word (a cover's redirect may be kept five minutes)
    assert client.get("/healthz").headers.get("Cache-Control") != "no-store"
