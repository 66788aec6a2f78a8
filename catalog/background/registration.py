"""Plugs background work into the app: task status, housekeeping on a schedule, the consumer."""

from __future__ import annotations

from flask import Flask

from catalog.api import tasks as task_status
from catalog.background import tasks  # noqa: F401  (its tasks join the queue on import)
from catalog.background.cli import tasks_cli
from catalog.extensions import api


def register(app: Flask) -> None:
    api.register_blueprint(task_status.blp)
    app.cli.add_command(tasks_cli)
