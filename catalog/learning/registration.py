"""Plugs learning history into the app: statements, progress, history, training reports."""

from __future__ import annotations

from flask import Flask

from catalog.api import learning, reports
from catalog.extensions import api


def register(app: Flask) -> None:
    for blueprint in (learning.blp, reports.blp):
        api.register_blueprint(blueprint)
