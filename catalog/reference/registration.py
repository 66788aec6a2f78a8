"""Plugs the reference data into the app: industries, occupations, skill levels."""

from __future__ import annotations

from flask import Flask

from catalog.api import reference
from catalog.extensions import api


def register(app: Flask) -> None:
    api.register_blueprint(reference.blp)
