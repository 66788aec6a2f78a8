"""Credit rules: the most specific active rule prices a certificate; rank bands; checks."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from catalog.accounts.models import Organisation, Role, User
from catalog.credits import certificates, ledger, rules
from catalog.credits.models import Certificate, CertificateKind, RuleKind
from catalog.database import db
from catalog.errors import Invalid, NotFound, PermissionDenied


@pytest.fixture
def people(make_org: Callable[..., Organisation], make_user: Callable[..., User]) -> Any:
    org = make_org(code="bank-org")
    other = make_org(code="other")
    return SimpleNamespace(
        org=org,
        admin=make_user(Role.ADMIN, organisation=org),
        learner=make_user(Role.LEARNER, organisation=org),
        other_admin=make_user(Role.ADMIN, organisation=other),
        other_learner=make_user(Role.LEARNER, organisation=other),
    )


def certificate_rule(admin: User, kind: CertificateKind, credits: float, **more: Any) -> Any:
    return rules.create_rule(
        admin,
        {"kind": RuleKind.CERTIFICATE, "certificate_kind": kind, "credits": credits, **more},
    )


def certificate(user: User, kind: CertificateKind, level: int | None) -> Certificate:
    """A certificate the user registered (rules price it whatever its review status)."""
    number = f"S{uuid.uuid4().hex[:8]}"  # a certificate is registered once
    return certificates.register(user, {"kind": kind, "skill_level": level, "number": number})


def test_the_most_specific_active_rule_of_the_organisation_prices_a_certificate(
    people: Any,
) -> None:
    general = certificate_rule(people.admin, CertificateKind.SKILL, 5)  # any skill certificate
    lower = certificate_rule(people.admin, CertificateKind.SKILL, 2, skill_level=3)  # less
    level = certificate_rule(people.admin, CertificateKind.SKILL, 3, skill_level=3)
    certificate_rule(people.admin, CertificateKind.TRAINING, 1)
    certificate_rule(people.other_admin, CertificateKind.CONTEST, 9)  # not our organisation's
    org = people.org.id
    price = rules.certificate_credits
    level_3 = certificate(people.learner, CertificateKind.SKILL, 3)
    assert price(level_3, org) == 3  # kind + level, over kind alone
    assert price(certificate(people.learner, CertificateKind.SKILL, 4), org) == 5  # kind only
    assert price(certificate(people.learner, CertificateKind.SKILL, None), org) == 5
    assert price(certificate(people.learner, CertificateKind.TRAINING, 3), org) == 1
    assert price(certificate(people.learner, CertificateKind.CONTEST, 3), org) == 0
    for deleted in (lower, level):
        rules.delete_rule(people.admin, deleted.id)
    assert price(level_3, org) == 5  # back to the general rule
    rules.delete_rule(people.admin, general.id)
    assert price(level_3, org) == 0
    listed = rules.rules_of(people.admin)  # what was deleted stays listed, inactive
    assert [(r.id, r.active) for r in listed[:3]] == [
        (general.id, False),
        (lower.id, False),
        (level.id, False),
    ]


def test_a_certificate_earns_its_holders_organisations_price_once(people: Any) -> None:
    certificate_rule(people.admin, CertificateKind.SKILL, 4, skill_level=3)
    certificate_rule(people.other_admin, CertificateKind.SKILL, 9)
    ours = certificate(people.learner, CertificateKind.SKILL, 3)
    rules.credit_certificate(ours)
    rules.credit_certificate(ours)
    theirs = certificate(people.other_learner, CertificateKind.SKILL, 3)
    rules.credit_certificate(theirs)
    db.session.commit()
    assert ledger.balance(people.learner.id) == 4
    assert ledger.balance(people.other_learner.id) == 9


def test_contest_places_earn_by_their_band_once(
    people: Any, make_user: Callable[..., User]
) -> None:
    rules.create_rule(
        people.admin, {"kind": RuleKind.CONTEST_AWARD, "rank_from": 1, "rank_to": 1, "credits": 5}
    )
    rules.create_rule(
        people.admin, {"kind": RuleKind.CONTEST_AWARD, "rank_from": 2, "rank_to": 3, "credits": 2}
    )
    certificate_rule(people.admin, CertificateKind.CONTEST, 7)  # not a band
    bands = rules.contest_bands(people.org.id)
    assert sorted((b.rank_from, b.rank_to) for b in bands) == [(1, 1), (2, 3)]
    first, third, fourth = people.learner, people.admin, people.other_learner
    ranks = [(first.id, 1), (third.id, 3), (fourth.id, 4)]
    # the awarding admin's own rank waits for another admin (four eyes)
    assert rules.credit_contest_ranks(people.admin, bands, 42, "安规竞赛", ranks) == 1
    assert ledger.balance(people.admin.id) == 0
    second = make_user(Role.ADMIN, organisation=people.org)
    assert rules.credit_contest_ranks(second, bands, 42, "安规竞赛", ranks) == 1
    assert rules.credit_contest_ranks(second, bands, 42, "安规竞赛", ranks) == 0  # again
    assert rules.credit_contest_ranks(second, bands, 43, "下一场", ranks[:1]) == 1  # another
    db.session.commit()
    assert [ledger.balance(u.id) for u in (first, third, fourth)] == [10, 2, 0]


def test_rules_are_checked_and_kept_to_their_admins_organisation(people: Any) -> None:
    with pytest.raises(Invalid) as no_kind:
        rules.create_rule(people.admin, {"kind": RuleKind.CERTIFICATE, "credits": 1})
    assert set(no_kind.value.details["json"]) == {"certificate_kind"}
    with pytest.raises(Invalid) as backwards:
        rules.create_rule(
            people.admin,
            {"kind": RuleKind.CONTEST_AWARD, "rank_from": 3, "rank_to": 1, "credits": 1},
        )
    assert set(backwards.value.details["json"]) == {"rank_from"}
    band = rules.create_rule(
        people.admin, {"kind": RuleKind.CONTEST_AWARD, "rank_from": 1, "rank_to": 3, "credits": 1}
    )
    with pytest.raises(Invalid):  # the change is checked with what it leaves unchanged
        rules.update_rule(people.admin, band.id, {"rank_to": 0})
    assert rules.update_rule(people.admin, band.id, {"credits": 2.5}).credits == 2.5
    with pytest.raises(NotFound):
        rules.update_rule(people.other_admin, band.id, {"credits": 9})
    with pytest.raises(PermissionDenied):
        rules.create_rule(
            people.learner,
            {"kind": RuleKind.CERTIFICATE, "certificate_kind": CertificateKind.SKILL, "credits": 1},
        )
    assert rules.rules_of(people.other_admin) == []
