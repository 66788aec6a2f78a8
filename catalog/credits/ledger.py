"""The credit bank's ledger (学分银行): earnings, revocations and adjustments, appended and
never updated in place; the balance is their sum."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from catalog.accounts.models import User
from catalog.accounts.scope import managed_user
from catalog.clock import utcnow
from catalog.credits import audit
from catalog.credits.models import (
    AuditAction,
    CreditTransaction,
    TransactionKind,
)
from catalog.database import db, new_id, upsert
from catalog.errors import Invalid
from catalog.learning import statements


def earn(
    user_id: int,
    credits: float,
    source_type: str,
    source_id: int | str,
    *,
    reason: str,
    by: User | None = None,
) -> bool:
    """Credit an achievement once (a second call for the same source changes nothing); the
    award goes to the audit log (``by``: the admin whose act earned it, else the service)."""
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
        _audit(
            AuditAction.AWARD,
            by,
            user_id,
            source_type,
            source_id,
            reason,
            after={"credits": round(credits, 2), "transaction": done},
        )
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
    done = db.session.execute(
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
        .returning(CreditTransaction.__table__.c.id)
    ).scalar()
    if done is not None:
        _audit(
            AuditAction.REVOCATION,
            by,
            user_id,
            source_type,
            source_id,
            reason,
            before={"credits": earned.credits, "transaction": earned.id},
            after={"credits": 0.0, "transaction": done},
        )


def adjust(admin: User, user_id: int, credits: float, reason: str) -> CreditTransaction:
    """An admin's correction of a learner of their organisation, with its reason (never of
    their own credits)."""
    learner = member_of(admin, user_id)
    audit.not_for_oneself(admin, learner.id, "调整")
    if not reason.strip():
        raise Invalid(details={"json": {"reason": ["须说明原因 / say why"]}})
    before = balance(learner.id)
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
    db.session.flush()
    audit.record(
        AuditAction.ADJUSTMENT,
        actor=admin,
        organisation_id=learner.organisation_id,
        target_type="transaction",
        target_id=entry.id,
        subject_user_id=learner.id,
        before={"balance": before},
        after={"balance": round(before + entry.credits, 2), "credits": entry.credits},
        reason=reason,
    )
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
    """A learner the admin manages (a scoped admin: in their department's subtree)."""
    return managed_user(admin, user_id)


def _audit(
    action: AuditAction,
    by: User | None,
    user_id: int,
    source_type: str,
    source_id: int | str,
    reason: str,
    *,
    after: dict[str, Any],
    before: dict[str, Any] | None = None,
) -> None:
    """A ledger line's entry in the audit log, in the learner's organisation."""
    audit.record(
        action,
        actor=by,
        organisation_id=db.session.scalar(select(User.organisation_id).where(User.id == user_id)),
        target_type=source_type,
        target_id=source_id,
        subject_user_id=user_id,
        before=before,
        after=after,
        reason=reason[:500],
    )
