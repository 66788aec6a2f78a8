"""The credit bank's audit log: every rule change, review, revocation, adjustment and award,
appended with who, when, what and the state before and after; read by platform admins (all)
and an organisation's admins (theirs). Nobody acts on their own credits (four eyes)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from catalog.accounts.models import Role, User
from catalog.accounts.scope import managed_users, scope_of
from catalog.credits.models import AuditAction, CreditAudit
from catalog.database import db
from catalog.errors import PermissionDenied
from catalog.security import effective_roles


def record(
    action: AuditAction,
    *,
    actor: User | None,
    organisation_id: int | None,
    target_type: str,
    target_id: int | str,
    subject_user_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """Append one action (in the caller's transaction: it commits with what it records)."""
    db.session.add(
        CreditAudit(
            organisation_id=organisation_id,
            actor_id=actor.id if actor is not None else None,
            action=action,
            subject_user_id=subject_user_id,
            target_type=target_type,
            target_id=str(target_id),
            before=before,
            after=after,
            reason=reason,
        )
    )


def not_for_oneself(actor: User, subject_user_id: int, what: str) -> None:
    """Four eyes: an admin never approves, rejects, revokes or adjusts their own credits."""
    if actor.id == subject_user_id:
        raise PermissionDenied(
            f"不能{what}自己的学分或证书，请由其他管理员处理 / Another admin must {what_en(what)} "
            "your own credits or certificates",
            code="four_eyes",
        )


def what_en(what: str) -> str:
    return {"审核": "review", "撤销": "revoke", "调整": "adjust"}.get(what, "act on")


def audit_query(viewer: User, subject_user_id: int | None = None) -> Select[Any]:
    """The log a viewer may read, newest first by the caller's paging."""
    require_admin(viewer)
    query = select(CreditAudit)
    if not viewer.is_platform_admin:
        if viewer.organisation_id is None:
            raise PermissionDenied("只有管理员可以这样做 / Admins only")
        query = query.where(CreditAudit.organisation_id == viewer.organisation_id)
        if scope_of(viewer) is not None:  # a department's admin: about people they manage
            query = query.where(
                CreditAudit.subject_user_id.is_(None)
                | CreditAudit.subject_user_id.in_(select(User.id).where(managed_users(viewer)))
            )
    if subject_user_id is not None:
        query = query.where(CreditAudit.subject_user_id == subject_user_id)
    return query


def require_admin(user: User) -> None:
    if not (user.is_platform_admin or Role.ADMIN in effective_roles(user)):
        raise PermissionDenied("只有管理员可以这样做 / Admins only")
