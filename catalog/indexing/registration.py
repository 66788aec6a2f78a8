"""Plugs search into the app: the search API, the outbox on every database session, the
drain tasks, and the index commands."""

from __future__ import annotations

from flask import Flask

from catalog.api import search
from catalog.extensions import api
from catalog.indexing import outbox
from catalog.indexing.cli import search_cli


def register(app: Flask) -> None:
    api.register_blueprint(search.blp)
    outbox.install()  # its commits queue the drain task (catalog.indexing.tasks)
    app.cli.add_command(search_cli)
