"""Plugs the credit bank into the app: ledger, certificates, credit rules, contest awards."""

from __future__ import annotations

from flask import Flask

from catalog.api import credits
from catalog.extensions import api


def register(app: Flask) -> None:
    api.register_blueprint(credits.blp)
