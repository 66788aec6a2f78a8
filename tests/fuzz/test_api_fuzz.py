"""Schemathesis over the published OpenAPI document, as every role.

Every operation of ``/api/openapi.json`` gets generated requests — ones that follow the
document and ones that break it — signed in as a learner, an instructor, a bank editor, an
organisation admin, a platform admin and as nobody. No request may answer 5xx, and every
answer must match what the document says of it: a documented status code, a body matching its
schema, the documented content type.

``make test`` runs a short pass (FUZZ_EXAMPLES, 2 per operation, role and kind unless set);
``make fuzz`` runs a long one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from flask import Flask
from flask_migrate import upgrade
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import load_all_checks, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from catalog import create_app
from catalog.database import db
from catalog.demo import DEMO_PASSWORD, load_demo_data
from tests.support.database import base_settings

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2"))
ROLES = {
    "anonymous": None,
    "learner": "power-learner",
    "instructor": "power-instructor",
    "editor": "power-editor",
    "admin": "power-admin",
    "platform_admin": "platform",
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


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


@pytest.mark.slow
@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda mode: mode.value)
@pytest.mark.parametrize("role", list(ROLES))
def test_no_server_error_and_answers_match_the_document(
    fuzz_app: Flask, signed_in: dict[str, dict[str, str]], role: str, mode: GenerationMode
) -> None:
    load_all_checks()
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", fuzz_app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=signed_in[role], checks=CHECKS)

        try:
            call()
        except Unsatisfiable:
            continue  # nothing to break in an operation without parameters or body
        except Exception as exc:  # a failed check: collect every operation's, then report
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert operations > 50  # the whole document, not a part of it
    assert not failures, f"{len(failures)} operations failed as {role}:\n\n" + "\n\n".join(failures)
