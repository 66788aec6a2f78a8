"""The credit bank: earning, revoking and adjusting credits (a ledger never updated in place),
the rules that price achievements, and certificates with their review and expiry."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from catalog.accounts.models import Role, User
from catalog.columns import new_id, upsert, utcnow
from catalog.credits.models import (
    Certificate,
    CertificateSource,
    CertificateStatus,
    CreditRule,
    CreditTransaction,
    RuleKind,
    TransactionKind,
)
from catalog.errors import Conflict, Invalid, NotFound, PermissionDenied
from catalog.extensions import db
from catalog.learning import statements
from catalog.reference.services import occupation_id
from catalog.registry import services
from catalog.security import effective_roles
from catalog.uploads import UploadTicket, accept_upload, plan_image

SCAN_TYPES = {"image/jpeg", "image/png", "image/webp", "application/pdf"}
SCAN_MAX_BYTES = 10 * 1024 * 1024

# --- the ledger ------------------------------------------------------------------------------


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
    learner = _member(admin, user_id)
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


def _member(admin: User, user_id: int) -> User:
    learner = db.session.get(User, user_id)
    if learner is None or not (
        admin.is_platform_admin or learner.organisation_id == admin.organisation_id
    ):
        raise NotFound("用户不存在 / No such user", details={"id": user_id})
    return learner


def _require_admin(user: User) -> None:
    if not (user.is_platform_admin or Role.ADMIN in effective_roles(user)):
        raise PermissionDenied("只有管理员可以这样做 / Admins only")


# --- rules -----------------------------------------------------------------------------------


def rules_of(admin: User) -> list[CreditRule]:
    _require_admin(admin)
    return list(
        db.session.scalars(
            select(CreditRule)
            .where(CreditRule.organisation_id == admin.organisation_id)
            .order_by(CreditRule.kind, CreditRule.id)
        )
    )


def create_rule(admin: User, data: dict[str, Any]) -> CreditRule:
    _require_admin(admin)
    if admin.organisation_id is None:
        raise Invalid("规则属于一个组织 / A rule belongs to an organisation")
    _check_rule(data)
    rule = CreditRule(**data, organisation_id=admin.organisation_id)
    db.session.add(rule)
    db.session.commit()
    return rule


def update_rule(admin: User, rule_id: int, changes: dict[str, Any]) -> CreditRule:
    rule = _rule(admin, rule_id)
    merged = {
        name: changes.get(name, getattr(rule, name))
        for name in ("kind", "certificate_kind", "skill_level", "rank_from", "rank_to", "credits")
    }
    _check_rule(merged)
    for name, value in changes.items():
        setattr(rule, name, value)
    db.session.commit()
    return rule


def delete_rule(admin: User, rule_id: int) -> None:
    rule = _rule(admin, rule_id)
    rule.active = False  # what it earned stays earned
    db.session.commit()


def _rule(admin: User, rule_id: int) -> CreditRule:
    _require_admin(admin)
    rule = db.session.get(CreditRule, rule_id)
    if rule is None or rule.organisation_id != admin.organisation_id:
        raise NotFound("规则不存在 / No such rule", details={"id": rule_id})
    return rule


def _check_rule(data: dict[str, Any]) -> None:
    problems: dict[str, list[str]] = {}
    if data["kind"] is RuleKind.CERTIFICATE and data.get("certificate_kind") is None:
        problems["certificate_kind"] = ["证书规则须指明证书类型 / say which certificates"]
    if data["kind"] is RuleKind.CONTEST_AWARD:
        low, high = data.get("rank_from"), data.get("rank_to")
        if low is None or high is None or low > high:
            problems["rank_from"] = ["名次区间如 1–3 / a rank band such as 1 to 3"]
    if problems:
        raise Invalid(details={"json": problems})


def _certificate_credits(certificate: Certificate, organisation_id: int | None) -> float:
    """The most specific active rule for the certificate: its kind and level, else its kind."""
    rules = db.session.scalars(
        select(CreditRule).where(
            CreditRule.organisation_id == organisation_id,
            CreditRule.active.is_(True),
            CreditRule.kind == RuleKind.CERTIFICATE,
            CreditRule.certificate_kind == certificate.kind,
        )
    ).all()
    exact = [r for r in rules if r.skill_level == certificate.skill_level]
    general = [r for r in rules if r.skill_level is None]
    chosen = exact or general
    return max((r.credits for r in chosen), default=0.0)


def credit_certificate(certificate: Certificate) -> None:
    """An approved certificate earns what its holder's organisation's rules say."""
    holder = db.session.get(User, certificate.user_id)
    amount = _certificate_credits(certificate, holder.organisation_id if holder else None)
    label = {"skill": "职业技能等级证书", "training": "培训证书", "contest": "竞赛获奖证书"}
    earn(
        certificate.user_id,
        amount,
        "certificate",
        certificate.id,
        reason=f"{label[certificate.kind.value]} {certificate.number or certificate.id}",
    )
    statements.record(
        certificate.user_id,
        "earned",
        "certificate",
        certificate.id,
        result={"kind": certificate.kind.value, "skill_level": certificate.skill_level},
    )


def award_contest(admin: User, template_id: int) -> int:
    """After a contest closes, credit its entrants by their rank bands; returns how many."""
    from catalog.quiz.contests import leaderboard
    from catalog.quiz.templates import get_template

    _require_admin(admin)
    template = get_template(admin, template_id)
    if template.closes_at is None or utcnow() < template.closes_at:
        raise Conflict("竞赛尚未结束 / The contest has not closed", code="not_closed")
    bands = db.session.scalars(
        select(CreditRule).where(
            CreditRule.organisation_id == template.organisation_id,
            CreditRule.active.is_(True),
            CreditRule.kind == RuleKind.CONTEST_AWARD,
        )
    ).all()
    widest = max((r.rank_to or 0 for r in bands), default=0)
    board = leaderboard(admin, template_id, max(widest, 1))
    awarded = 0
    for standing in board.top:
        amount = max(
            (r.credits for r in bands if (r.rank_from or 0) <= standing.rank <= (r.rank_to or 0)),
            default=0.0,
        )
        if earn(
            standing.user_id,
            amount,
            "contest",
            template.id,
            reason=f"{template.title} 第 {standing.rank} 名",
        ):
            awarded += 1
    db.session.commit()
    return awarded


# --- certificates ----------------------------------------------------------------------------


def certificates_of(user: User) -> list[Certificate]:
    return list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.user_id == user.id)
            .order_by(Certificate.issued_at.desc())
        )
    )


def new_verification_code() -> str:
    return secrets.token_hex(6).upper()


def plan_scan_upload(user: User, content_type: str, size: int) -> UploadTicket:
    return plan_image(
        f"certificates/{user.id}/scan-{secrets.token_hex(8)}",
        content_type,
        size,
        allowed=SCAN_TYPES,
        max_bytes=SCAN_MAX_BYTES,
        what="证书扫描件",
    )


def register(user: User, data: dict[str, Any]) -> Certificate:
    """A certificate issued elsewhere; it earns credits once an admin approves it."""
    scan_key = data.pop("scan_key", None)
    if scan_key is not None:
        _check_scan(user, scan_key)
    occupation = occupation_id(data.pop("occupation", None))
    if data.get("expires_on") and data.get("issued_on") and data["expires_on"] < data["issued_on"]:
        raise Invalid(details={"json": {"expires_on": ["早于发证日期 / before issued_on"]}})
    certificate = Certificate(
        **data,
        user_id=user.id,
        occupation_id=occupation,
        scan_key=scan_key,
        source=CertificateSource.REGISTERED,
        status=CertificateStatus.PENDING,
        verification_code=new_verification_code(),
    )
    db.session.add(certificate)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("证书已登记 / Already registered") from None
    return certificate


def _check_scan(user: User, key: str) -> None:
    if not key.startswith(f"certificates/{user.id}/scan-"):
        raise Invalid(details={"json": {"scan_key": ["not issued to you"]}})
    accept_upload(
        key,
        allowed=SCAN_TYPES,
        max_bytes=SCAN_MAX_BYTES,
        refusal="扫描件须为图片或 PDF / The scan must be an image or a PDF",
    )


def visible_certificates(
    admin: User, status: CertificateStatus | None, expiring_within_days: int | None
) -> Select[Any]:
    """Certificates of the admin's organisation (all, for platform admins)."""
    _require_admin(admin)
    query = select(Certificate).join(User, User.id == Certificate.user_id)
    if not admin.is_platform_admin:
        query = query.where(User.organisation_id == admin.organisation_id)
    if status is not None:
        query = query.where(Certificate.status == status)
    if expiring_within_days is not None:
        query = query.where(*_expiring(expiring_within_days))
    return query


def warning_window(expiring: bool, days: int | None) -> int | None:
    """The expiry window asked for: explicit days, or the configured one, or none."""
    if days is not None:
        return days
    return services().settings.certificate_warning_days if expiring else None


def _expiring(days: int) -> list[Any]:
    today = utcnow().date()
    return [
        Certificate.status == CertificateStatus.APPROVED,
        Certificate.expires_on.is_not(None),
        Certificate.expires_on <= today + timedelta(days=days),
    ]


def expiring_of(user: User, days: int) -> list[Certificate]:
    """The learner's certificates that expire within ``days`` (or have expired): retrain."""
    return list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.user_id == user.id, *_expiring(days))
            .order_by(Certificate.expires_on)
        )
    )


def _reviewable(admin: User, certificate_id: int) -> Certificate:
    _require_admin(admin)
    certificate = db.session.get(Certificate, certificate_id)
    holder = db.session.get(User, certificate.user_id) if certificate else None
    if certificate is None or holder is None:
        raise NotFound("证书不存在 / No such certificate")
    if not admin.is_platform_admin and holder.organisation_id != admin.organisation_id:
        raise NotFound("证书不存在 / No such certificate")
    return certificate


def review(admin: User, certificate_id: int, *, approve: bool, note: str | None) -> Certificate:
    certificate = _reviewable(admin, certificate_id)
    if certificate.status is not CertificateStatus.PENDING:
        raise Conflict(
            "该证书已审核 / Already reviewed",
            code="already_reviewed",
            details={"status": certificate.status.value},
        )
    certificate.status = CertificateStatus.APPROVED if approve else CertificateStatus.REJECTED
    certificate.reviewed_by_id, certificate.reviewed_at = admin.id, utcnow()
    certificate.review_note = note
    if approve:
        credit_certificate(certificate)
    db.session.commit()
    return certificate


def revoke_certificate(admin: User, certificate_id: int, note: str) -> Certificate:
    """A revoked certificate's credits go with a counter-transaction."""
    certificate = _reviewable(admin, certificate_id)
    if certificate.status is CertificateStatus.REVOKED:
        return certificate
    certificate.status = CertificateStatus.REVOKED
    certificate.reviewed_by_id, certificate.reviewed_at = admin.id, utcnow()
    certificate.review_note = note
    revoke(certificate.user_id, "certificate", certificate.id, reason=note, by=admin)
    db.session.commit()
    return certificate
