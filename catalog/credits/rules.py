"""Credit rules: what an organisation's certificates and contest ranks earn, and the credits
they earn."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from catalog.accounts.models import User
from catalog.credits.ledger import earn, require_admin
from catalog.credits.models import (
    Certificate,
    CreditRule,
    RuleKind,
)
from catalog.database import db
from catalog.errors import Invalid, NotFound
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


def create_rule(admin: User, data: dict[str, Any]) -> CreditRule:
    require_admin(admin)
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
    amount = certificate_credits(certificate, holder.organisation_id if holder else None)
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


def contest_bands(organisation_id: int) -> list[CreditRule]:
    """The organisation's active rank bands for contests (1–3 earn …)."""
    return list(
        db.session.scalars(
            select(CreditRule).where(
                CreditRule.organisation_id == organisation_id,
                CreditRule.active.is_(True),
                CreditRule.kind == RuleKind.CONTEST_AWARD,
            )
        )
    )


def credit_contest_ranks(
    bands: list[CreditRule], contest_id: int, title: str, ranks: list[tuple[int, int]]
) -> int:
    """Credit each (user, rank) by the band that holds the rank, once per contest; returns
    how many earned something. The caller commits."""
    awarded = 0
    for user_id, rank in ranks:
        amount = max(
            (r.credits for r in bands if (r.rank_from or 0) <= rank <= (r.rank_to or 0)),
            default=0.0,
        )
        if earn(user_id, amount, "contest", contest_id, reason=f"{title} 第 {rank} 名"):
            awarded += 1
    return awarded
