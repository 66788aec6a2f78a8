"""Credit rules: what an organisation's certificates and contest ranks earn, and the credits
they earn."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from catalog.accounts.models import User
from catalog.clock import local_day, utcnow
from catalog.credits import audit
from catalog.credits.audit import require_admin
from catalog.credits.ledger import earn
from catalog.credits.models import (
    AuditAction,
    Certificate,
    CertificateStatus,
    CreditRule,
    CreditTransaction,
    RuleKind,
    TransactionKind,
)
from catalog.database import db
from catalog.errors import Conflict, Invalid, NotFound
from catalog.learning import statements


def rules_of(admin: User) -> list[CreditRule]:
    require_admin(admin)
    return list(
        db.session.scalars(
            select(CreditRule)
            .where(CreditRule.organisation_id == admin.organisation_id)
            .order_by(CreditRule.kind, CreditRule.id)
        )
    )


FIELDS = (
    "kind",
    "certificate_kind",
    "skill_level",
    "rank_from",
    "rank_to",
    "credits",
    "active",
    "effective_from",
)


def create_rule(admin: User, data: dict[str, Any]) -> CreditRule:
    require_admin(admin)
    if admin.organisation_id is None:
        raise Invalid("规则属于一个组织 / A rule belongs to an organisation")
    _check_rule(data)
    data = {**data, "effective_from": data.get("effective_from") or local_day(utcnow())}
    rule = CreditRule(**data, organisation_id=admin.organisation_id)
    db.session.add(rule)
    db.session.flush()
    _audit(admin, rule, AuditAction.RULE_CREATED, before=None)
    db.session.commit()
    return rule


def update_rule(admin: User, rule_id: int, changes: dict[str, Any]) -> CreditRule:
    rule = _rule(admin, rule_id)
    merged = {name: changes.get(name, getattr(rule, name)) for name in FIELDS}
    _check_rule(merged)
    before = _state(rule)
    for name, value in changes.items():
        setattr(rule, name, value)
    _audit(admin, rule, AuditAction.RULE_CHANGED, before=before)
    db.session.commit()
    return rule


def delete_rule(admin: User, rule_id: int) -> None:
    rule = _rule(admin, rule_id)
    before = _state(rule)
    rule.active = False  # what it earned stays earned
    _audit(admin, rule, AuditAction.RULE_RETIRED, before=before)
    db.session.commit()


def _state(rule: CreditRule) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return value.value if hasattr(value, "value") else value

    return {name: plain(getattr(rule, name)) for name in FIELDS}


def _audit(
    admin: User,
    rule: CreditRule,
    action: AuditAction,
    *,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None = None,
) -> None:
    audit.record(
        action,
        actor=admin,
        organisation_id=rule.organisation_id,
        target_type="rule",
        target_id=rule.id,
        before=before,
        after=after if after is not None else _state(rule),
    )


@dataclass
class Award:
    """What applying a rule to the past gives one learner for one event."""

    user_id: int
    username: str
    source_type: str
    source_id: str
    credits: float
    reason: str


ContestRanks = Callable[[int], list[tuple[int, str, int, str, int]]]


def apply_to_past(
    admin: User, rule_id: int, *, dry_run: bool, contest_ranks: ContestRanks
) -> list[Award]:
    """Apply a rule to what happened before it took effect: approved certificates (of its kind
    and level) or ranks in closed contests (in its band; ``contest_ranks`` lists them by
    organisation) of the organisation's learners that earned nothing yet. Each event earns
    what the organisation's rules in effect give it (the most specific certificate rule, the
    best band), as it would have had they been there, whichever rule is applied first; never
    the acting admin's own (four eyes). A dry run says who would get what; each award is made
    at most once (an event already credited is left as it is)."""
    rule = _rule(admin, rule_id)
    if not rule.active:
        raise Conflict("规则已停用 / The rule is retired", code="rule_retired")
    if rule.effective_from > local_day(utcnow()):
        raise Conflict(
            f"规则自 {rule.effective_from} 起生效 / The rule takes effect on {rule.effective_from}",
            code="rule_not_in_effect",
        )
    events = _past_events(rule, contest_ranks)
    awards = [
        a
        for a in events
        if a.user_id != admin.id
        and a.credits > 0
        and not _earned(a.user_id, a.source_type, a.source_id)
    ]
    if dry_run:
        return awards
    made = []
    for award in awards:
        if earn(
            award.user_id,
            award.credits,
            award.source_type,
            award.source_id,
            reason=award.reason,
            by=admin,
        ):
            made.append(award)
    audit.record(
        AuditAction.RULE_APPLIED,
        actor=admin,
        organisation_id=rule.organisation_id,
        target_type="rule",
        target_id=rule.id,
        after={"awards": len(made), "credits": round(sum(a.credits for a in made), 2)},
    )
    db.session.commit()
    return made


def _past_events(rule: CreditRule, contest_ranks: ContestRanks) -> list[Award]:
    members = select(User.id).where(User.organisation_id == rule.organisation_id)
    if rule.kind is RuleKind.CERTIFICATE:
        query = select(Certificate, User.username).join(User, User.id == Certificate.user_id)
        query = query.where(
            Certificate.user_id.in_(members),
            Certificate.status == CertificateStatus.APPROVED,
            Certificate.kind == rule.certificate_kind,
        )
        if rule.skill_level is not None:
            query = query.where(Certificate.skill_level == rule.skill_level)
        return [
            Award(
                certificate.user_id,
                username,
                "certificate",
                str(certificate.id),
                certificate_credits(certificate, rule.organisation_id),
                f"{LABELS[certificate.kind.value]} {certificate.number or certificate.id}"
                "（规则追溯）",
            )
            for certificate, username in db.session.execute(query.order_by(Certificate.id))
        ]
    bands = contest_bands(rule.organisation_id)
    awards = []
    for contest_id, title, user_id, username, rank in contest_ranks(rule.organisation_id):
        if (rule.rank_from or 0) <= rank <= (rule.rank_to or 0):
            awards.append(
                Award(
                    user_id,
                    username,
                    "contest",
                    str(contest_id),
                    band_credits(bands, rank),
                    f"{title} 第 {rank} 名（规则追溯）",
                )
            )
    return awards


def _earned(user_id: int, source_type: str, source_id: str) -> bool:
    return (
        db.session.scalar(
            select(CreditTransaction.id).where(
                CreditTransaction.user_id == user_id,
                CreditTransaction.kind == TransactionKind.EARN,
                CreditTransaction.source_type == source_type,
                CreditTransaction.source_id == source_id,
            )
        )
        is not None
    )


def _rule(admin: User, rule_id: int) -> CreditRule:
    require_admin(admin)
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


def certificate_credits(certificate: Certificate, organisation_id: int | None) -> float:
    """The most specific rule in effect today for the certificate: its kind and level, else
    its kind."""
    rules = db.session.scalars(
        select(CreditRule).where(
            CreditRule.organisation_id == organisation_id,
            CreditRule.active.is_(True),
            CreditRule.kind == RuleKind.CERTIFICATE,
            CreditRule.certificate_kind == certificate.kind,
            CreditRule.effective_from <= local_day(utcnow()),
        )
    ).all()
    exact = [r for r in rules if r.skill_level == certificate.skill_level]
    general = [r for r in rules if r.skill_level is None]
    chosen = exact or general
    return max((r.credits for r in chosen), default=0.0)


LABELS = {"skill": "职业技能等级证书", "training": "培训证书", "contest": "竞赛获奖证书"}


def credit_certificate(certificate: Certificate, *, by: User | None = None) -> None:
    """An approved certificate earns what its holder's organisation's rules say."""
    holder = db.session.get(User, certificate.user_id)
    amount = certificate_credits(certificate, holder.organisation_id if holder else None)
    earn(
        certificate.user_id,
        amount,
        "certificate",
        certificate.id,
        reason=f"{LABELS[certificate.kind.value]} {certificate.number or certificate.id}",
        by=by,
    )
    statements.record(
        certificate.user_id,
        "earned",
        "certificate",
        certificate.id,
        result={"kind": certificate.kind.value, "skill_level": certificate.skill_level},
    )


def contest_bands(organisation_id: int) -> list[CreditRule]:
    """The organisation's active rank bands for contests (1–3 earn …)."""
    return list(
        db.session.scalars(
            select(CreditRule).where(
                CreditRule.organisation_id == organisation_id,
                CreditRule.active.is_(True),
                CreditRule.kind == RuleKind.CONTEST_AWARD,
                CreditRule.effective_from <= local_day(utcnow()),
            )
        )
    )


def band_credits(bands: list[CreditRule], rank: int) -> float:
    """What a rank earns: the best band that holds it."""
    return max(
        (r.credits for r in bands if (r.rank_from or 0) <= rank <= (r.rank_to or 0)),
        default=0.0,
    )


def credit_contest_ranks(
    admin: User,
    bands: list[CreditRule],
    contest_id: int,
    title: str,
    ranks: list[tuple[int, int]],
) -> int:
    """Credit each (user, rank) by the best band that holds the rank, once per contest, never
    the awarding admin's own rank (four eyes: another admin awards it); returns how many
    earned something. The caller commits."""
    awarded = 0
    for user_id, rank in ranks:
        if user_id == admin.id:
            continue
        amount = band_credits(bands, rank)
        reason = f"{title} 第 {rank} 名"
        if earn(user_id, amount, "contest", contest_id, reason=reason, by=admin):
            awarded += 1
    return awarded
