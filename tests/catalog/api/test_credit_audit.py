"""Four eyes on every credit, an audit log of every credit-bank action, and rules with dates
that can be applied to the past (issue 16, findings 4 and 5)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from catalog.accounts.models import Organisation, Role, User
from catalog.clock import local_day, utcnow
from catalog.credits.models import CreditAudit
from catalog.database import db

CERTIFICATE = {
    "kind": "skill",
    "number": "S000456",
    "issuer": "电力行业职业技能鉴定中心",
    "skill_level": 3,
    "issued_on": "2025-06-01",
}


@pytest.fixture
def bank(
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    login: Callable[[User], dict],
) -> Any:
    org = make_org(code="audit-org")
    admin = make_user(Role.ADMIN, organisation=org)
    second = make_user(Role.ADMIN, organisation=org)
    learner = make_user(Role.LEARNER, organisation=org)
    other_org = make_org(code="audit-other")

    class Bank:
        admin_id, second_id, learner_id = admin.id, second.id, learner.id
        admin_h, second_h, learner_h = login(admin), login(second), login(learner)
        outsider_h = login(make_user(Role.ADMIN, organisation=other_org))
        platform_h = login(make_user(Role.PLATFORM_ADMIN))

    return Bank


def audit(client: FlaskClient, headers: dict, **query: Any) -> list[dict]:
    answer = client.get(
        "/api/v1/credit-audit", query_string={"limit": 200, **query}, headers=headers
    )
    assert answer.status_code == 200, answer.get_json()
    return list(answer.get_json()["items"])


def balance(client: FlaskClient, headers: dict) -> float:
    return float(client.get("/api/v1/me/credits", headers=headers).get_json()["balance"])


def test_nobody_approves_their_own_certificate_or_adjusts_their_own_credits(
    client: FlaskClient, bank: Any
) -> None:
    """An admin approved their own certificate (through a rule they had just made) and granted
    themselves 1,000 credits."""
    client.post(
        "/api/v1/credit-rules",
        json={"kind": "certificate", "certificate_kind": "skill", "credits": 3},
        headers=bank.admin_h,
    )
    mine = client.post("/api/v1/me/certificates", json=CERTIFICATE, headers=bank.admin_h)
    assert mine.status_code == 201, mine.get_json()
    path = f"/api/v1/certificates/{mine.get_json()['id']}"
    own = client.post(f"{path}/approve", json={}, headers=bank.admin_h)
    assert own.status_code == 403 and own.get_json()["error"]["code"] == "four_eyes"
    assert client.post(f"{path}/reject", json={}, headers=bank.admin_h).status_code == 403
    assert balance(client, bank.admin_h) == 0
    grant = {"user_id": bank.admin_id, "credits": 1000, "reason": "奖励自己"}
    refused = client.post("/api/v1/credit-adjustments", json=grant, headers=bank.admin_h)
    assert refused.status_code == 403 and balance(client, bank.admin_h) == 0
    # another admin may
    assert client.post(f"{path}/approve", json={}, headers=bank.second_h).status_code == 200
    assert balance(client, bank.admin_h) == 3
    assert (
        client.post(f"{path}/revoke", json={"reason": "自撤"}, headers=bank.admin_h).status_code
        == 403
    )
    blank = {"user_id": bank.learner_id, "credits": 1, "reason": "   "}
    assert (
        client.post("/api/v1/credit-adjustments", json=blank, headers=bank.second_h).status_code
        == 422
    )


def test_every_credit_bank_action_is_in_the_audit_log(client: FlaskClient, bank: Any) -> None:
    made = client.post(
        "/api/v1/credit-rules",
        json={"kind": "certificate", "certificate_kind": "skill", "credits": 2},
        headers=bank.admin_h,
    ).get_json()
    client.patch(f"/api/v1/credit-rules/{made['id']}", json={"credits": 2.5}, headers=bank.admin_h)
    certificate = client.post(
        "/api/v1/me/certificates", json=CERTIFICATE, headers=bank.learner_h
    ).get_json()
    path = f"/api/v1/certificates/{certificate['id']}"
    client.post(f"{path}/approve", json={"note": "核验无误"}, headers=bank.admin_h)
    client.post(f"{path}/revoke", json={"reason": "证书造假"}, headers=bank.second_h)
    client.post(
        "/api/v1/credit-adjustments",
        json={"user_id": bank.learner_id, "credits": 1.5, "reason": "补录线下培训"},
        headers=bank.admin_h,
    )
    client.delete(f"/api/v1/credit-rules/{made['id']}", headers=bank.admin_h)
    entries = audit(client, bank.admin_h)
    actions = [e["action"] for e in reversed(entries)]  # oldest first
    assert actions == [
        "rule_created",
        "rule_changed",
        "certificate_approved",
        "award",
        "certificate_revoked",
        "revocation",
        "adjustment",
        "rule_retired",
    ]
    changed = next(e for e in entries if e["action"] == "rule_changed")
    assert (changed["before"]["credits"], changed["after"]["credits"]) == (2, 2.5)
    assert changed["actor_id"] == bank.admin_id
    award = next(e for e in entries if e["action"] == "award")
    assert award["subject_user_id"] == bank.learner_id and award["after"]["credits"] == 2.5
    adjustment = next(e for e in entries if e["action"] == "adjustment")
    assert adjustment["before"] == {"balance": 0.0}  # 2.5 earned, 2.5 revoked
    assert adjustment["after"]["balance"] == 1.5 and adjustment["reason"] == "补录线下培训"
    revoked = next(e for e in entries if e["action"] == "certificate_revoked")
    assert revoked["actor_id"] == bank.second_id
    assert (revoked["before"], revoked["after"]) == ({"status": "approved"}, {"status": "revoked"})
    # who reads it: the organisation's admins and platform admins; nobody else
    assert audit(client, bank.outsider_h) == []
    assert len(audit(client, bank.platform_h)) >= len(entries)
    assert len(audit(client, bank.admin_h, user_id=bank.learner_id)) == 5
    assert client.get("/api/v1/credit-audit", headers=bank.learner_h).status_code == 403
    # and nobody changes it
    row = db.session.scalars(db.select(CreditAudit)).first()
    row.reason = "改写历史"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()


def test_a_rule_takes_effect_on_its_day_and_applies_to_the_past_once(
    client: FlaskClient, bank: Any
) -> None:
    """Rules applied only to events after their creation, and there was no way to apply a new
    rule to past passes (finding 5)."""
    certificate = client.post(
        "/api/v1/me/certificates", json=CERTIFICATE, headers=bank.learner_h
    ).get_json()
    client.post(f"/api/v1/certificates/{certificate['id']}/approve", json={}, headers=bank.admin_h)
    assert balance(client, bank.learner_h) == 0  # no rule yet
    tomorrow = (local_day(utcnow()) + timedelta(days=1)).isoformat()
    later = client.post(
        "/api/v1/credit-rules",
        json={
            "kind": "certificate",
            "certificate_kind": "skill",
            "credits": 9,
            "effective_from": tomorrow,
        },
        headers=bank.admin_h,
    ).get_json()
    assert later["effective_from"] == tomorrow
    second = client.post(
        "/api/v1/me/certificates", json={**CERTIFICATE, "number": "S000789"}, headers=bank.learner_h
    ).get_json()
    client.post(f"/api/v1/certificates/{second['id']}/approve", json={}, headers=bank.admin_h)
    assert balance(client, bank.learner_h) == 0  # a rule before its day earns nothing
    rule = client.post(
        "/api/v1/credit-rules",
        json={"kind": "certificate", "certificate_kind": "skill", "skill_level": 3, "credits": 4},
        headers=bank.admin_h,
    ).get_json()
    apply = f"/api/v1/credit-rules/{rule['id']}/apply"
    dry = client.post(apply, json={}, headers=bank.admin_h).get_json()  # a dry run by default
    assert dry["dry_run"] is True and dry["credits"] == 8
    assert sorted(a["source_id"] for a in dry["awards"]) == sorted(
        [str(certificate["id"]), str(second["id"])]
    )
    assert balance(client, bank.learner_h) == 0
    done = client.post(apply, json={"dry_run": False}, headers=bank.admin_h).get_json()
    assert len(done["awards"]) == 2 and balance(client, bank.learner_h) == 8
    again = client.post(apply, json={"dry_run": False}, headers=bank.admin_h).get_json()
    assert again["awards"] == [] and balance(client, bank.learner_h) == 8
    assert client.post(apply, json={}, headers=bank.outsider_h).status_code == 404
    applied = [e for e in audit(client, bank.admin_h) if e["action"] == "rule_applied"]
    assert [e["after"]["awards"] for e in applied] == [0, 2]
