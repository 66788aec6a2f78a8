"""Request bodies, one rule for all: strict JSON (no NaN, no lone surrogates, no deep
nesting) and date-times with an offset, in every schema that reads one."""

from __future__ import annotations

import marshmallow as ma
from flask import Flask

from catalog.fields import AwareDateTime
from catalog.json_bodies import MAX_DEPTH, BodyRefused, strict_loads


def _schemas(base: type[ma.Schema]) -> list[type[ma.Schema]]:
    found, stack = [], [base]
    while stack:
        for sub in stack.pop().__subclasses__():
            found.append(sub)
            stack.append(sub)
    return found


def test_every_date_time_a_client_sends_has_an_offset(app: Flask) -> None:
    """A date-time without an offset gave 500s (device times, quiz windows), and so did one
    whose offset carried it past year 1 or 9999: every schema of ours reads date-times with
    the one field that refuses both, so each is a 422 naming its field."""
    naive = []
    for schema in _schemas(ma.Schema):
        if not schema.__module__.startswith("catalog."):
            continue
        for name, field in schema._declared_fields.items():
            loads_naive = not isinstance(field, AwareDateTime)
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
        '{"x": 1e999}',  # Infinity by another name (stored and sent back as Infinity)
        "[-1e400]",
        '{"username": ' + "9" * 5000 + "}",  # past Python's 4,300 digits: a 500 before
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


def test_a_date_time_past_the_calendar_is_a_422_naming_its_field() -> None:
    class Window(ma.Schema):
        opens_at = AwareDateTime(required=True)

    for text in ("0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59"):
        try:
            Window().load({"opens_at": text})
        except ma.ValidationError as refused:
            assert "超出范围" in refused.messages["opens_at"][0]
        else:
            raise AssertionError(f"accepted {text}")
    assert Window().load({"opens_at": "2026-12-05T08:00:00+08:00"})["opens_at"].hour == 8
