"""The credit ledger: earned once per source, never updated in place, the balance its sum."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from catalog.accounts.models import Organisation, Role, User
from catalog.credits import audit, ledger
from catalog.credits.models import CreditTransaction, TransactionKind
from catalog.database import db
from catalog.errors import NotFound, PermissionDenied
from catalog.learning.models import Statement


@pytest.fixture
def people(make_org: Callable[..., Organisation], make_user: Callable[..., User]) -> Any:
    org = make_org(code="bank-org")
    return SimpleNamespace(
        learner=make_user(Role.LEARNER, organisation=org),
        admin=make_user(Role.ADMIN, organisation=org),
        outsider_admin=make_user(Role.ADMIN, organisation=make_org(code="other")),
    )


def lines(user: User) -> list[tuple[Any, ...]]:
    """Every column of the user's ledger lines, in order: to see that none changes."""
    query = ledger.ledger_query(user.id).order_by(CreditTransaction.id)
    return [
        (t.id, t.kind, t.credits, t.source_type, t.source_id, t.reason, t.reverses_id)
        for t in db.session.scalars(query)
    ]


def test_earning_for_the_same_source_twice_credits_once(people: Any) -> None:
    user_id = people.learner.id
    assert ledger.earn(user_id, 1.5, "course", 7, reason="配电网运维基础") is True
    assert ledger.earn(user_id, 1.5, "course", "7", reason="配电网运维基础") is False
    assert ledger.earn(user_id, 9.0, "course", 7, reason="再来一次") is False  # still the first
    db.session.commit()
    assert [
        (kind, credits, source) for _, kind, credits, _, source, _, _ in lines(people.learner)
    ] == [(TransactionKind.EARN, 1.5, "7")]
    assert ledger.balance(user_id) == 1.5
    earned = select(func.count()).where(Statement.user_id == user_id, Statement.verb == "earned")
    assert db.session.scalar(earned) == 1  # and said once
    assert ledger.earn(user_id, 0, "contest", 3, reason="第 9 名") is False  # nothing to earn
    assert ledger.earn(user_id, -2, "contest", 4, reason="负数") is False
    db.session.commit()
    assert len(lines(people.learner)) == 1


def test_a_revocation_is_a_counter_transaction_and_the_balance_the_sum_of_the_lines(
    people: Any,
) -> None:
    user_id = people.learner.id
    assert ledger.balance(user_id) == 0
    ledger.earn(user_id, 3.0, "certificate", 11, reason="职业技能等级证书 S001")
    ledger.earn(user_id, 1.234, "certificate", 12, reason="培训证书 T002")  # kept to the cent
    db.session.commit()
    before = lines(people.learner)
    ledger.revoke(user_id, "certificate", 11, reason="证书造假", by=people.admin)
    ledger.revoke(user_id, "certificate", 11, reason="再次撤销", by=people.admin)  # once
    ledger.revoke(user_id, "certificate", 99, reason="从未获得", by=people.admin)  # nothing
    db.session.commit()
    after = lines(people.learner)
    assert after[:2] == before  # the earnings stand as they were written
    [(_, kind, credits, source_type, source_id, reason, reverses)] = after[2:]
    assert (kind, credits, source_type, source_id, reason) == (
        TransactionKind.REVOKE,
        -3.0,
        "certificate",
        "11",
        "证书造假",
    )
    assert reverses == before[0][0]
    ledger.adjust(people.admin, user_id, -0.3, "重复登记")
    ledger.adjust(people.admin, user_id, 5, "补录线下培训")
    amounts = [credits for _, _, credits, *_ in lines(people.learner)]
    assert amounts == [3.0, 1.23, -3.0, -0.3, 5]
    assert ledger.balance(user_id) == round(sum(amounts), 2) == 5.93
    assert ledger.balance(people.admin.id) == 0  # nobody else's lines count


def test_adjustments_are_new_lines_by_admins_of_the_learners_organisation(
    people: Any, make_user: Callable[..., User]
) -> None:
    first = ledger.adjust(people.admin, people.learner.id, 2, "补录")
    second = ledger.adjust(people.admin, people.learner.id, 2, "补录")  # the same again: a new line
    assert first.id != second.id and first.source_id != second.source_id
    assert (second.kind, second.source_type, second.created_by_id) == (
        TransactionKind.ADJUST,
        "manual",
        people.admin.id,
    )
    with pytest.raises(NotFound):  # not their member
        ledger.adjust(people.outsider_admin, people.learner.id, 1, "越权")
    platform = make_user(Role.PLATFORM_ADMIN)
    ledger.adjust(platform, people.learner.id, -1, "平台更正")
    assert ledger.balance(people.learner.id) == 3
    with pytest.raises(PermissionDenied):
        audit.require_admin(people.learner)
    audit.require_admin(people.admin)
    audit.require_admin(platform)
