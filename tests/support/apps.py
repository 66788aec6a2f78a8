"""The apps one test builds over the session's database, and their cleaning up afterwards."""

from __future__ import annotations

from typing import Any

from flask import Flask

from catalog import create_app
from catalog.database import db
from config import Settings
from tests.support.database import empty_tables


class AppFactory:
    """Builds apps from one test's settings, some changed; ``close`` cleans up after them all."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.built: list[Flask] = []

    def __call__(self, **overrides: Any) -> Flask:
        app = create_app(self.settings.with_overrides(**overrides))
        self.built.append(app)
        return app

    def close(self) -> None:
        for app in self.built:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        if self.built:
            empty_tables(self.settings.database_url)
