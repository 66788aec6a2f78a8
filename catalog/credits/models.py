"""Certificates (earned by level exams or registered by learners), the admin-edited rules that
turn achievements into credits, and the ledger of credit transactions (never updated)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from catalog.clock import utcnow
from catalog.database import UTCDateTime, db, enum_column


class CertificateKind(enum.StrEnum):
    SKILL = "skill"  # 职业技能等级证书
    TRAINING = "training"  # 培训合格证书
    CONTEST = "contest"  # 竞赛获奖证书


class CertificateSource(enum.StrEnum):
    EXAM = "exam"  # earned here by passing a level exam
    REGISTERED = "registered"  # issued elsewhere, registered by the learner
    EVALUATION = "evaluation"  # issued here when every component of a plan passed


class CertificateStatus(enum.StrEnum):
    PENDING = "pending"  # waits for an admin of the learner's organisation
    APPROVED = "approved"
    REJECTED = "rejected"
    REVOKED = "revoked"


class Certificate(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "certificates"
    __table_args__ = (Index("ix_certificates_expiry", "status", "expires_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[CertificateKind] = mapped_column(
        enum_column(CertificateKind), default=CertificateKind.SKILL
    )
    source: Mapped[CertificateSource] = mapped_column(
        enum_column(CertificateSource), default=CertificateSource.EXAM
    )
    status: Mapped[CertificateStatus] = mapped_column(
        enum_column(CertificateStatus), default=CertificateStatus.APPROVED
    )
    occupation_id: Mapped[int | None] = mapped_column(ForeignKey("occupations.id"))
    skill_level: Mapped[int | None] = mapped_column(ForeignKey("skill_levels.level"))
    score: Mapped[float | None] = mapped_column(Float)
    number: Mapped[str | None] = mapped_column(String(64))  # 证书编号
    issuer: Mapped[str | None] = mapped_column(String(200))  # 发证机构
    issued_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    scan_key: Mapped[str | None] = mapped_column(String(300))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    verification_code: Mapped[str] = mapped_column(String(24), unique=True)
    session_id: Mapped[str | None] = mapped_column(
        ForeignKey("quiz_sessions.id", ondelete="SET NULL"), unique=True
    )
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review_note: Mapped[str | None] = mapped_column(Text)


class RuleKind(enum.StrEnum):
    CERTIFICATE = "certificate"  # a certificate of this kind (and level) earns N credits
    CONTEST_AWARD = "contest_award"  # a contest rank within the band earns N credits


class CreditRule(db.Model):  # type: ignore[name-defined,misc]
    """How an organisation's learners earn credits (a course completion earns the course's
    own credits, without a rule)."""

    __tablename__ = "credit_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[RuleKind] = mapped_column(enum_column(RuleKind))
    certificate_kind: Mapped[CertificateKind | None] = mapped_column(enum_column(CertificateKind))
    skill_level: Mapped[int | None] = mapped_column(ForeignKey("skill_levels.level"))
    rank_from: Mapped[int | None] = mapped_column(Integer)
    rank_to: Mapped[int | None] = mapped_column(Integer)
    credits: Mapped[float] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # events from this (local) day on earn by the rule as they happen; earlier ones only when
    # an admin applies it to the past
    effective_from: Mapped[date] = mapped_column(Date, server_default=func.current_date())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TransactionKind(enum.StrEnum):
    EARN = "earn"
    ADJUST = "adjust"  # an admin's correction, with a reason
    REVOKE = "revoke"  # the counter-transaction of an earning


class CreditTransaction(db.Model):  # type: ignore[name-defined,misc]
    """One line of the ledger; the balance is the sum of a learner's lines."""

    __tablename__ = "credit_transactions"
    __table_args__ = (
        # Each achievement earns (and is revoked) at most once.
        UniqueConstraint("user_id", "kind", "source_type", "source_id"),
        Index("ix_credit_transactions_user", "user_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[TransactionKind] = mapped_column(enum_column(TransactionKind))
    credits: Mapped[float] = mapped_column(Float)  # signed
    source_type: Mapped[str] = mapped_column(String(32))  # course, certificate, contest, manual
    source_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500), default="")
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("credit_transactions.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditAction(enum.StrEnum):
    RULE_CREATED = "rule_created"
    RULE_CHANGED = "rule_changed"
    RULE_RETIRED = "rule_retired"
    RULE_APPLIED = "rule_applied"  # to past events
    CERTIFICATE_APPROVED = "certificate_approved"
    CERTIFICATE_REJECTED = "certificate_rejected"
    CERTIFICATE_REVOKED = "certificate_revoked"
    ADJUSTMENT = "adjustment"
    AWARD = "award"  # credits earned (by the service, or by an admin's award or application)
    REVOCATION = "revocation"  # an earning's counter-transaction


class CreditAudit(db.Model):  # type: ignore[name-defined,misc]
    """One credit-bank action, appended and never changed: who (none: the service), when,
    what, for whom, and the state before and after."""

    __tablename__ = "credit_audit"
    __table_args__ = (Index("ix_credit_audit_org", "organisation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction))
    subject_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


@event.listens_for(CreditAudit, "before_update")
@event.listens_for(CreditAudit, "before_delete")
def _append_only(mapper: Any, connection: Any, target: CreditAudit) -> None:
    raise RuntimeError("the credit audit log is append-only")
