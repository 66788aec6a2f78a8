"""Hostile bodies over the published OpenAPI document, as every role.

Schemathesis generates bodies that follow each operation's schema; this pass then poisons
them where they matter — every string a lone surrogate, every number ``NaN`` or ``Infinity``,
a float spelled ``1e999``, an integer of 5,000 digits, the whole body nested 100,000 deep,
every date-time without its offset — and sends them to every operation that reads a JSON
body. These gave 500s (issue 15, findings 7 and 8). None may now: the poisoned JSON is a 400,
the naive date-time a 422 naming its field (or whatever the role and path answer first: 401,
403, 404), each a JSON error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi import formats

from tests.fuzz.roles import EXAMPLES, ROLES, fuzz_settings

NAIVE = st.datetimes().map(lambda moment: moment.replace(microsecond=0).isoformat())


def _poison(body: Any, leaf: Callable[[Any], Any]) -> Any:
    """The body with every string or number replaced by what ``leaf`` makes of it."""
    if isinstance(body, dict):
        return {key: _poison(value, leaf) for key, value in body.items()}
    if isinstance(body, list):
        return [_poison(value, leaf) for value in body]
    return leaf(body)


def _surrogates(value: Any) -> Any:
    return "\ud800" if isinstance(value, str) else value


def _not_numbers(value: Any) -> Any:
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    return float("nan") if is_number else value


def _infinite(value: Any) -> Any:
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    return float("-inf") if is_number else value


def _hostile(body: Any) -> Iterator[tuple[str, str]]:
    """Raw texts built from one generated body, each with what it carries."""
    yield (
        "surrogate",
        json.dumps({"text": "\ud800"}) if body is None else json.dumps(_poison(body, _surrogates)),
    )
    yield "NaN", json.dumps(_poison(body, _not_numbers) if body is not None else [float("nan")])
    yield "Infinity", json.dumps(_poison(body, _infinite) if body is not None else [float("inf")])
    yield "nesting", "[" * 100_000 + "]" * 100_000
    yield "overflowing float", '{"value": 1e999}'
    yield "huge integer", '{"value": ' + "9" * 5000 + "}"
    yield "NUL", json.dumps({"text": "a\x00b"})


def _check(answer: Any, what: str, label: str, failures: list[str]) -> None:
    if answer.status_code >= 500 or answer.mimetype != "application/json":
        failures.append(f"{label} with {what}: {answer.status_code} {answer.get_data()[:300]!r}")
        return
    if what != "naive date-time" and answer.status_code == 400:
        why = json.dumps(answer.get_json()["error"].get("details", {}), ensure_ascii=False)
        if "/ " not in why:  # the reason, in Chinese / English
            failures.append(f"{label} with {what}: 400 without saying why: {why}")


def _json_body_operations(fuzz_app: Flask) -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", fuzz_app)
    operations = []
    for result in schema.get_all_operations():
        operation = result.ok()
        content = (operation.definition.raw.get("requestBody") or {}).get("content", {})
        if "application/json" in content:
            operations.append(operation)
    return operations


@pytest.fixture
def naive_date_times() -> Iterator[None]:
    """Schemathesis writes every ``format: date-time`` without an offset, for this test."""
    original = formats.STRING_FORMATS.get("date-time")
    formats.register_string_format("date-time", NAIVE)
    yield
    if original is None:
        formats.unregister_string_format("date-time")
    else:
        formats.register_string_format("date-time", original)


@pytest.mark.slow
@pytest.mark.parametrize("role", list(ROLES))
def test_poisoned_json_is_a_400_in_every_operation(
    fuzz_app: Flask, signed_in: dict[str, dict[str, str]], role: str
) -> None:
    client = fuzz_app.test_client()
    failures: list[str] = []
    operations = _json_body_operations(fuzz_app)
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
        @fuzz_settings()
        def call(case: schemathesis.Case) -> None:
            for what, text in _hostile(case.body):
                answer = client.open(
                    case.formatted_path,
                    method=case.method,
                    query_string=case.query,
                    data=text.encode("utf-8", "surrogatepass"),
                    headers={**signed_in[role], "Content-Type": "application/json"},
                )
                _check(answer, what, case.operation.label, failures)

        try:
            call()
        except Unsatisfiable:
            continue
    assert len(operations) > 30  # every operation with a body, not a few
    assert not failures, f"{len(failures)} failures as {role}:\n" + "\n".join(failures[:40])


@pytest.mark.slow
@pytest.mark.parametrize("role", list(ROLES))
def test_a_date_time_without_an_offset_is_never_a_5xx(
    fuzz_app: Flask, signed_in: dict[str, dict[str, str]], role: str, naive_date_times: None
) -> None:
    failures: list[str] = []
    client = fuzz_app.test_client()
    operations = [
        operation
        for operation in _json_body_operations(fuzz_app)
        if "date-time" in json.dumps(operation.definition.raw.get("requestBody"))
        or "date-time" in json.dumps(operation.schema.raw_schema.get("components", {}))
    ]
    refused = 0
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
        @fuzz_settings(max(EXAMPLES, 5))
        def call(case: schemathesis.Case) -> None:
            nonlocal refused
            answer = client.open(
                case.formatted_path,
                method=case.method,
                query_string=case.query,
                json=case.body,
                headers=signed_in[role],
            )
            _check(answer, "naive date-time", case.operation.label, failures)
            if answer.status_code == 422 and "时区" in json.dumps(
                answer.get_json(), ensure_ascii=False
            ):
                refused += 1

        try:
            call()
        except Unsatisfiable:
            continue
    assert not failures, f"{len(failures)} failures as {role}:\n" + "\n".join(failures[:40])
    if role != "anonymous":
        assert refused > 0  # the naive date-times did reach a schema, and it said why
