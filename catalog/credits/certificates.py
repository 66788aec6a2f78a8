"""Certificates: level certificates issued on a passed level exam, outside certificates
registered with a scan and reviewed by admins, revocation, expiry."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from catalog.accounts.models import User
from catalog.accounts.scope import managed_users, manages
from catalog.clock import local_day, utcnow
from catalog.credits import audit
from catalog.credits.audit import require_admin
from catalog.credits.ledger import revoke
from catalog.credits.models import (
    AuditAction,
    Certificate,
    CertificateKind,
    CertificateSource,
    CertificateStatus,
)
from catalog.credits.rules import credit_certificate
from catalog.database import db
from catalog.errors import Conflict, Invalid, NotFound
from catalog.reference.models import Occupation, SkillLevel
from catalog.reference.services import occupation_id
from catalog.runtime import runtime
from catalog.uploads import UploadTicket, accept_upload, plan_image

SCAN_TYPES = {"image/jpeg", "image/png", "image/webp", "application/pdf"}


SCAN_MAX_BYTES = 10 * 1024 * 1024


def certificates_of(user: User) -> list[Certificate]:
    return list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.user_id == user.id)
            .order_by(Certificate.issued_at.desc())
        )
    )


VERIFICATION_CODE_LENGTH = 12


def new_verification_code() -> str:
    return secrets.token_hex(VERIFICATION_CODE_LENGTH // 2).upper()


@dataclass(frozen=True)
class Verification:
    """What an employer may read of a certificate by its code: enough to trust it, nothing
    more (the holder's name masked; no score, no user id, no contact)."""

    code: str
    holder: str
    occupation: Occupation | None
    skill_level: SkillLevel | None
    issuer: str
    issued_on: date
    expires_on: date | None
    status: str  # valid, expired or revoked


def verify(code: str) -> Verification:
    """The public check of a certificate issued here; any other code — unknown, malformed,
    or a certificate registered from elsewhere (self-declared, not ours to vouch for) — is
    the same 404."""
    normal = code.strip().upper().replace("-", "").replace(" ", "")
    certificate = (
        db.session.scalar(
            select(Certificate).where(
                Certificate.verification_code == normal,
                Certificate.source.in_([CertificateSource.EXAM, CertificateSource.EVALUATION]),
            )
        )
        if len(normal) == VERIFICATION_CODE_LENGTH and normal.isalnum()
        else None
    )
    if certificate is None:
        raise NotFound("没有这张证书 / No certificate with this code")
    holder = db.session.get_one(User, certificate.user_id)
    # the organisation whose exam issued it (kept at issue), else the holder's
    issuer = certificate.issuer or (holder.organisation.name if holder.organisation else "")
    issued_on = certificate.issued_on or local_day(certificate.issued_at)
    if certificate.status is CertificateStatus.REVOKED:
        status = "revoked"
    elif certificate.expires_on is not None and certificate.expires_on < local_day(utcnow()):
        status = "expired"
    else:
        status = "valid"
    return Verification(
        code=certificate.verification_code,
        holder=_masked(holder.display_name),
        occupation=db.session.get(Occupation, certificate.occupation_id)
        if certificate.occupation_id
        else None,
        skill_level=db.session.get(SkillLevel, certificate.skill_level)
        if certificate.skill_level
        else None,
        issuer=issuer,
        issued_on=issued_on,
        expires_on=certificate.expires_on,
        status=status,
    )


def _masked(name: str) -> str:
    """张工（配电运维） → 张**: the family name, and nothing that tells the name's length."""
    return f"{name.strip()[:1]}**" if name.strip() else "**"


def award_level_certificate(
    user_id: int,
    *,
    occupation_id: int | None,
    skill_level: int | None,
    score: float,
    session_id: str,
    issuer: str | None = None,
) -> Certificate:
    """The certificate of a passed level exam, with the credits its holder's organisation's
    rules give (once per session: a unique key on the session). The caller commits."""
    certificate = Certificate(
        user_id=user_id,
        occupation_id=occupation_id,
        skill_level=skill_level,
        score=score,
        issuer=issuer,
        verification_code=new_verification_code(),
        session_id=session_id,
    )
    db.session.add(certificate)
    db.session.flush()
    credit_certificate(certificate)
    return certificate


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
    data["number"] = _normal(data.get("number") or "").upper() or None
    data["issuer"] = _normal(data.get("issuer") or "") or None
    _check_dates(data.get("issued_on"), data.get("expires_on"))
    # one registration at a time per learner (two taps of "submit" make one certificate)
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    if data["number"] and _registered(data["kind"], data["number"], data["issuer"]):
        raise Conflict(
            "该证书已登记 / This certificate is already registered", code="already_registered"
        )
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


def _normal(text: str) -> str:
    """Full-width letters and digits folded, spaces trimmed: ＳＧ０１ and SG01 are one number."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _check_dates(issued_on: date | None, expires_on: date | None) -> None:
    today = local_day(utcnow())
    problems: dict[str, list[str]] = {}
    if issued_on is not None and issued_on > today:
        problems["issued_on"] = ["发证日期在未来 / issued in the future"]
    if expires_on is not None and issued_on is not None and expires_on < issued_on:
        problems["expires_on"] = ["早于发证日期 / before issued_on"]
    elif expires_on is not None and expires_on < today:
        problems["expires_on"] = ["证书已过期 / the certificate has expired"]
    if problems:
        raise Invalid(details={"json": problems})


def _registered(kind: CertificateKind, number: str | None, issuer: str | None) -> bool:
    """The same certificate (kind, number, issuer) is pending, approved or was revoked, for
    anybody: a certificate is one person's, and a revoked one is not registered again."""
    return (
        db.session.scalar(
            select(Certificate.id)
            .where(
                Certificate.kind == kind,
                Certificate.number == number,
                Certificate.issuer == issuer,
                Certificate.status != CertificateStatus.REJECTED,
            )
            .limit(1)
        )
        is not None
    )


def forget_scans(user: User) -> list[str]:
    """A deleted user's certificate scans (they show the person): unlinked here, their objects
    named for deletion; the certificates stay for the ledger and for employers' checks."""
    keys = []
    for certificate in db.session.scalars(
        select(Certificate).where(Certificate.user_id == user.id, Certificate.scan_key.is_not(None))
    ):
        keys.append(str(certificate.scan_key))
        certificate.scan_key = None
    return keys


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
    """Certificates of the people the admin manages (their organisation, or their department's
    subtree; all, for platform admins)."""
    require_admin(admin)
    query = select(Certificate).join(User, User.id == Certificate.user_id)
    query = query.where(managed_users(admin))
    if status is not None:
        query = query.where(Certificate.status == status)
    if expiring_within_days is not None:
        query = query.where(*_expiring(expiring_within_days))
    return query


def warning_window(expiring: bool, days: int | None) -> int | None:
    """The expiry window asked for: explicit days, or the configured one, or none."""
    if days is not None:
        return days
    return runtime().settings.certificate_warning_days if expiring else None


def _expiring(days: int) -> list[Any]:
    today = local_day(utcnow())
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
    require_admin(admin)
    certificate = db.session.get(Certificate, certificate_id)
    holder = db.session.get(User, certificate.user_id) if certificate else None
    if certificate is None or holder is None:
        raise NotFound("证书不存在 / No such certificate")
    if not manages(admin, holder):
        raise NotFound("证书不存在 / No such certificate")
    return certificate


def review(admin: User, certificate_id: int, *, approve: bool, note: str | None) -> Certificate:
    certificate = _reviewable(admin, certificate_id)
    audit.not_for_oneself(admin, certificate.user_id, "审核")
    if certificate.status is not CertificateStatus.PENDING:
        raise Conflict(
            "该证书已审核 / Already reviewed",
            code="already_reviewed",
            details={"status": certificate.status.value},
        )
    certificate.status = CertificateStatus.APPROVED if approve else CertificateStatus.REJECTED
    certificate.reviewed_by_id, certificate.reviewed_at = admin.id, utcnow()
    certificate.review_note = note
    _audit(
        admin,
        certificate,
        AuditAction.CERTIFICATE_APPROVED if approve else AuditAction.CERTIFICATE_REJECTED,
        before=CertificateStatus.PENDING,
        reason=note,
    )
    if approve:
        credit_certificate(certificate, by=admin)
    db.session.commit()
    return certificate


def revoke_certificate(admin: User, certificate_id: int, note: str) -> Certificate:
    """A revoked certificate's credits go with a counter-transaction."""
    certificate = _reviewable(admin, certificate_id)
    audit.not_for_oneself(admin, certificate.user_id, "撤销")
    if certificate.status is CertificateStatus.REVOKED:
        return certificate
    before = certificate.status
    certificate.status = CertificateStatus.REVOKED
    certificate.reviewed_by_id, certificate.reviewed_at = admin.id, utcnow()
    certificate.review_note = note
    _audit(admin, certificate, AuditAction.CERTIFICATE_REVOKED, before=before, reason=note)
    revoke(certificate.user_id, "certificate", certificate.id, reason=note, by=admin)
    db.session.commit()
    return certificate


def _audit(
    admin: User,
    certificate: Certificate,
    action: AuditAction,
    *,
    before: CertificateStatus,
    reason: str | None,
) -> None:
    holder = db.session.get(User, certificate.user_id)
    audit.record(
        action,
        actor=admin,
        organisation_id=holder.organisation_id if holder else None,
        target_type="certificate",
        target_id=certificate.id,
        subject_user_id=certificate.user_id,
        before={"status": before.value},
        after={"status": certificate.status.value},
        reason=reason,
    )
