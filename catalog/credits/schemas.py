"""Schemas of certificates, credit rules and the ledger."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from catalog.credits.models import (
    AuditAction,
    CertificateKind,
    CertificateStatus,
    RuleKind,
    TransactionKind,
)
from catalog.fields import AwareDateTime
from catalog.reference.services import occupation_code
from catalog.runtime import runtime


def _scan_url(key: str | None) -> str | None:
    if key is None:
        return None
    store, seconds = runtime().object_store, runtime().settings.playback_url_seconds
    return store.presign_get(key, expires_in=seconds).url


class CertificateSchema(ma.Schema):
    id = fields.Integer()
    kind = fields.Enum(CertificateKind, by_value=True)
    source = fields.String(attribute="source.value", metadata={"description": "exam|registered"})
    status = fields.Enum(CertificateStatus, by_value=True)
    user_id = fields.Integer()
    occupation = fields.Function(lambda c: occupation_code(c.occupation_id), allow_none=True)
    skill_level = fields.Integer(allow_none=True)
    score = fields.Float(allow_none=True)
    number = fields.String(allow_none=True)
    issuer = fields.String(allow_none=True)
    issued_on = fields.Date(allow_none=True)
    expires_on = fields.Date(allow_none=True)
    has_scan = fields.Function(lambda c: c.scan_key is not None)
    scan_url = fields.Function(
        lambda c: _scan_url(c.scan_key),
        allow_none=True,
        metadata={"description": "a short-lived link to the scan (holder and admins)"},
    )
    issued_at = AwareDateTime()
    verification_code = fields.String(metadata={"description": "quote it to verify"})
    session_id = fields.String(allow_none=True)
    reviewed_at = AwareDateTime(allow_none=True)
    review_note = fields.String(allow_none=True)


class CertificateRegisterSchema(ma.Schema):
    kind = fields.Enum(CertificateKind, by_value=True, required=True)
    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    issuer = fields.String(required=True, validate=validate.Length(min=1, max=200))
    occupation = fields.String(load_default=None, metadata={"description": "工种 code"})
    skill_level = fields.Integer(load_default=None, validate=validate.Range(min=1, max=5))
    issued_on = fields.Date(required=True)
    expires_on = fields.Date(load_default=None)
    scan_key = fields.String(
        load_default=None, metadata={"description": "from POST /me/certificates/scan-upload"}
    )


class MyCertificatesArgsSchema(ma.Schema):
    expiring = fields.Boolean(
        load_default=False,
        metadata={"description": "only those expiring within CERTIFICATE_WARNING_DAYS"},
    )
    expiring_within_days = fields.Integer(
        load_default=None,
        validate=validate.Range(min=0, max=3650),
        metadata={"description": "only approved ones expiring this soon (retraining)"},
    )


class CertificateQueryArgsSchema(MyCertificatesArgsSchema):
    status = fields.Enum(CertificateStatus, by_value=True, load_default=None)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ReviewSchema(ma.Schema):
    note = fields.String(load_default=None, validate=validate.Length(max=1000))


class RevokeSchema(ma.Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class RuleCreateSchema(ma.Schema):
    kind = fields.Enum(RuleKind, by_value=True, required=True)
    certificate_kind = fields.Enum(CertificateKind, by_value=True, load_default=None)
    skill_level = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=5),
        metadata={"description": "none: any level"},
    )
    rank_from = fields.Integer(load_default=None, validate=validate.Range(min=1))
    rank_to = fields.Integer(load_default=None, validate=validate.Range(min=1))
    credits = fields.Float(required=True, validate=validate.Range(min=0.01, max=1000))
    effective_from = fields.Date(
        load_default=None,
        metadata={
            "description": "events from this day on earn by the rule (today by default); "
            "earlier ones only when the rule is applied to the past"
        },
    )


class RuleUpdateSchema(ma.Schema):
    """Only what is sent changes."""

    certificate_kind = fields.Enum(CertificateKind, by_value=True, allow_none=True)
    skill_level = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=5))
    rank_from = fields.Integer(allow_none=True, validate=validate.Range(min=1))
    rank_to = fields.Integer(allow_none=True, validate=validate.Range(min=1))
    credits = fields.Float(validate=validate.Range(min=0.01, max=1000))
    active = fields.Boolean()
    effective_from = fields.Date()


class RuleSchema(RuleCreateSchema):
    id = fields.Integer()
    active = fields.Boolean()
    created_at = AwareDateTime()


class TransactionSchema(ma.Schema):
    id = fields.Integer()
    kind = fields.Enum(TransactionKind, by_value=True)
    credits = fields.Float(metadata={"description": "signed"})
    source_type = fields.String()
    source_id = fields.String()
    reason = fields.String()
    reverses_id = fields.Integer(allow_none=True)
    created_at = AwareDateTime()


class AdjustmentSchema(ma.Schema):
    user_id = fields.Integer(required=True)
    credits = fields.Float(
        required=True, validate=validate.Range(min=-1000, max=1000), metadata={"description": "±"}
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class AwardSchema(ma.Schema):
    awarded = fields.Integer(metadata={"description": "entrants credited now"})


class ApplyRuleSchema(ma.Schema):
    dry_run = fields.Boolean(
        load_default=True, metadata={"description": "only say who would get what (the default)"}
    )


class AwardLineSchema(ma.Schema):
    user_id = fields.Integer()
    username = fields.String()
    source_type = fields.String(metadata={"description": "certificate or contest"})
    source_id = fields.String()
    credits = fields.Float()
    reason = fields.String()


class AppliedRuleSchema(ma.Schema):
    dry_run = fields.Boolean()
    awards = fields.List(fields.Nested(AwardLineSchema))
    credits = fields.Float(metadata={"description": "the awards' sum"})


class AuditEntrySchema(ma.Schema):
    id = fields.Integer()
    organisation_id = fields.Integer(allow_none=True)
    actor_id = fields.Integer(allow_none=True, metadata={"description": "none: the service"})
    action = fields.Enum(AuditAction, by_value=True)
    subject_user_id = fields.Integer(allow_none=True)
    target_type = fields.String()
    target_id = fields.String()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    reason = fields.String(allow_none=True)
    created_at = AwareDateTime()


class VerificationSchema(ma.Schema):
    code = fields.String()
    holder = fields.String(metadata={"description": "the family name only: 张**"})
    occupation = fields.Function(
        lambda v: {"code": v.occupation.code, "name": v.occupation.name} if v.occupation else None
    )
    skill_level = fields.Function(
        lambda v: (
            {"level": v.skill_level.level, "name": v.skill_level.name} if v.skill_level else None
        )
    )
    issuer = fields.String(metadata={"description": "the organisation whose exam issued it"})
    issued_on = fields.Date()
    expires_on = fields.Date(allow_none=True)
    status = fields.String(metadata={"description": "valid, expired or revoked"})
