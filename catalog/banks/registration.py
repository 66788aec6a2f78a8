"""Plugs question banks into the app: banks, questions, imports, exports, snapshots."""

from __future__ import annotations

from flask import Flask

from catalog.api import banks
from catalog.banks import tasks  # noqa: F401  (its tasks join the queue on import)
from catalog.extensions import api


def register(app: Flask) -> None:
    api.register_blueprint(banks.blp)
