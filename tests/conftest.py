"""Shared fixtures: the app on SQLite and on PostgreSQL, a client, and users of each role.

Each test gets a fresh app (its own limiter memory, its own settings) over a database that was
migrated once per session. After each test every table is emptied. (Flask-SQLAlchemy 3 picks
its engine per query, so a session cannot join an outer transaction to be rolled back; emptying
also lets a real task consumer in another process see what a test committed.)

The fixtures only wire things together; what they build lives in tests/support/.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from catalog.accounts.models import Organisation, Role, User
from catalog.lectures.models import Microlecture
from catalog.reference.models import Industry
from config import Settings
from tests.support import database, factories
from tests.support.apps import AppFactory
from tests.support.media import Samples, make_samples
from tests.support.seaweedfs import S3Server, Weed

# --- databases and apps ------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> sa.Engine:
    """An engine on the PostgreSQL server's maintenance database, or a skip saying why."""
    return database.connect_postgres_server()


@pytest.fixture(scope="session")
def make_postgres_database(postgres_server: sa.Engine) -> Iterator[Callable[[], str]]:
    """Creates throwaway databases on the server; all are dropped at the end of the session."""
    databases = database.PostgresDatabases(postgres_server)
    yield databases.create
    databases.drop_all()
    postgres_server.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One migrated database per engine for the whole session."""
    if request.param == "sqlite":
        url = database.sqlite_url(tmp_path_factory.mktemp("db"))
    else:
        url = request.getfixturevalue("make_postgres_database")()
    database.migrate(url, tmp_path_factory.mktemp("var"))
    return url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return database.base_settings(tmp_path / "var", database_url)


@pytest.fixture
def make_app(settings: Settings) -> Iterator[AppFactory]:
    """Build an app with some settings changed; every app built is cleaned up after the test."""
    apps = AppFactory(settings)
    yield apps
    apps.close()


@pytest.fixture
def app(make_app: AppFactory) -> Iterator[Flask]:
    built = make_app()
    with built.app_context():
        yield built


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# --- factories ---------------------------------------------------------------------------


@pytest.fixture
def make_org(app: Flask) -> Callable[..., Organisation]:
    return factories.make_org


@pytest.fixture
def make_user(app: Flask, make_org: Callable[..., Organisation]) -> Callable[..., User]:
    return factories.UserFactory(make_org)


@pytest.fixture
def login(client: FlaskClient) -> Callable[[User], dict[str, str]]:
    """Sign a user in through the API; returns the Authorization header."""
    return partial(factories.sign_in, client)


@pytest.fixture
def login_as(
    make_user: Callable[..., User], login: Callable[[User], dict[str, str]]
) -> Callable[..., dict[str, str]]:
    """``login_as(Role.ADMIN)``: a new user of that role, signed in."""

    def sign_in(*roles: Role, organisation: Organisation | None = None) -> dict[str, str]:
        return login(make_user(*roles, organisation=organisation))

    return sign_in


@pytest.fixture
def make_lecture(app: Flask) -> Callable[..., Microlecture]:
    """A microlecture owned by ``instructor``; ``ready`` gives it processed media (no files)."""
    return factories.make_lecture


@pytest.fixture
def make_industry(app: Flask) -> Callable[..., Industry]:
    return factories.make_industry


@pytest.fixture
def make_course(
    client: FlaskClient,
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
    make_industry: Callable[..., Industry],
    make_lecture: Callable[..., Microlecture],
) -> Callable[..., int]:
    """A course of ``organisation``, written by an instructor and published by an editor
    through the API; returns its id."""
    return factories.CourseFactory(client, make_user, login, make_industry, make_lecture)


# --- object store and media --------------------------------------------------------------


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A SeaweedFS S3 server shared by the session's tests."""
    weed = Weed(tmp_path_factory.mktemp("seaweedfs"))
    yield weed.start()
    weed.stop()


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Samples:
    return make_samples(tmp_path_factory.mktemp("samples"))
