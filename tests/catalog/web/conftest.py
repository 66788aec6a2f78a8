"""The learner app in a real browser: the demo data served on loopback, a phone-sized page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.support.apps import AppFactory
from tests.support.browser import CHROMIUM_FLAGS, PHONE, chromium_path, served


@pytest.fixture(scope="session", params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The browser journeys run on SQLite: the API they call runs on both engines elsewhere."""
    from tests.support import database

    url = database.sqlite_url(tmp_path_factory.mktemp("db"))
    database.migrate(url, tmp_path_factory.mktemp("var"))
    return url


@pytest.fixture
def demo_app(make_app: AppFactory) -> Iterator[Flask]:
    """The app with `make run`'s demo data (users, the assigned course with its lectures, the
    practice paper, exam, contest and practice pack)."""
    app = make_app()
    with app.app_context():
        loaded = app.test_cli_runner().invoke(args=["demo", "load"])
        assert loaded.exit_code == 0, loaded.output
        yield app


@pytest.fixture
def base_url(demo_app: Flask) -> Iterator[str]:
    with served(demo_app) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """New pages in one phone-sized browser context (its own storage, its own network)."""
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN", service_workers="allow"
    )
    context.set_default_timeout(15_000)
    yield context
    context.close()
