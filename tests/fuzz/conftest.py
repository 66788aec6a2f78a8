"""The demo platform the fuzz passes run against, and a signed-in header per role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade

from catalog import create_app
from catalog.database import db
from catalog.demo import DEMO_PASSWORD, load_demo_data
from tests.fuzz.roles import ROLES
from tests.support.database import base_settings


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The demo platform on SQLite: real ids for the generated paths to hit now and then."""
    var: Path = tmp_path_factory.mktemp("fuzz")
    app = create_app(
        base_settings(var, f"sqlite:///{var / 'fuzz.db'}", login_rate_limit="100000 per minute")
    )
    with app.app_context():
        upgrade()
        load_demo_data()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def signed_in(fuzz_app: Flask) -> dict[str, dict[str, str]]:
    client = fuzz_app.test_client()
    signed: dict[str, dict[str, str]] = {}
    for role, username in ROLES.items():
        if username is None:
            signed[role] = {}
            continue
        answer = client.post(
            "/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD}
        )
        assert answer.status_code == 200, answer.get_json()
        signed[role] = {"Authorization": f"Bearer {answer.get_json()['access_token']}"}
    return signed
