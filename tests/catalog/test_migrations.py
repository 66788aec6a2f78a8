"""Migrations bring an empty database to head, and agree with the models."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade

from catalog.database import db
from config import Settings
from tests.support.database import base_settings


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return str(request.getfixturevalue("make_postgres_database")())


def test_upgrade_from_empty_to_head_matches_the_models(
    empty_database_url: str, tmp_path: Path
) -> None:
    from catalog import create_app

    app: Flask = create_app(base_settings(tmp_path, empty_database_url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            assert compare_metadata(context, db.metadata) == []
            tables = set(sa.inspect(conn).get_table_names())
        assert {t.name for t in db.metadata.sorted_tables} <= tables
        downgrade(revision="base")
        with db.engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_suite_database_is_at_head(app: Flask, settings: Settings) -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    with db.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    assert current == script.get_current_head()
    assert settings.database_url


def test_altering_a_table_keeps_the_rows_that_hang_from_it(
    empty_database_url: str, tmp_path: Path
) -> None:
    """SQLite alters ``users`` by copying it and dropping the old table; with foreign keys on,
    the drop deleted every user's roles (found while adding departments, issue 18). Every
    migration since keeps the rows that reference a table it rebuilds."""
    from alembic.script import ScriptDirectory

    from catalog import create_app

    app: Flask = create_app(base_settings(tmp_path, empty_database_url))
    with app.app_context():
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        revisions = list(script.walk_revisions())  # newest first
        before_departments = next(
            r.down_revision for r in revisions if "departments" in (r.doc or "")
        )
        upgrade(revision=str(before_departments))
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO organisations (code, name, kind, created_at) "
                    "VALUES ('keep', 'K', 'ENTERPRISE', '2026-01-01')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO users (username, display_name, password_hash, organisation_id, "
                    "is_active, created_at) SELECT 'keepme', 'K', 'x', id, true, '2026-01-01' "
                    "FROM organisations WHERE code = 'keep'"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO user_roles (user_id, role) "
                    "SELECT id, 'EDITOR' FROM users WHERE username = 'keepme'"
                )
            )
        upgrade()
        with db.engine.connect() as conn:
            roles = conn.execute(sa.text("SELECT count(*) FROM user_roles")).scalar()
            users = conn.execute(sa.text("SELECT count(*) FROM users")).scalar()
        assert (users, roles) == (1, 1)
        db.engine.dispose()
