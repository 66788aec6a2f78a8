"""The account audit log: what admins did to users and departments (append-only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from catalog.accounts.models import AccountAudit, User
from catalog.database import db


def record(actor: User | None, user: User | None, action: str, details: dict[str, Any]) -> None:
    """Add an entry to the caller's transaction (it lands with the change, or not at all)."""
    organisation_id = (
        user.organisation_id if user is not None else actor.organisation_id if actor else None
    )
    db.session.add(
        AccountAudit(
            organisation_id=organisation_id,
            actor_id=actor.id if actor else None,
            user_id=user.id if user else None,
            action=action,
            details=details,
        )
    )


def entries_for(user_id: int) -> Select[tuple[AccountAudit]]:
    return (
        select(AccountAudit).where(AccountAudit.user_id == user_id).order_by(AccountAudit.id.desc())
    )
