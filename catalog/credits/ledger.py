"""The credit bank's ledger (学分银行): earnings, revocations and adjustments, appended and
never updated in place; the balance is their sum."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from catalog.accounts.models import Role, User
from catalog.clock import utcnow
from catalog.credits.models import (
    CreditTransaction,
    TransactionKind,
)
from catalog.database import db, new_id, upsert
from catalog.errors import NotFound, PermissionDenied
from catalog.learning import statements
from catalog.security import effective_roles


def earn(
    user_id: int, credits: float, source_type: str, source_id: int | str, *, reason: str
) -> bool:
    """Credit an achievement once (a second call for the same source changes nothing)."""
    if credits <= 0:
        return False
    done = db.session.execute(
        upsert(CreditTransaction)
        .values(
            user_id=user_id,
            kind=TransactionKind.EARN.value,
            credits=round(credits, 2),
            source_type=source_type,
            source_id=str(source_id),
            reason=reason[:500],
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["user_id", "kind", "source_type", "source_id"])
        .returning(CreditTransaction.__table__.c.id)
    ).scalar()
    if done is not None:
        statements.record(
            user_id,
            "earned",
            "credit",
            f"{source_type}-{source_id}",
            result={"credits": round(credits, 2), "reason": reason[:200]},
        )
    return done is not None


def revoke(user_id: int, source_type: str, source_id: int | str, *, reason: str, by: User) -> None:
    """Cancel an earning with its counter-transaction (once)."""
    earned = db.session.scalar(
        select(CreditTransaction).where(
            CreditTransaction.user_id == user_id,
            CreditTransaction.kind == TransactionKind.EARN,
            CreditTransaction.source_type == source_type,
            CreditTransaction.source_id == str(source_id),
        )
    )
    if earned is None:
        return
    db.session.execute(
        upsert(CreditTransaction)
        .values(
            user_id=user_id,
            kind=TransactionKind.REVOKE.value,
            credits=-earned.credits,
            source_type=source_type,
            source_id=str(source_id),
            reason=reason[:500],
            reverses_id=earned.id,
            created_by_id=by.id,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["user_id", "kind", "source_type", "source_id"])
    )


def adjust(admin: User, user_id: int, credits: float, reason: str) -> CreditTransaction:
    """An admin's correction of a learner of their organisation, with its reason."""
    learner = member_of(admin, user_id)
    entry = CreditTransaction(
        user_id=learner.id,
        kind=TransactionKind.ADJUST,
        credits=round(credits, 2),
        source_type="manual",
        source_id=new_id(),
        reason=reason,
        created_by_id=admin.id,
    )
    db.session.add(entry)
    db.session.commit()
    return entry


def balance(user_id: int) -> float:
    total = db.session.scalar(
        select(func.coalesce(func.sum(CreditTransaction.credits), 0.0)).where(
            CreditTransaction.user_id == user_id
        )
    )
    return round(float(total or 0.0), 2)


def ledger_query(user_id: int) -> Select[Any]:
    return select(CreditTransaction).where(CreditTransaction.user_id == user_id)


def member_of(admin: User, user_id: int) -> User:
    learner = db.session.get(User, user_id)
    if learner is None or not (
        admin.is_platform_admin or learner.organisation_id == admin.organisation_id
    ):
        raise NotFound("用户不存在 / No such user", details={"id": user_id})
    return learner


def require_admin(user: User) -> None:
    if not (user.is_platform_admin or Role.ADMIN in effective_roles(user)):
        raise PermissionDenied("只有管理员可以这样做 / Admins only")
