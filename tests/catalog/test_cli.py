"""The flask orgs / users / demo commands."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from catalog.accounts.models import Organisation, Role, User
from catalog.demo import DEMO_USERS
from catalog.extensions import db


def test_orgs_and_users_create(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "orgs",
            "create",
            "--code",
            "sgcc-bj",
            "--name",
            "国网北京电力",
            "--kind",
            "enterprise",
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--username",
            "bj-admin",
            "--role",
            "admin",
            "--role",
            "editor",
            "--org",
            "sgcc-bj",
            "--password",
            "a strong one",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "bj-admin"))
    assert user.roles == {Role.ADMIN, Role.EDITOR}
    assert user.organisation.code == "sgcc-bj"


def test_cli_reports_errors_without_a_traceback(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "--username", "lost", "--role", "admin", "--password", "12345678"]
    )
    assert result.exit_code != 0
    assert "organisation" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(
        args=["users", "create", "--username", "x1y", "--org", "nope", "--password", "12345678"]
    )
    assert result.exit_code != 0
    assert "nope" in result.output


def test_demo_load_is_idempotent(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    users_after_first = db.session.scalar(select(db.func.count()).select_from(User))
    second = runner.invoke(args=["demo", "load"])
    assert "already present" in second.output
    assert db.session.scalar(select(db.func.count()).select_from(User)) == users_after_first
    assert users_after_first == len(DEMO_USERS)
    assert db.session.scalar(select(db.func.count()).select_from(Organisation)) == 3
