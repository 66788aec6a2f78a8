"""Sign-in: tokens are issued, refreshed and revoked here."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_jwt_extended import current_user, get_jwt, verify_jwt_in_request
from flask_limiter.util import get_remote_address

from catalog.accounts import services
from catalog.accounts.schemas import LoginSchema, TokenSchema
from catalog.api import API_PREFIX, Blueprint
from catalog.errors import ErrorResponseSchema, Invalid
from catalog.extensions import limiter

blp = Blueprint("auth", __name__, url_prefix=f"{API_PREFIX}/auth", description="登录 / Sign-in")


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _ceiling() -> str:
    return str(current_app.config["LOGIN_USER_RATE_LIMIT"])


def _username() -> str:
    body = request.get_json(silent=True)
    username = body.get("username") if isinstance(body, dict) else None
    return str(username).strip().lower()[:200]


def _user_at_address_key() -> str:
    return f"login-user-at:{_username()}|{get_remote_address()}"


def _user_key() -> str:
    return f"login-user:{_username()}"


def _failed(response: Any) -> bool:
    return bool(response.status_code == 401)


def _from_a_known_place() -> bool:
    """The user has signed in from this address before: the per-user ceiling, which others'
    failures can fill, does not lock them out here (their own address's limit still holds)."""
    return services.known_address(_username(), get_remote_address())


@blp.route("/token")
class Tokens(MethodView):
    decorators = [
        # Failed attempts count per user name from one address (so nobody locks a worker out
        # from elsewhere), with slower ceilings per user name — which never shuts out an
        # address the user signed in from before — and per address (spraying).
        limiter.limit(_login_limit, key_func=_user_at_address_key, deduct_when=_failed),
        limiter.limit(
            _ceiling, key_func=_user_key, deduct_when=_failed, exempt_when=_from_a_known_place
        ),
        limiter.limit(_ceiling, deduct_when=_failed),
    ]

    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    @blp.alt_response(401, schema=ErrorResponseSchema, description="用户名或密码错误")
    @blp.alt_response(429, schema=ErrorResponseSchema, description="尝试过多 / Too many attempts")
    def post(self, credentials: dict[str, str]) -> services.TokenPair:
        """Sign in with user name and password; returns an access and a refresh token."""
        return services.authenticate(
            credentials["username"],
            credentials["password"],
            user_agent=request.headers.get("User-Agent"),
            address=get_remote_address(),
        )


@blp.route("/refresh")
class TokenRefresh(MethodView):
    @blp.response(200, TokenSchema)
    @blp.alt_response(
        401, schema=ErrorResponseSchema, description="刷新令牌无效、过期或已用过（登录随之失效）"
    )
    @blp.doc(security=[{"bearerAuth": []}])
    def post(self) -> services.TokenPair:
        """Exchange the refresh token (as the Bearer token) for a new access token and the next
        refresh token; the one sent stops working, and sending it again ends the login, unless
        it is the same request retried (the same ``Idempotency-Key`` header within two minutes:
        a reply lost on a weak signal)."""
        verify_jwt_in_request(refresh=True)
        claims = get_jwt()
        retry_key = request.headers.get("Idempotency-Key") or None
        if retry_key is not None and len(retry_key) > 64:
            raise Invalid(
                "Idempotency-Key 过长 / Idempotency-Key: 64 characters at most",
                details={"headers": {"Idempotency-Key": ["64 characters at most"]}},
            )
        return services.refresh(current_user, claims["sid"], int(claims.get("gen", 0)), retry_key)


@blp.route("/logout")
class Logout(MethodView):
    @blp.response(204)
    @blp.alt_response(401, schema=ErrorResponseSchema, description="未登录 / Not signed in")
    @blp.doc(security=[{"bearerAuth": []}])
    def post(self) -> None:
        """Sign out: revokes this login's access and refresh tokens (send either one)."""
        verify_jwt_in_request(verify_type=False)
        services.logout(get_jwt()["sid"])
