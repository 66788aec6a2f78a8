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

import pytest
import schemathesis
from flask import Flask
from hypothesis import given
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import load_all_checks, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz.roles import ROLES, fuzz_settings

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


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
        @fuzz_settings()
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
