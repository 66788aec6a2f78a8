"""Certificate services: review, revocation, expiry, level certificates once per session."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from catalog.accounts.models import Organisation, Role, User
from catalog.banks import questions
from catalog.banks import services as banks
from catalog.credits import certificates, ledger, rules
from catalog.credits.models import (
    Certificate,
    CertificateKind,
    CertificateSource,
    CertificateStatus,
    CreditTransaction,
    RuleKind,
    TransactionKind,
)
from catalog.database import db
from catalog.errors import Conflict, Invalid, NotFound, PermissionDenied
from catalog.quiz import answering, results, sessions, submission, templates
from catalog.quiz.models import QuizMode
from catalog.runtime import runtime
from catalog.uploads import staging_key

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 60


@pytest.fixture
def people(make_org: Callable[..., Organisation], make_user: Callable[..., User]) -> Any:
    org = make_org(code="bank-org")
    admin = make_user(Role.ADMIN, organisation=org)
    rules.create_rule(
        admin,
        {"kind": RuleKind.CERTIFICATE, "certificate_kind": CertificateKind.SKILL, "credits": 2},
    )
    rules.create_rule(
        admin,
        {
            "kind": RuleKind.CERTIFICATE,
            "certificate_kind": CertificateKind.SKILL,
            "skill_level": 3,
            "credits": 4,
        },
    )
    return SimpleNamespace(
        org=org,
        admin=admin,
        editor=make_user(Role.EDITOR, organisation=org),
        learner=make_user(Role.LEARNER, organisation=org),
        outsider_admin=make_user(Role.ADMIN, organisation=make_org(code="other")),
    )


def register(user: User, **changes: Any) -> Certificate:
    data = {
        "kind": CertificateKind.SKILL,
        "number": "S000123",
        "issuer": "电力行业职业技能鉴定中心",
        "skill_level": 3,
        "issued_on": date(2025, 6, 1),
        **changes,
    }
    return certificates.register(user, data)


def ledger_of(user: User) -> list[tuple[TransactionKind, float]]:
    query = ledger.ledger_query(user.id).order_by(CreditTransaction.id)
    return [(t.kind, t.credits) for t in db.session.scalars(query)]


def test_a_registered_certificate_earns_only_once_approved_by_its_organisations_admin(
    people: Any,
) -> None:
    registered = register(people.learner)
    assert (registered.status, registered.source) == (
        CertificateStatus.PENDING,
        CertificateSource.REGISTERED,
    )
    with pytest.raises(NotFound):
        certificates.review(people.outsider_admin, registered.id, approve=True, note=None)
    with pytest.raises(PermissionDenied):
        certificates.review(people.learner, registered.id, approve=True, note=None)

    def pending(admin: User) -> list[int]:
        query = certificates.visible_certificates(admin, CertificateStatus.PENDING, None)
        return [c.id for c in db.session.scalars(query)]

    assert (pending(people.admin), pending(people.outsider_admin)) == ([registered.id], [])
    assert ledger.balance(people.learner.id) == 0
    approved = certificates.review(people.admin, registered.id, approve=True, note="核验无误")
    assert (approved.status, approved.reviewed_by_id) == (
        CertificateStatus.APPROVED,
        people.admin.id,
    )
    assert ledger_of(people.learner) == [(TransactionKind.EARN, 4)]  # the level-3 rule
    with pytest.raises(Conflict) as again:
        certificates.review(people.admin, registered.id, approve=True, note=None)
    assert again.value.code == "already_reviewed"
    assert ledger.balance(people.learner.id) == 4
    rejected = register(people.learner, number="S000124")
    certificates.review(people.admin, rejected.id, approve=False, note="扫描件不清晰")
    assert db.session.get(Certificate, rejected.id).status is CertificateStatus.REJECTED
    assert ledger.balance(people.learner.id) == 4  # a rejected certificate earns nothing


def test_revoking_a_certificate_takes_its_credits_back_once(people: Any) -> None:
    held = register(people.learner, skill_level=5)
    certificates.review(people.admin, held.id, approve=True, note=None)
    revoked = certificates.revoke_certificate(people.admin, held.id, "证书造假")
    assert (revoked.status, revoked.review_note) == (CertificateStatus.REVOKED, "证书造假")
    certificates.revoke_certificate(people.admin, held.id, "再次撤销")
    assert ledger_of(people.learner) == [(TransactionKind.EARN, 2), (TransactionKind.REVOKE, -2)]
    assert ledger.balance(people.learner.id) == 0
    assert db.session.get(Certificate, held.id).review_note == "证书造假"


def test_registration_refuses_an_expiry_before_the_issue_and_scans_of_others(
    people: Any,
) -> None:
    with pytest.raises(Invalid) as backwards:
        register(people.learner, expires_on=date(2020, 1, 1))
    assert set(backwards.value.details["json"]) == {"expires_on"}
    with pytest.raises(Invalid):
        register(people.learner, scan_key=f"certificates/{people.admin.id}/scan-x")
    ticket = certificates.plan_scan_upload(people.learner, "image/png", len(PNG))
    runtime().object_store.put(staging_key(ticket.key), io.BytesIO(PNG), content_type="image/png")
    with_scan = register(people.learner, scan_key=ticket.key)
    assert with_scan.scan_key == ticket.key
    assert [c.id for c in certificates.certificates_of(people.learner)] == [with_scan.id]


def test_expiring_certificates_are_counted_on_the_learners_calendar(
    people: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 17:00 UTC on 1 March is 2 March in Shanghai: ten days on is 12 March. (It is also the
    # day they are registered: none has expired yet.)
    monkeypatch.setattr(
        "catalog.credits.certificates.utcnow", lambda: datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
    )
    soon = register(people.learner, number="A1", expires_on=date(2026, 3, 12))
    later = register(people.learner, number="A2", expires_on=date(2026, 3, 13))
    for held in (soon, later):
        certificates.review(people.admin, held.id, approve=True, note=None)
    pending = register(people.learner, number="A3", expires_on=date(2026, 3, 2))
    assert [c.id for c in certificates.expiring_of(people.learner, 10)] == [soon.id]
    query = certificates.visible_certificates(people.admin, None, 11)
    assert sorted(c.id for c in db.session.scalars(query)) == [soon.id, later.id]
    assert pending.id not in {c.id for c in certificates.expiring_of(people.learner, 30)}
    assert certificates.warning_window(True, None) == 90
    assert certificates.warning_window(False, None) is None


def test_the_level_certificate_is_awarded_once_per_session(
    people: Any, make_industry: Callable[..., Any]
) -> None:
    make_industry("power", "电力", occupation="6-28-01-14")
    bank = banks.create_bank(people.editor, {"name": "安规题库"})
    question = questions.create_question(
        people.editor,
        bank.id,
        {"type": "true_false", "stem": "停电检修前必须先验电。", "answer": {"correct": True}},
    ).question
    questions.bulk(people.editor, bank.id, [question.id], "publish", None)
    exam = templates.create_template(
        people.editor,
        {
            "title": "配电线路工四级考试",
            "mode": QuizMode.EXAM,
            "occupation": "6-28-01-14",
            "skill_level": 4,
            "sections": [{"points": 10, "question_ids": [question.id]}],
        },
    )
    rules.create_rule(
        people.admin,
        {
            "kind": RuleKind.CERTIFICATE,
            "certificate_kind": CertificateKind.SKILL,
            "skill_level": 4,
            "credits": 3,
        },
    )
    for attempt, right in (("failed", False), ("passed", True)):
        session = sessions.start(people.learner, exam.id)
        answering.save_answer(people.learner, session.id, 1, {"value": right}, attempt, None)
        first = submission.submit(people.learner, session.id)
        second = submission.submit(people.learner, session.id)
        assert first.result == second.result and first.result is not None
        assert first.result["passed"] is right
    assert results.expire_overdue() == 0
    awarded = list(
        db.session.scalars(select(Certificate).where(Certificate.user_id == people.learner.id))
    )
    assert [(c.session_id, c.skill_level, c.score, c.source) for c in awarded] == [
        (session.id, 4, 10, CertificateSource.EXAM)
    ]
    assert awarded[0].occupation_id is not None
    assert ledger_of(people.learner) == [(TransactionKind.EARN, 3)]
