"""Personal data (个人信息, PIPL-minded): everything held about a user, and deleting a user.

Each domain registers the tables that hold rows about a user (``register``), so an export
covers them all without this module knowing them. Deleting a user anonymises the account's
personal fields and logins; the ledgers, statements and statistics keyed by the user's id
keep their integrity (totals and audits still add up) but name nobody.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import select, update

from catalog.accounts import audit
from catalog.accounts.lifecycle import revoke_sessions
from catalog.accounts.models import AccountAudit, AuthSession, User
from catalog.accounts.passwords import UNUSABLE
from catalog.accounts.scope import managed_user
from catalog.clock import utcnow
from catalog.database import db
from catalog.errors import Conflict, PermissionDenied
from catalog.runtime import runtime
from ingest.interfaces import StorageError

log = logging.getLogger(__name__)

EXPORT_LIMIT = 100_000  # rows per table in one export: a learner's years fit many times over


@dataclass(frozen=True)
class Holder:
    name: str  # the section of the export
    model: Any
    column: Any  # the column naming the user (or None, with ``where``)
    where: Callable[[int], Any] | None = None  # rows about a user reached through another table
    hidden: frozenset[str] = frozenset()  # columns about others (who scored them), not exported
    order: tuple[Any, ...] = ()  # an order that tells nothing (scorings by total)


HOLDERS: list[Holder] = []


def register(
    name: str,
    model: Any,
    column: Any = None,
    *,
    where: Callable[[int], Any] | None = None,
    hidden: frozenset[str] = frozenset(),
    order: tuple[Any, ...] = (),
) -> None:
    """A table holding rows about a user: by a column naming them, or ``where(user_id)`` for
    rows reached through another (a quiz's answers through its session); ``hidden`` columns
    are about others and stay out of the export."""
    if all(h.name != name for h in HOLDERS):
        HOLDERS.append(Holder(name, model, column, where, hidden, order))


# What a domain forgets of a deleted user, in the deletion's transaction; it names the stored
# objects (scans, photos) to delete once that transaction has landed.
FORGETTERS: list[Callable[[User], list[str]]] = []


def on_anonymise(forget: Callable[[User], list[str]]) -> None:
    if forget not in FORGETTERS:
        FORGETTERS.append(forget)


register("logins", AuthSession, AuthSession.user_id)
register("account_audit", AccountAudit, AccountAudit.user_id)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _row(model: Any, row: Any, hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
    hidden = hidden | {"password_hash", "address_hash", "content_hash"}
    return {
        column.key: _plain(getattr(row, column.key))
        for column in model.__table__.columns
        if column.key not in hidden
    }


def export(user: User) -> dict[str, Any]:
    """Everything held about the user, section by section."""
    profile = _row(User, user)
    profile["roles"] = sorted(role.value for role in user.roles)
    sections: dict[str, Any] = {"profile": profile}
    for holder in HOLDERS:
        about = holder.where(user.id) if holder.where else holder.column == user.id
        query = select(holder.model).where(about).order_by(*holder.order)
        rows = db.session.scalars(query.limit(EXPORT_LIMIT))
        sections[holder.name] = [_row(holder.model, row, holder.hidden) for row in rows]
    return {"exported_at": utcnow().isoformat(), "user_id": user.id, "data": sections}


def export_for(actor: User, user_id: int) -> dict[str, Any]:
    """An admin's export of a user they manage (a request made to the organisation)."""
    user = managed_user(actor, user_id)
    audit.record(actor, user, "personal_data_exported", {})
    db.session.commit()
    return export(user)


def anonymise(actor: User, user_id: int) -> User:
    """Delete a user as a person: name, user name, employee number, phone, occupation and
    logins go; the id stays, so credits, statements and statistics still add up."""
    user = managed_user(actor, user_id)
    if user.id == actor.id:
        raise PermissionDenied("不能注销自己的账号 / You cannot delete yourself")
    if user.anonymised_at is not None:
        raise Conflict("账号已注销 / The account was already deleted", code="anonymised")
    # what other domains forget of the person, while they can still find them by name and 工号
    objects = [key for forget in FORGETTERS for key in forget(user)]
    user.username = f"deleted-{user.id}-{secrets.token_hex(4)}"
    user.display_name = "已注销用户"
    user.employee_no = None
    user.phone = None
    user.occupation = None
    user.password_hash = UNUSABLE + secrets.token_hex(8)
    user.is_active = False
    user.must_change_password = False
    user.anonymised_at = utcnow()
    revoke_sessions(user.id)
    db.session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user.id)
        .values(user_agent=None, address_hash=None)
    )
    for entry in db.session.scalars(
        select(AccountAudit).where(
            AccountAudit.user_id == user.id, AccountAudit.action == "profile_changed"
        )
    ):  # that the profile changed stays; the old names, numbers and phones go
        entry.details = dict.fromkeys(entry.details or {}, "（已注销）")
    audit.record(actor, user, "anonymised", {"objects_deleted": len(objects)})
    db.session.commit()
    store = runtime().object_store
    for key in objects:  # after the commit: a failed deletion never keeps the account named
        try:
            store.delete(key)
        except StorageError:
            log.exception("could not delete %s of anonymised user %s", key, user.id)
    return user
