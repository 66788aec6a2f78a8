"""Plugs accounts into the app: sign-in, the signed-in user and their courses, organisations
and users, and their command-line tools."""

from __future__ import annotations

from flask import Flask

from catalog.accounts import (
    personal,
    tasks,  # noqa: F401  (the roster task, registered with the queue)
)
from catalog.accounts.cli import orgs_cli, users_cli
from catalog.accounts.roster import forget_in_reports
from catalog.api import auth, departments, me, organisations, roster, users
from catalog.extensions import api


def register(app: Flask) -> None:
    for blueprint in (
        auth.blp,
        me.blp,
        organisations.blp,
        departments.blp,
        users.blp,
        roster.blp,
    ):
        api.register_blueprint(blueprint)
    personal.on_anonymise(forget_in_reports)
    app.cli.add_command(orgs_cli)
    app.cli.add_command(users_cli)
