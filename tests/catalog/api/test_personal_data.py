"""Personal data (issue 18, PIPL-minded): a user's export covers everything held about them;
deleting a user anonymises their personal fields while ledgers, statements and reports keep
their integrity."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from catalog.accounts.models import Organisation, Role, User
from catalog.clock import utcnow
from catalog.credits.models import CreditTransaction
from catalog.database import db
from catalog.learning.models import Statement
from catalog.lectures.models import Microlecture
from catalog.runtime import runtime
from ingest.interfaces import ObjectNotFound
from tests.support.factories import TEST_PASSWORD
from tests.support.heartbeats import played
from tests.support.presigned import call_url


def test_an_export_covers_everything_and_deletion_keeps_the_records_whole(
    client: FlaskClient,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
    make_course: Callable[..., int],
) -> None:
    org = make_org(code="pipl-co", name="某公司")
    course = make_course(org)
    lecture = db.session.scalars(db.select(Microlecture)).one()
    admin = login(make_user(Role.ADMIN, organisation=org))
    second_admin = login(make_user(Role.ADMIN, organisation=org))
    worker = make_user(organisation=org, display_name="张三")
    client.patch(
        f"/api/v1/users/{worker.id}",
        json={"phone": "13800000009", "employee_no": "P-1", "occupation": "电工"},
        headers=admin,
    )
    mine = login(worker)
    client.put(f"/api/v1/me/courses/{course}", headers=mine)
    now = utcnow()
    batch = played(lecture.id, 0, 60, began=now - timedelta(seconds=60), prefix="pd")
    assert (
        client.post(
            "/api/v1/me/statements:batch", json={"statements": batch}, headers=mine
        ).status_code
        == 200
    )
    adjusted = client.post(
        "/api/v1/credit-adjustments",
        json={"user_id": worker.id, "credits": 2, "reason": "补录培训"},
        headers=admin,
    )
    assert adjusted.status_code in (201, 202), adjusted.get_json()

    own = client.get("/api/v1/me/personal-data", headers=mine).get_json()["data"]
    assert own["profile"]["phone"] == "13800000009" and "password_hash" not in own["profile"]
    assert own["enrolments"] and own["learning_statements"] and own["logins"]
    assert own["lecture_progress"] and own["account_audit"]
    assert all("address_hash" not in row for row in own["logins"])
    by_admin = client.get(f"/api/v1/users/{worker.id}/personal-data", headers=admin)
    assert by_admin.status_code == 200
    stranger = login(make_user(Role.ADMIN, organisation=make_org(code="pipl-other")))
    assert (
        client.get(f"/api/v1/users/{worker.id}/personal-data", headers=stranger).status_code == 404
    )

    statements = db.session.scalar(
        select(func.count()).select_from(Statement).where(Statement.user_id == worker.id)
    )
    credits = db.session.scalar(
        select(func.sum(CreditTransaction.credits)).where(CreditTransaction.user_id == worker.id)
    )
    report = client.get("/api/v1/reports/training?group_by=course", headers=admin).get_json()
    deleted = client.post(f"/api/v1/users/{worker.id}/anonymise", headers=second_admin)
    assert deleted.status_code == 200
    body = deleted.get_json()
    assert body["display_name"] == "已注销用户" and body["phone"] is None
    assert body["employee_no"] is None and body["is_active"] is False
    assert client.get("/api/v1/me", headers=mine).status_code == 401
    gone = client.post(
        "/api/v1/auth/token", json={"username": worker.username, "password": TEST_PASSWORD}
    )
    assert gone.status_code == 401
    # the records stay whole: the same statements, the same credits, the same report
    assert (
        db.session.scalar(
            select(func.count()).select_from(Statement).where(Statement.user_id == worker.id)
        )
        == statements
    )
    assert (
        db.session.scalar(
            select(func.sum(CreditTransaction.credits)).where(
                CreditTransaction.user_id == worker.id
            )
        )
        == credits
    )
    after = client.get("/api/v1/reports/training?group_by=course", headers=admin).get_json()
    assert after["total"] == report["total"]
    again = client.post(f"/api/v1/users/{worker.id}/anonymise", headers=second_admin)
    assert again.status_code == 409
    exported = client.get(f"/api/v1/users/{worker.id}/personal-data", headers=admin).get_json()
    assert "13800000009" not in str(exported) and "张三" not in str(exported["data"]["profile"])


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 60


def test_deletion_removes_certificate_scans_and_old_values_in_the_account_log(
    app: Flask,
    client: FlaskClient,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
) -> None:
    """The scan of a certificate shows the person (photo, ID number): it goes; the certificate
    row stays for the ledger. The account log keeps what changed, not the old name or 工号."""
    org = make_org(code="pipl-scan")
    admin = login(make_user(Role.ADMIN, organisation=org))
    worker = make_user(organisation=org, display_name="李四")
    for change in ({"employee_no": "OLD-77", "display_name": "李四"}, {"employee_no": "NEW-78"}):
        assert (
            client.patch(f"/api/v1/users/{worker.id}", json=change, headers=admin).status_code
            == 200
        )
    mine = login(worker)
    plan = client.post(
        "/api/v1/me/certificates/scan-upload",
        json={"content_type": "image/png", "size": len(PNG)},
        headers=mine,
    ).get_json()
    assert call_url(app, "PUT", plan["url"], PNG).status == 200
    body = {
        "kind": "skill",
        "number": "S000777",
        "issuer": "电力行业职业技能鉴定中心",
        "skill_level": 3,
        "issued_on": "2025-06-01",
        "scan_key": plan["key"],
    }
    created = client.post("/api/v1/me/certificates", json=body, headers=mine)
    assert created.status_code == 201, created.get_json()
    store = runtime().object_store
    assert store.head(plan["key"]).size == len(PNG)

    assert client.post(f"/api/v1/users/{worker.id}/anonymise", headers=admin).status_code == 200
    with pytest.raises(ObjectNotFound):
        store.head(plan["key"])
    exported = client.get(f"/api/v1/users/{worker.id}/personal-data", headers=admin).get_json()
    [certificate] = exported["data"]["certificates"]
    assert certificate["number"] == "S000777" and certificate["scan_key"] is None
    log = str(exported["data"]["account_audit"])
    assert "OLD-77" not in log and "NEW-78" not in log
    assert "profile_changed" in log  # that it changed stays
