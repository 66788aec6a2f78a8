"""Request bodies, one rule for all: strict JSON (no NaN, no lone surrogates, no deep
nesting) and date-times with an offset, in every schema that reads one."""

from __future__ import annotations

import marshmallow as ma
from flask import Flask

from catalog.json_bodies import MAX_DEPTH, BodyRefused, strict_loads


def _schemas(base: type[ma.Schema]) -> list[type[ma.Schema]]:
    found, stack = [], [base]
    while stack:
        for sub in stack.pop().__subclasses__():
            found.append(sub)
            stack.append(sub)
    return found


def test_every_date_time_a_client_sends_has_an_offset(app: Flask) -> None:
    """A date-time without an offset gave 500s (device times, quiz windows): every schema of
    ours reads date-times as aware, so a naive one is a 422 naming its field."""
    naive = []
    for schema in _schemas(ma.Schema):
        if not schema.__module__.startswith("catalog."):
            continue
        for name, field in schema._declared_fields.items():
            loads_naive = not isinstance(field, ma.fields.AwareDateTime)
            if isinstance(field, ma.fields.DateTime) and not field.dump_only and loads_naive:
                naive.append(f"{schema.__module__}.{schema.__name__}.{name}")
    assert naive == []
    assert len(_schemas(ma.Schema)) > 50  # the app's schemas were all imported


def test_strict_json() -> None:
    assert strict_loads('{"a": [1, "二", {"b": null}]}') == {"a": [1, "二", {"b": None}]}
    assert strict_loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    for body in (
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
        '{"x": -Infinity}',
        '["\\udfff"]',
        '{"\\ud800": 1}',
        "[1,",
    ):
        try:
            strict_loads(body)
        except BodyRefused as refusal:
            assert "/ " in str(refusal).replace("）/", "）/ ")  # Chinese / English
        else:
            raise AssertionError(f"accepted {body[:40]!r}")
