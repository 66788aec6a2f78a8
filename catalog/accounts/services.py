"""Account services: organisations, users, logins and their tokens."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token
from sqlalchemy import Select, select, update

from catalog.accounts.models import (
    AuthSession,
    Organisation,
    OrganisationKind,
    Role,
    User,
    UserRole,
)
from catalog.accounts.passwords import ONE_TIME, matches_one_time
from catalog.clock import utcnow
from catalog.database import db
from catalog.errors import Conflict, DomainError, Invalid, NotFound, PermissionDenied
from catalog.runtime import runtime

MIN_PASSWORD_LENGTH = 8


class InvalidCredentials(DomainError):
    status = 401
    code = "invalid_credentials"


class RefreshTokenReused(DomainError):
    status = 401
    code = "refresh_token_reused"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str | None
    expires_in: int
    refresh_expires_in: int | None
    user: User
    token_type: str = "Bearer"


# --- organisations -------------------------------------------------------------------------


def create_organisation(*, code: str, name: str, kind: OrganisationKind) -> Organisation:
    code = code.strip()
    if db.session.scalar(select(Organisation.id).where(Organisation.code == code)) is not None:
        raise Conflict(
            f"组织代码已存在 / Organisation code {code!r} is taken", details={"code": code}
        )
    organisation = Organisation(code=code, name=name.strip(), kind=kind)
    db.session.add(organisation)
    db.session.commit()
    return organisation


def get_organisation_by_code(code: str) -> Organisation:
    organisation: Organisation | None = db.session.scalar(
        select(Organisation).where(Organisation.code == code)
    )
    if organisation is None:
        raise NotFound(f"组织不存在 / No organisation {code!r}", details={"code": code})
    return organisation


def organisations_visible_to(actor: User) -> Select[tuple[Organisation]]:
    query = select(Organisation).order_by(Organisation.code)
    if not actor.is_platform_admin:
        query = query.where(Organisation.id == actor.organisation_id)
    return query


# --- users ---------------------------------------------------------------------------------


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            f"密码至少 {MIN_PASSWORD_LENGTH} 位 / Password needs {MIN_PASSWORD_LENGTH}+ characters",
            details={"password": ["too short"]},
        )


def create_user(
    *,
    username: str,
    display_name: str,
    password: str,
    roles: Iterable[Role],
    organisation: Organisation | None,
    commit: bool = True,
) -> User:
    """Create a user; everyone but a platform admin belongs to an organisation."""
    role_set = set(roles) or {Role.LEARNER}
    username = username.strip()
    if organisation is None and role_set != {Role.PLATFORM_ADMIN}:
        raise Invalid(
            "除平台管理员外，用户必须属于一个组织 / Only a platform admin may have no organisation",
            details={"organisation": ["required for these roles"]},
        )
    _check_password(password)
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(
            f"用户名已存在 / Username {username!r} is taken", details={"username": username}
        )
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=runtime().password_hasher.hash(password),
        organisation=organisation,
        role_grants=[UserRole(role=role) for role in sorted(role_set)],
    )
    db.session.add(user)
    if commit:
        db.session.commit()
    return user


def create_user_as(
    actor: User,
    *,
    username: str,
    display_name: str,
    password: str,
    roles: Iterable[Role],
    organisation_code: str | None,
    department_id: int | None = None,
    **profile: Any,
) -> User:
    """An admin creates a user in their own organisation (a scoped admin: in a department they
    manage); a platform admin anywhere. The creation is in the account audit log."""
    from catalog.accounts import audit, lifecycle
    from catalog.accounts.departments import get_department

    roles = set(roles)
    if organisation_code is None:
        organisation = actor.organisation
    else:
        organisation = get_organisation_by_code(organisation_code)
    if not actor.is_platform_admin:
        if organisation is None or organisation.id != actor.organisation_id:
            raise PermissionDenied(
                "只能在本组织内创建用户 / Admins create users in their own organisation"
            )
        if Role.PLATFORM_ADMIN in roles:
            raise PermissionDenied(
                "无权授予平台管理员角色 / Only a platform admin grants that role"
            )
        if Role.ADMIN in roles:  # else one admin makes a second to approve their own credits
            raise PermissionDenied(
                "只有平台管理员可以任命管理员 / Only a platform admin appoints admins",
                code="four_eyes",
            )
    department = get_department(actor, department_id) if department_id is not None else None
    if department is not None and (
        organisation is None or department.organisation_id != organisation.id
    ):
        raise Invalid("部门不属于该组织 / not a department of the organisation")
    if department is None and actor.admin_scope_id is not None and not actor.is_platform_admin:
        raise Invalid(
            "请指定所辖部门 / Name one of your departments",
            details={"department_id": ["required"]},
        )
    clean = lifecycle.check_profile(profile)
    user = create_user(
        username=username,
        display_name=display_name,
        password=password,
        roles=roles,
        organisation=organisation,
        commit=False,
    )
    user.department_id = department.id if department else None
    db.session.flush()
    if clean.get("employee_no"):
        lifecycle.employee_no_free(user, clean["employee_no"])
    for field, value in clean.items():
        setattr(user, field, value)
    audit.record(actor, user, "created", {"roles": sorted(r.value for r in roles)})
    db.session.commit()
    return user


def users_visible_to(actor: User) -> Select[tuple[User]]:
    query = select(User).order_by(User.id)
    if not actor.is_platform_admin:
        query = query.where(User.organisation_id == actor.organisation_id)
    return query


# --- logins --------------------------------------------------------------------------------


KNOWN_ADDRESS_DAYS = 90


def address_hash(address: str) -> str:
    """An address as kept: a keyed hash, so the database holds no addresses."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:64]


def known_address(username: str, address: str) -> bool:
    """The user signed in from this address within the last 90 days."""
    since = utcnow() - timedelta(days=KNOWN_ADDRESS_DAYS)
    return (
        db.session.scalar(
            select(AuthSession.id)
            .join(User, User.id == AuthSession.user_id)
            .where(
                User.username == username.strip(),
                AuthSession.address_hash == address_hash(address),
                AuthSession.created_at >= since,
            )
            .limit(1)
        )
        is not None
    )


def authenticate(
    username: str, password: str, *, user_agent: str | None, address: str | None = None
) -> TokenPair:
    """Check a password and open a login session with an access and a refresh token."""
    hasher = runtime().password_hasher
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.is_active:
        # Spend the same time as a real check so that user names cannot be probed by timing.
        _burn_a_hash(password)
        raise InvalidCredentials("用户名或密码错误 / Wrong user name or password")
    if user.password_hash.startswith(ONE_TIME):  # handed out by an admin: changed at once after
        if not matches_one_time(user.password_hash, password):
            _burn_a_hash(password)
            raise InvalidCredentials("用户名或密码错误 / Wrong user name or password")
    else:
        try:
            hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            raise InvalidCredentials("用户名或密码错误 / Wrong user name or password") from None
        if hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hasher.hash(password)
    settings = runtime().settings
    session = AuthSession(
        user_id=user.id,
        expires_at=utcnow() + timedelta(days=settings.refresh_token_days),
        user_agent=(user_agent or "")[:255] or None,
        address_hash=address_hash(address) if address else None,
    )
    db.session.add(session)
    db.session.commit()
    return _pair(user, session.id, 0, session.expires_at)


def _pair(user: User, session_id: str, generation: int, expires_at: datetime) -> TokenPair:
    """An access token and the refresh token of ``generation``, which expires with its session
    (rotating does not lengthen a login)."""
    settings = runtime().settings
    left = max(1, round((expires_at - utcnow()).total_seconds()))
    claims = {"sid": session_id}
    return TokenPair(
        access_token=create_access_token(user, additional_claims=claims),
        refresh_token=create_refresh_token(
            user,
            additional_claims={**claims, "gen": generation},
            expires_delta=timedelta(seconds=left),
        ),
        expires_in=settings.access_token_minutes * 60,
        refresh_expires_in=left,
        user=user,
    )


def _burn_a_hash(password: str) -> None:
    registry = runtime()
    if registry.dummy_password_hash is None:
        registry.dummy_password_hash = registry.password_hasher.hash("not anybody's password")
    with contextlib.suppress(VerificationError):
        registry.password_hasher.verify(registry.dummy_password_hash, password)


# How long a phone may retry a refresh whose reply it lost (same token, same Idempotency-Key).
REFRESH_RETRY_SECONDS = 120


def refresh(
    user: User, session_id: str, generation: int, retry_key: str | None = None
) -> TokenPair:
    """A new access token and the next refresh token for the same login session. The refresh
    token used stops working; presenting it again (a copy, or a replay) revokes the session,
    for the thief and the owner alike, so the owner signs in again and the copy is dead.

    The one exception is a phone retrying a refresh whose reply it lost on a weak signal: the
    same token with the same ``retry_key`` (its Idempotency-Key), within
    ``REFRESH_RETRY_SECONDS``, gets tokens of the generation that refresh made. A copy of the
    token without that request's key still ends the login.

    The step is one conditional UPDATE: of two requests with the same token, one wins."""
    now = utcnow()
    moved = db.session.execute(
        update(AuthSession)
        .where(
            AuthSession.id == session_id,
            AuthSession.refresh_generation == generation,
            AuthSession.revoked_at.is_(None),
        )
        .values(refresh_generation=generation + 1, last_refresh_key=retry_key, last_refresh_at=now)
    )
    if moved.rowcount != 1 and not _retried_refresh(session_id, generation, retry_key, now):  # type: ignore[attr-defined]
        db.session.execute(
            update(AuthSession)
            .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        db.session.commit()
        raise RefreshTokenReused(
            "刷新令牌已被使用过，为安全起见本次登录已失效，请重新登录 / This refresh token was "
            "already used: the login is revoked, please sign in again"
        )
    expires_at = db.session.scalar(
        select(AuthSession.expires_at).where(AuthSession.id == session_id)
    )
    db.session.commit()
    assert expires_at is not None
    return _pair(user, session_id, generation + 1, expires_at)


def _retried_refresh(
    session_id: str, generation: int, retry_key: str | None, now: datetime
) -> bool:
    """The refresh that moved this session on was this very request, sent again."""
    if not retry_key:
        return False
    session = db.session.get(AuthSession, session_id)
    return (
        session is not None
        and session.revoked_at is None
        and session.refresh_generation == generation + 1
        and session.last_refresh_key is not None
        and hmac.compare_digest(session.last_refresh_key, retry_key)
        and session.last_refresh_at is not None
        and now - session.last_refresh_at <= timedelta(seconds=REFRESH_RETRY_SECONDS)
    )


def logout(session_id: str) -> None:
    """Revoke a login session: both its access and its refresh token stop working."""
    session = db.session.get(AuthSession, session_id)
    if session is not None and session.revoked_at is None:
        session.revoked_at = utcnow()
        db.session.commit()
