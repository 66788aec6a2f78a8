"""The credit bank (学分银行): my credits and certificates; admins' rules, reviews, adjustments
and contest awards."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_jwt_extended import current_user
from marshmallow import fields

from catalog.accounts.models import Role
from catalog.api import (
    API_PREFIX,
    Blueprint,
    CursorArgsSchema,
    ImageUploadRequestSchema,
    UploadTicketSchema,
    cursor_page_schema,
    page_schema,
)
from catalog.api.paging import SortKey, keyset_page, paginate
from catalog.api.upload_limits import upload_urls_counted
from catalog.credits import audit, certificates, ledger, rules
from catalog.credits.models import Certificate, CreditAudit, CreditRule, CreditTransaction
from catalog.credits.schemas import (
    AdjustmentSchema,
    AppliedRuleSchema,
    ApplyRuleSchema,
    AuditEntrySchema,
    AwardSchema,
    CertificateQueryArgsSchema,
    CertificateRegisterSchema,
    CertificateSchema,
    MyCertificatesArgsSchema,
    ReviewSchema,
    RevokeSchema,
    RuleCreateSchema,
    RuleSchema,
    RuleUpdateSchema,
    TransactionSchema,
    VerificationSchema,
)
from catalog.errors import ErrorResponseSchema
from catalog.extensions import limiter
from catalog.quiz import contests
from catalog.uploads import UploadTicket

blp = Blueprint("credits", __name__, url_prefix=API_PREFIX, description="学分银行 / Credit bank")
NEWEST_FIRST = SortKey(CreditTransaction.created_at, CreditTransaction.id, descending=True)
AUDIT_NEWEST = SortKey(CreditAudit.created_at, CreditAudit.id, descending=True)


class AuditQuerySchema(CursorArgsSchema):
    user_id = fields.Integer(
        load_default=None, metadata={"description": "only actions on this learner's credits"}
    )


class MyCreditsSchema(cursor_page_schema(TransactionSchema, "TransactionPage")):  # type: ignore[misc]
    balance = fields.Float(metadata={"description": "the sum of every transaction"})


@blp.route("/me/credits")
class MyCredits(MethodView):
    @blp.auth()
    @blp.arguments(CursorArgsSchema, location="query")
    @blp.response(200, MyCreditsSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """My balance and my ledger, newest first (the balance is the ledger's sum)."""
        query = ledger.ledger_query(current_user.id)
        page = keyset_page(query, NEWEST_FIRST, cursor=args["cursor"], limit=args["limit"])
        return {"balance": ledger.balance(current_user.id), **page}


@blp.route("/me/certificates")
class MyCertificates(MethodView):
    @blp.auth()
    @blp.arguments(MyCertificatesArgsSchema, location="query")
    @blp.response(200, CertificateSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[Certificate]:
        """My certificates, newest first; with expiring_within_days, those to renew."""
        days = certificates.warning_window(args["expiring"], args["expiring_within_days"])
        if days is not None:
            return certificates.expiring_of(current_user, days)
        return certificates.certificates_of(current_user)

    @blp.auth()
    @blp.arguments(CertificateRegisterSchema)
    @blp.response(201, CertificateSchema)
    def post(self, data: dict[str, Any]) -> Certificate:
        """Register a certificate issued elsewhere; it earns credits once an admin approves."""
        return certificates.register(current_user, data)


@blp.route("/me/certificates/scan-upload")
class MyCertificateScanUpload(MethodView):
    decorators = [upload_urls_counted()]

    @blp.auth()
    @blp.arguments(ImageUploadRequestSchema)
    @blp.response(201, UploadTicketSchema)
    def post(self, data: dict[str, Any]) -> UploadTicket:
        """Where to PUT a certificate's scan (JPEG, PNG, WebP or PDF, 10 MiB at most)."""
        return certificates.plan_scan_upload(current_user, data["content_type"], data["size"])


@blp.route("/certificates")
class Certificates(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(CertificateQueryArgsSchema, location="query")
    @blp.response(200, page_schema(CertificateSchema, "CertificatePage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Your organisation's certificates: pending review, or expiring soon (retraining)."""
        days = certificates.warning_window(args.pop("expiring"), args.pop("expiring_within_days"))
        query = certificates.visible_certificates(current_user, args.pop("status"), days)
        return paginate(query.order_by(Certificate.issued_at.desc()), **args)


@blp.route("/certificates/<int:certificate_id>/approve")
class CertificateApproval(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(ReviewSchema)
    @blp.response(200, CertificateSchema)
    def post(self, data: dict[str, Any], certificate_id: int) -> Certificate:
        """Approve a registered certificate: its credits are earned."""
        return certificates.review(current_user, certificate_id, approve=True, note=data["note"])


@blp.route("/certificates/<int:certificate_id>/reject")
class CertificateRejection(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(ReviewSchema)
    @blp.response(200, CertificateSchema)
    def post(self, data: dict[str, Any], certificate_id: int) -> Certificate:
        """Reject a registered certificate, saying why."""
        return certificates.review(current_user, certificate_id, approve=False, note=data["note"])


@blp.route("/certificates/<int:certificate_id>/revoke")
class CertificateRevocation(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(RevokeSchema)
    @blp.response(200, CertificateSchema)
    def post(self, data: dict[str, Any], certificate_id: int) -> Certificate:
        """Revoke a certificate; its credits go with a counter-transaction."""
        return certificates.revoke_certificate(current_user, certificate_id, data["reason"])


@blp.route("/credit-rules")
class CreditRules(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.response(200, RuleSchema(many=True))
    def get(self) -> list[CreditRule]:
        """Your organisation's rules for turning achievements into credits."""
        return rules.rules_of(current_user)

    @blp.auth(Role.ADMIN)
    @blp.arguments(RuleCreateSchema)
    @blp.response(201, RuleSchema)
    def post(self, data: dict[str, Any]) -> CreditRule:
        """A rule: a certificate kind (and level) or a contest rank band earns N credits."""
        return rules.create_rule(current_user, data)


@blp.route("/credit-rules/<int:rule_id>")
class CreditRulesById(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(RuleUpdateSchema)
    @blp.response(200, RuleSchema)
    def patch(self, changes: dict[str, Any], rule_id: int) -> CreditRule:
        """Change a rule (what it already earned stays)."""
        return rules.update_rule(current_user, rule_id, changes)

    @blp.auth(Role.ADMIN)
    @blp.response(204)
    def delete(self, rule_id: int) -> None:
        """Retire a rule (what it already earned stays)."""
        rules.delete_rule(current_user, rule_id)


@blp.route("/credit-rules/<int:rule_id>/apply")
class CreditRuleApplication(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(ApplyRuleSchema)
    @blp.response(200, AppliedRuleSchema)
    def post(self, data: dict[str, Any], rule_id: int) -> dict[str, Any]:
        """Apply a rule to past events (approved certificates, closed contests) that earned
        nothing yet: a dry run first (the default) says who would get what; each award is
        made once."""
        awards = rules.apply_to_past(
            current_user,
            rule_id,
            dry_run=data["dry_run"],
            contest_ranks=contests.closed_contest_ranks,
        )
        total = round(sum(a.credits for a in awards), 2)
        return {"dry_run": data["dry_run"], "awards": awards, "credits": total}


@blp.route("/credit-audit")
class CreditAuditLog(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, cursor_page_schema(AuditEntrySchema, "CreditAuditPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The credit bank's audit log, newest first: every rule change, review, revocation,
        adjustment and award, with who, when and the state before and after (platform
        admins: all; admins: their organisation's)."""
        query = audit.audit_query(current_user, args["user_id"])
        return keyset_page(query, AUDIT_NEWEST, cursor=args["cursor"], limit=args["limit"])


@blp.route("/credit-adjustments")
class CreditAdjustments(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(AdjustmentSchema)
    @blp.response(201, TransactionSchema)
    def post(self, data: dict[str, Any]) -> CreditTransaction:
        """Correct a learner's credits (±), with the reason; a new ledger line, never an edit."""
        return ledger.adjust(current_user, data["user_id"], data["credits"], data["reason"])


@blp.route("/quiz-templates/<int:template_id>/awards")
class ContestAwards(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.response(200, AwardSchema)
    def post(self, template_id: int) -> dict[str, int]:
        """After a contest closes, credit its entrants by rank band (again: nothing new)."""
        return {"awarded": contests.award(current_user, template_id)}


def _verify_limit() -> str:
    return str(current_app.config["VERIFY_RATE_LIMIT"])


@blp.route("/verify/<string:code>")
class CertificateCheck(MethodView):
    decorators = [limiter.limit(_verify_limit)]  # per client address: codes are not to be guessed

    @blp.response(200, VerificationSchema)
    @blp.alt_response(404, schema=ErrorResponseSchema, description="没有这张证书 / No such code")
    @blp.alt_response(429, schema=ErrorResponseSchema, description="查询过多 / Too many checks")
    @blp.doc(security=[])
    def get(self, code: str) -> certificates.Verification:
        """Check a certificate issued here by its verification code, without signing in (for
        employers): the holder's masked name, occupation, level, issuer, dates and status."""
        return certificates.verify(code)
