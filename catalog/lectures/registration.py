"""Plugs microlectures into the app: playback, authoring and uploads, media processing."""

from __future__ import annotations

from flask import Flask

from catalog.api import authoring_microlectures, microlectures
from catalog.extensions import api
from catalog.lectures import tasks  # noqa: F401  (its tasks join the queue on import)


def register(app: Flask) -> None:
    for blueprint in (microlectures.blp, authoring_microlectures.blp):
        api.register_blueprint(blueprint)
