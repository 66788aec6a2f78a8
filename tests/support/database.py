"""The test databases: settings over them, migrating once, emptying after a test, PostgreSQL."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from catalog import create_app
from catalog.database import db
from catalog.reference.models import NATIONAL_SKILL_LEVELS, SkillLevel
from config import Environment, Settings
from tests.support.ports import port_open

DEFAULT_PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

# Reference rows that migrations seed stay; everything else a test wrote goes.
SEEDED_TABLES = {"skill_levels"}


def base_settings(var_dir: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": Environment.TEST,
        "var_dir": var_dir,
        "secret_key": "test-secret-" + "x" * 40,
        "database_url": database_url,
        "tasks_immediate": True,
        # A child process per import, export and upload costs ~2 s: the suite runs them in
        # process; tests/catalog/background/test_isolation.py runs them isolated.
        "tasks_isolated": False,
        "queue_name": f"jiangyun-test-{uuid.uuid4().hex[:8]}",
        "rate_limit_storage_url": "memory://",
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(**values)


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'test.db'}"


def migrate(database_url: str, var_dir: Path) -> None:
    """Bring the database up to the newest migration."""
    app = create_app(base_settings(var_dir, database_url))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def empty_tables(database_url: str) -> None:
    """Delete every row a test wrote, leaving the database as migrations left it."""
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in SEEDED_TABLES:
                conn.execute(table.delete())
        for level, name, name_en in NATIONAL_SKILL_LEVELS:  # undo label edits
            conn.execute(
                sa.update(SkillLevel)
                .where(SkillLevel.level == level)
                .values(name=name, name_en=name_en)
            )
    engine.dispose()


def postgres_server_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_SERVER)


def connect_postgres_server() -> sa.Engine:
    """An engine on the PostgreSQL server's maintenance database, or a skip saying why."""
    url = sa.make_url(postgres_server_url())
    if not port_open(url.host or "127.0.0.1", url.port or 5432):
        pytest.skip(f"no PostgreSQL server answers at {url.host}:{url.port} (TEST_DATABASE_URL)")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {url.host}:{url.port} refused the test user: {exc}")
    return engine


class PostgresDatabases:
    """Throwaway databases on one server, remembered so that all can be dropped together."""

    def __init__(self, server: sa.Engine) -> None:
        self.server = server
        self.created: list[str] = []

    def create(self) -> str:
        """A new empty database; its URL, password included."""
        name = f"jiangyun_test_{uuid.uuid4().hex[:12]}"
        with self.server.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.server.url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.server.connect() as conn:
            for name in self.created:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
