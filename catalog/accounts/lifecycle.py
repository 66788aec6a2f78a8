"""A user's life in an organisation: profile, department, roles, leaving and coming back,
passwords. Every admin action is checked with ``scope.manages`` and written to the audit log
in the same transaction."""

from __future__ import annotations

import re
import secrets
from typing import Any

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Select, select, update

from catalog.accounts import audit
from catalog.accounts.departments import get_department, lock_tree
from catalog.accounts.models import AuthSession, Department, Role, User, UserRole
from catalog.accounts.passwords import ONE_TIME, matches_one_time, one_time_hash
from catalog.accounts.scope import managed_user, managed_users, subtree_ids
from catalog.clock import utcnow
from catalog.database import db
from catalog.errors import Conflict, Invalid, PermissionDenied
from catalog.runtime import runtime

MIN_PASSWORD_LENGTH = 8
SKILL_LEVELS = {1: "初级工", 2: "中级工", 3: "高级工", 4: "技师", 5: "高级技师"}
PHONE = re.compile(r"^\+?\d{6,15}$")
GRANTED_BY_ORG_ADMINS = {Role.LEARNER, Role.INSTRUCTOR, Role.EDITOR}


def mask_phone(phone: str | None) -> str | None:
    """``13812345678`` → ``138****5678``: enough to recognise, not to call."""
    if not phone:
        return phone
    if len(phone) <= 7:
        return phone[:1] + "*" * (len(phone) - 1)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def revoke_sessions(user_id: int, *, keep: str | None = None) -> int:
    """End every login of the user (but ``keep``) at once: tokens die with their session."""
    query = update(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(AuthSession.id != keep)
    result = db.session.execute(query.values(revoked_at=utcnow()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def check_profile(changes: dict[str, Any]) -> dict[str, Any]:
    """Profile fields normalised (shared by the API and roster imports), or a 422."""
    clean = dict(changes)
    problems: dict[str, list[str]] = {}
    if "phone" in clean and clean["phone"] is not None:
        phone = re.sub(r"[\s\-()（）]", "", str(clean["phone"]))
        if phone and not PHONE.match(phone):
            problems["phone"] = ["手机号应为 6–15 位数字 / 6–15 digits"]
        clean["phone"] = phone or None
    if clean.get("skill_level") is not None and clean["skill_level"] not in SKILL_LEVELS:
        problems["skill_level"] = ["技能等级为 1–5 / 1 to 5"]
    for field in ("employee_no", "occupation"):
        if field in clean and clean[field] is not None:
            clean[field] = str(clean[field]).strip() or None
    if problems:
        raise Invalid("资料有误 / Invalid profile", details=problems)
    return clean


def employee_no_free(user: User, employee_no: str | None) -> None:
    if employee_no is None:
        return
    taken = db.session.scalar(
        select(User.id).where(
            User.organisation_id == user.organisation_id,
            User.employee_no == employee_no,
            User.id != user.id,
        )
    )
    if taken is not None:
        raise Conflict(
            f"工号 {employee_no} 已被使用 / employee number {employee_no!r} is taken",
            code="employee_no_taken",
            details={"employee_no": employee_no},
        )


def update_profile(actor: User, user_id: int, changes: dict[str, Any]) -> User:
    user = managed_user(actor, user_id)
    clean = check_profile(changes)
    if "department_id" in clean:  # not into a department being deleted or merged meanwhile
        if user.organisation_id is not None:
            lock_tree(user.organisation_id)
            user = managed_user(actor, user_id)
        department_id = clean["department_id"]
        if department_id is not None:
            department = get_department(actor, department_id)
            if department.organisation_id != user.organisation_id:
                raise Invalid("部门不属于该用户的组织 / not the user's organisation")
        elif actor.admin_scope_id is not None and not actor.is_platform_admin:
            raise PermissionDenied("不能把人员移出所辖部门 / Keep members inside your department")
    if "employee_no" in clean:
        employee_no_free(user, clean["employee_no"])
    before = {field: getattr(user, field) for field in clean}
    for field, value in clean.items():
        setattr(user, field, value)
    changed = {f: [before[f], v] for f, v in clean.items() if before[f] != v}
    if changed:
        if "phone" in changed:  # the log keeps that it changed, not the numbers
            changed["phone"] = [mask_phone(before["phone"]), mask_phone(clean["phone"])]
        audit.record(actor, user, "profile_changed", changed)
    db.session.commit()
    return user


KEEP_SCOPE: Any = object()  # roles changed without naming the scope: it stays as it is


def set_roles(
    actor: User, user_id: int, roles: set[Role], scope_id: int | None = KEEP_SCOPE
) -> User:
    """Roles within the actor's own powers: an organisation admin grants learner, instructor and
    editor; only a platform admin appoints admins and sets or lifts their department scope
    (an admin's scope left unnamed stays); nobody changes their own roles."""
    user = managed_user(actor, user_id)
    if user.id == actor.id:
        raise PermissionDenied("不能修改自己的角色 / You cannot change your own roles")
    if not roles:
        raise Invalid("至少保留一个角色 / Keep at least one role", details={"roles": ["empty"]})
    touched = roles ^ user.roles
    if not actor.is_platform_admin and touched - GRANTED_BY_ORG_ADMINS:
        raise PermissionDenied(
            "只有平台管理员可以任免管理员 / Only a platform admin appoints or removes admins",
            code="four_eyes",
        )
    if Role.PLATFORM_ADMIN in roles and user.organisation_id is not None:
        raise Invalid("平台管理员不属于任何组织 / A platform admin belongs to no organisation")
    if scope_id is KEEP_SCOPE:
        scope_id = user.admin_scope_id if Role.ADMIN in roles else None
    if scope_id != user.admin_scope_id:
        if not actor.is_platform_admin:
            raise PermissionDenied(
                "只有平台管理员可以设定管理范围 / Only a platform admin scopes admins"
            )
        if scope_id is not None:
            department = db.session.get(Department, scope_id)
            if department is None or department.organisation_id != user.organisation_id:
                raise Invalid("管理范围应为该组织的部门 / scope: a department of the organisation")
    before = sorted(r.value for r in user.roles)
    replace_roles(user, roles)
    user.admin_scope_id = scope_id if Role.ADMIN in roles else None
    audit.record(
        actor,
        user,
        "roles_changed",
        {"from": before, "to": sorted(r.value for r in roles), "admin_scope_id": scope_id},
    )
    db.session.commit()
    return user


def replace_roles(user: User, roles: set[Role]) -> bool:
    """Grant exactly ``roles``: grants kept stay, the others go first (a new grant of a role
    just removed would collide with it), the missing ones are added. Whether anything changed."""
    if roles == user.roles:
        return False
    kept = [grant for grant in user.role_grants if grant.role in roles]
    for grant in user.role_grants:
        if grant.role not in roles:
            db.session.delete(grant)
    db.session.flush()
    held = {grant.role for grant in kept}
    user.role_grants = kept + [UserRole(role=r) for r in sorted(roles) if r not in held]
    return True


def give_one_time_password(user: User) -> tuple[str, int]:
    """A random one-time password (72 bits: a keyed hash keeps it, as tokens are kept), to be
    changed at the next sign-in; every current login of the user ends. The password and how
    many logins ended."""
    password = secrets.token_urlsafe(9)
    user.password_hash = one_time_hash(password)
    user.must_change_password = True
    return password, revoke_sessions(user.id)


def set_active(actor: User, user_id: int, active: bool) -> User:
    """Disable a leaver (every login ends at once) or enable them again."""
    user = managed_user(actor, user_id)
    if user.id == actor.id:
        raise PermissionDenied("不能停用自己的账号 / You cannot disable yourself")
    if user.anonymised_at is not None:
        raise Conflict("账号已注销 / The account was deleted", code="anonymised")
    if user.is_active != active:
        user.is_active = active
        revoked = 0 if active else revoke_sessions(user.id)
        audit.record(
            actor, user, "enabled" if active else "disabled", {"sessions_revoked": revoked}
        )
    db.session.commit()
    return user


def reset_password(actor: User, user_id: int) -> tuple[User, str]:
    """A one-time password the admin hands over; it must be changed at the next sign-in, and
    every current login of the user ends."""
    user = managed_user(actor, user_id)
    if user.id == actor.id:
        raise PermissionDenied("请在“我的”中修改自己的密码 / Change your own password yourself")
    if user.anonymised_at is not None:
        raise Conflict("账号已注销 / The account was deleted", code="anonymised")
    temporary, revoked = give_one_time_password(user)
    audit.record(actor, user, "password_reset", {"sessions_revoked": revoked})
    db.session.commit()
    return user, temporary


def change_own_password(user: User, session_id: str, current: str, new: str) -> User:
    """With the current password; the other logins end, this one stays."""
    hasher = runtime().password_hasher
    if user.password_hash.startswith(ONE_TIME):
        right = matches_one_time(user.password_hash, current)
    else:
        try:
            right = hasher.verify(user.password_hash, current)
        except (VerificationError, InvalidHashError):
            right = False
    if not right:
        raise PermissionDenied(
            "当前密码不正确 / The current password is wrong", code="wrong_password"
        )
    if len(new) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            f"新密码至少 {MIN_PASSWORD_LENGTH} 位 / at least {MIN_PASSWORD_LENGTH} characters",
            details={"new_password": ["too short"]},
        )
    if new == current:
        raise Invalid(
            "新密码不能与当前密码相同 / the new password must differ",
            details={"new_password": ["unchanged"]},
        )
    user.password_hash = hasher.hash(new)
    user.must_change_password = False
    revoked = revoke_sessions(user.id, keep=session_id)
    audit.record(user, user, "password_changed", {"other_sessions_revoked": revoked})
    db.session.commit()
    return user


def users_query(
    actor: User,
    *,
    department_id: int | None = None,
    occupation: str | None = None,
    skill_level: int | None = None,
    active: bool | None = None,
    q: str | None = None,
) -> Select[User]:
    """The users the actor manages, filtered (a department means its whole subtree)."""
    query = select(User).where(managed_users(actor)).order_by(User.id)
    if department_id is not None:
        query = query.where(
            User.department_id.in_(subtree_ids(get_department(actor, department_id)))
        )
    if occupation:
        query = query.where(User.occupation == occupation)
    if skill_level is not None:
        query = query.where(User.skill_level == skill_level)
    if active is not None:
        query = query.where(User.is_active.is_(active))
    if q:
        like = f"%{q.strip()}%"
        query = query.where(
            User.display_name.ilike(like) | User.username.ilike(like) | User.employee_no.ilike(like)
        )
    return query
