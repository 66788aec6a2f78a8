"""Plugs the learners' web app into the app: its shell, assets, manifest and service worker."""

from __future__ import annotations

from flask import Flask

from catalog.web import views


def register(app: Flask) -> None:
    app.register_blueprint(views.blp)
