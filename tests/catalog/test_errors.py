"""Every error is the JSON envelope with the right status; never an HTML page."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from catalog.accounts.models import Role


def assert_error(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def test_400_malformed_json(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/auth/token", data='{"username": "a",', content_type="application/json"
    )
    error = assert_error(response, 400, "bad_request")
    assert "JSON" in error["details"]["json"][0]


def test_401_without_token(client: FlaskClient) -> None:
    error = assert_error(client.get("/api/v1/me"), 401, "token_missing")
    assert "需要登录" in error["message"]


def test_403_for_wrong_role(client: FlaskClient, login_as: Callable[..., dict]) -> None:
    headers = login_as(Role.LEARNER)
    error = assert_error(client.get("/api/v1/users", headers=headers), 403, "forbidden")
    assert error["details"]["required_roles"] == ["admin"]


def test_404_inside_and_outside_the_api(client: FlaskClient) -> None:
    assert_error(client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert_error(client.get("/no-such-page"), 404, "not_found")  # "/" is the learner app
    assert_error(client.get("/static/app.js"), 404, "not_found")


def test_an_id_no_row_can_have_is_404_not_an_overflow(
    client: FlaskClient, login_as: Callable[..., dict]
) -> None:
    headers = login_as(Role.LEARNER)
    for path in ("/api/v1/courses/36893488147419103231", "/api/v1/courses/2147483648/cover"):
        assert_error(client.get(path, headers=headers), 404, "not_found")


def test_a_number_the_database_cannot_hold_is_422(
    client: FlaskClient, login_as: Callable[..., dict]
) -> None:
    editor = login_as(Role.EDITOR)
    bank = client.post("/api/v1/banks", json={"name": "越界"}, headers=editor).get_json()["id"]
    question = {"type": "true_false", "stem": "接地线应先接接地端", "answer": {"correct": True}}
    made = client.post(f"/api/v1/banks/{bank}/questions", json=question, headers=editor)
    publish = {"ids": [made.get_json()["id"]], "action": "publish"}
    client.post(f"/api/v1/banks/{bank}/questions/bulk", json=publish, headers=editor)
    body = {
        "title": "越界的时限",
        "mode": "practice",
        "time_limit_seconds": 10**20,
        "sections": [{"points": 1, "count": 1, "bank_ids": [bank]}],
    }
    response = client.post("/api/v1/quiz-templates", json=body, headers=editor)
    error = assert_error(response, 422, "out_of_range")
    assert "超出允许范围" in error["message"]
    body["time_limit_seconds"] = 600  # nothing half-written stands in the way of the fix
    assert client.post("/api/v1/quiz-templates", json=body, headers=editor).status_code == 201


def test_405_names_the_allowed_methods(client: FlaskClient) -> None:
    response = client.delete("/api/v1/auth/token")
    error = assert_error(response, 405, "method_not_allowed")
    assert "POST" in error["details"]["allowed_methods"]
    assert "POST" in response.headers["Allow"]


def test_409_on_duplicate(
    client: FlaskClient, login_as: Callable[..., dict], make_user: Callable
) -> None:
    headers = login_as(Role.PLATFORM_ADMIN)
    body = {"code": "dup-org", "name": "重复", "kind": "enterprise"}
    assert client.post("/api/v1/organisations", json=body, headers=headers).status_code == 201
    error = assert_error(
        client.post("/api/v1/organisations", json=body, headers=headers), 409, "conflict"
    )
    assert error["details"] == {"code": "dup-org"}


def test_413_for_oversized_body(make_app: Callable[..., Flask]) -> None:
    client = make_app(max_request_bytes=1024).test_client()
    response = client.post(
        "/api/v1/auth/token",
        data='{"username": "' + "a" * 4000 + '"}',
        content_type="application/json",
    )
    error = assert_error(response, 413, "payload_too_large")
    assert error["details"]["max_bytes"] == 1024


def test_415_for_a_body_that_is_not_json(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/auth/token",
        data="username=a&password=b",
        content_type="application/x-www-form-urlencoded",
    )
    error = assert_error(response, 415, "unsupported_media_type")
    assert "application/x-www-form-urlencoded" in error["message"]


def test_422_lists_each_field_and_refuses_unknown_fields(client: FlaskClient) -> None:
    response = client.post("/api/v1/auth/token", json={"password": 12, "remember_me": True})
    error = assert_error(response, 422, "validation_error")
    fields = error["details"]["json"]
    assert fields["username"] == ["必填字段 / Missing data for required field."]
    assert fields["password"] == ["应为字符串 / Not a valid string."]
    assert fields["remember_me"] == ["未知字段 / Unknown field."]


def test_422_for_a_bad_query_argument(client: FlaskClient, login_as: Callable[..., dict]) -> None:
    headers = login_as(Role.ADMIN)
    response = client.get("/api/v1/users?page_size=100000", headers=headers)
    error = assert_error(response, 422, "validation_error")
    assert "page_size" in error["details"]["query"]


def test_429_says_when_to_retry(make_app: Callable[..., Flask]) -> None:
    client = make_app(login_rate_limit="2 per minute").test_client()
    for _ in range(2):
        response = client.post("/api/v1/auth/token", json={"username": "x", "password": "y"})
        assert response.status_code == 401
    response = client.post("/api/v1/auth/token", json={"username": "x", "password": "y"})
    error = assert_error(response, 429, "rate_limited")
    assert 0 < error["details"]["retry_after"] <= 60
    assert 0 < int(response.headers["Retry-After"]) <= 60


def test_500_hides_the_trace_and_gives_a_request_id(make_app: Callable[..., Flask]) -> None:
    app = make_app()

    def explode() -> str:
        raise RuntimeError("secret internals: password=hunter2")

    app.add_url_rule("/api/v1/explode", "explode", explode)
    response = app.test_client().get("/api/v1/explode", headers={"X-Request-ID": "req-500-abc"})
    error = assert_error(response, 500, "internal_error")
    assert error["details"] == {"request_id": "req-500-abc"}
    assert "hunter2" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
