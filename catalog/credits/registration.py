"""Plugs the credit bank into the app: ledger, certificates, credit rules, contest awards."""

from __future__ import annotations

from flask import Flask

from catalog.accounts import personal
from catalog.api import credits
from catalog.credits.certificates import forget_scans
from catalog.credits.models import Certificate, CreditAudit, CreditTransaction
from catalog.extensions import api


def register(app: Flask) -> None:
    api.register_blueprint(credits.blp)
    personal.register("certificates", Certificate, Certificate.user_id)
    personal.register("credit_transactions", CreditTransaction, CreditTransaction.user_id)
    personal.register("credit_audit", CreditAudit, CreditAudit.subject_user_id)
    personal.on_anonymise(forget_scans)
