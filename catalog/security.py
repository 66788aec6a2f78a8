"""Authentication and authorisation: password hashing, JWT callbacks, role checks."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from argon2 import Parameters, PasswordHasher, Type, profiles
from flask import Flask, Response, g, request
from flask_jwt_extended import current_user, verify_jwt_in_request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from catalog.accounts.models import AuthSession, Role, User
from catalog.clock import utcnow
from catalog.database import db
from catalog.errors import PermissionDenied, error_response
from catalog.extensions import jwt
from config import Environment, Settings

F = TypeVar("F", bound=Callable[..., Any])

# A platform admin may do everything an organisation admin may, in every organisation.
IMPLIED_ROLES: dict[Role, frozenset[Role]] = {
    Role.PLATFORM_ADMIN: frozenset({Role.ADMIN}),
}


# OWASP's recommended minimum for argon2id (19 MiB, 2 passes, 1 lane): about 20 ms of one core
# per sign-in, where RFC 9106's low-memory profile (64 MiB, t=3, p=4) cost about 90 ms; hashes
# made with other parameters are upgraded at their next successful sign-in (check_needs_rehash).
OWASP_ARGON2ID = Parameters(
    type=Type.ID,
    version=19,
    salt_len=16,
    hash_len=32,
    time_cost=2,
    memory_cost=19 * 1024,
    parallelism=1,
)


def password_hasher_for(settings: Settings) -> PasswordHasher:
    """argon2id at OWASP's minimum; a cheap profile only for the test environment."""
    if settings.environment is Environment.TEST:
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    return PasswordHasher.from_parameters(OWASP_ARGON2ID)


def effective_roles(user: User) -> set[Role]:
    roles = set(user.roles)
    for role in list(roles):
        roles |= IMPLIED_ROLES.get(role, frozenset())
    return roles


def require_roles(*roles: Role, allow_pending_password: bool = False) -> Callable[[F], F]:
    """Let the view run only for a valid access token whose user holds one of ``roles``.

    With no roles, any signed-in user may. The one place where roles are checked, and where a
    user with a reset password is held to changing it first.
    """

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            verify_jwt_in_request()
            if current_user.must_change_password and not allow_pending_password:
                raise PermissionDenied(
                    "密码已被管理员重置，请先修改密码 / Your password was reset: change it first "
                    "(POST /api/v1/me/password)",
                    code="password_change_required",
                )
            if roles and not effective_roles(current_user).intersection(roles):
                raise PermissionDenied(
                    "当前角色无权执行此操作 / Your role does not allow this",
                    details={"required_roles": sorted(r.value for r in roles)},
                )
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def _unauthorized(code: str, message: str) -> Response:
    return error_response(401, code=code, message=message)


def init_security() -> None:
    """Wire flask-jwt-extended's callbacks to our sessions and our error envelope."""

    @jwt.user_identity_loader
    def _identity(user: User) -> str:
        return str(user.id)

    @jwt.user_lookup_loader
    def _lookup(_header: dict[str, Any], payload: dict[str, Any]) -> User | None:
        # The user the login check read, held in ``g``: the session's identity map keeps only
        # weak references, so without it the user would be read again (and their roles too).
        read = g.pop("signed_in", None)
        user = read if read is not None and read.id == int(payload["sub"]) else None
        user = user or db.session.get(User, int(payload["sub"]))
        if user is None or not user.is_active:
            return None
        g.user_id = user.id
        return user

    @jwt.token_in_blocklist_loader
    def _revoked(_header: dict[str, Any], payload: dict[str, Any]) -> bool:
        # one query for the login, its user and their roles (every request asks): the user
        # lookup after it finds them in the session's identity map
        row = (
            db.session.execute(
                select(AuthSession, User)
                .join(User, User.id == AuthSession.user_id)
                .options(joinedload(User.role_grants))
                .where(AuthSession.id == str(payload.get("sid", "")))
            )
            .unique()
            .first()
        )
        session = row[0] if row is not None else None
        if row is not None:
            g.signed_in = row[1]
        return session is None or session.revoked_at is not None or session.expires_at < utcnow()

    @jwt.unauthorized_loader
    def _missing(reason: str) -> Response:
        return _unauthorized("token_missing", "需要登录 / Authentication required: " + reason)

    @jwt.invalid_token_loader
    def _invalid(reason: str) -> Response:
        return _unauthorized("token_invalid", "登录令牌无效 / Invalid token: " + reason)

    @jwt.expired_token_loader
    def _expired(_header: dict[str, Any], payload: dict[str, Any]) -> Response:
        kind = payload.get("type", "access")
        return _unauthorized(
            "token_expired",
            f"登录已过期，请刷新或重新登录 / The {kind} token has expired",
        )

    @jwt.revoked_token_loader
    def _revoked_response(_header: dict[str, Any], _payload: dict[str, Any]) -> Response:
        return _unauthorized("token_revoked", "已退出登录，请重新登录 / The token was revoked")

    @jwt.user_lookup_error_loader
    def _no_user(_header: dict[str, Any], _payload: dict[str, Any]) -> Response:
        return _unauthorized("account_disabled", "账号不存在或已停用 / Account missing or disabled")

    @jwt.needs_fresh_token_loader
    def _not_fresh(_header: dict[str, Any], _payload: dict[str, Any]) -> Response:
        return _unauthorized("token_not_fresh", "请重新登录 / Please sign in again")


def init_response_headers(app: Flask) -> None:
    """Headers every answer carries: no page of ours may be framed by another site, and an
    API answer (tokens, a signed-in caller's data) stays private: revalidated when it has an
    ETag, else never stored, unless the view said otherwise."""

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("X-Frame-Options", "DENY")
        private = "Authorization" in request.headers or request.path.startswith("/api/v1/")
        if private and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = (
                "private, no-cache" if response.headers.get("ETag") else "no-store"
            )
        return response
