"""The public certificate check (issue 21): what an employer may read by a code, and no more."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient

from catalog.accounts.models import Organisation, Role, User
from catalog.clock import local_day, utcnow
from catalog.credits import certificates
from catalog.credits.models import Certificate, CertificateStatus
from catalog.database import db
from tests.support.apps import AppFactory


def issued(user: User, **extra: object) -> Certificate:
    certificate = certificates.award_level_certificate(
        user.id,
        occupation_id=None,
        skill_level=4,
        score=88.0,
        session_id=None,
        issuer="示范电力公司",
    )
    for name, value in extra.items():
        setattr(certificate, name, value)
    db.session.commit()
    return certificate


def test_an_employer_reads_only_what_they_need(
    client: FlaskClient, make_user: Callable[..., User], make_org: Callable[..., Organisation]
) -> None:
    holder = make_user(Role.LEARNER, organisation=make_org(), display_name="王建国")
    code = issued(holder).verification_code
    answer = client.get(f"/api/v1/verify/{code}")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body == {
        "code": code,
        "holder": "王**",  # the family name, not the name's length
        "occupation": None,
        "skill_level": {"level": 4, "name": body["skill_level"]["name"]},
        "issuer": "示范电力公司",
        "issued_on": local_day(utcnow()).isoformat(),
        "expires_on": None,
        "status": "valid",
    }
    # as printed on paper: lower case, dashes, spaces
    printed = f" {code[:4].lower()}-{code[4:8]}-{code[8:]} "
    assert client.get(f"/api/v1/verify/{printed}").get_json()["code"] == code


def test_unknown_registered_revoked_and_expired_codes(
    client: FlaskClient, make_user: Callable[..., User], login_as: Callable[..., dict]
) -> None:
    holder = make_user(Role.LEARNER)
    missing = [client.get(f"/api/v1/verify/{c}") for c in ("000000000000", "x" * 500, "%00")]
    assert {m.status_code for m in missing} == {404}
    assert len({m.get_json()["error"]["message"] for m in missing}) == 1  # one answer for all
    # a certificate registered from elsewhere is self-declared: not ours to vouch for
    learner = login_as(Role.LEARNER)
    registered = client.post(
        "/api/v1/me/certificates",
        json={"kind": "skill", "number": "X-1", "issuer": "某鉴定中心", "issued_on": "2024-01-02"},
        headers=learner,
    ).get_json()
    assert client.get(f"/api/v1/verify/{registered['verification_code']}").status_code == 404
    revoked = issued(holder, status=CertificateStatus.REVOKED)
    assert client.get(f"/api/v1/verify/{revoked.verification_code}").get_json()["status"] == (
        "revoked"
    )
    expired = issued(holder, expires_on=local_day(utcnow()) - timedelta(days=1))
    assert client.get(f"/api/v1/verify/{expired.verification_code}").get_json()["status"] == (
        "expired"
    )


def test_codes_cannot_be_guessed_at_speed(make_app: AppFactory) -> None:
    app = make_app(verify_rate_limit="3 per minute")
    client = app.test_client()
    answers = [client.get("/api/v1/verify/000000000000").status_code for _ in range(4)]
    assert answers == [404, 404, 404, 429]
