"""Every pattern a request is checked against matches the whole text: with `re.match` and
`$`, a final newline slipped through (a statement id of 65 characters, a username with a
line break)."""

from __future__ import annotations

import importlib
import pkgutil

import marshmallow as ma
import pytest
from marshmallow import validate

import catalog
from catalog.fields import Pattern

SCHEMA_MODULES = [
    name
    for _, name, _ in pkgutil.walk_packages(catalog.__path__, "catalog.")
    if name.endswith("schemas")
]


def patterns() -> list[tuple[str, validate.Regexp]]:
    found = []
    for module_name in SCHEMA_MODULES:
        module = importlib.import_module(module_name)
        for schema in vars(module).values():
            if isinstance(schema, type) and issubclass(schema, ma.Schema):
                for name, field in schema._declared_fields.items():
                    inner = getattr(field, "inner", None)
                    for each in (field, inner) if inner is not None else (field,):
                        found += [
                            (f"{module_name}.{schema.__name__}.{name}", v)
                            for v in each.validators
                            if isinstance(v, validate.Regexp)
                        ]
    return found


def test_there_are_patterns_to_check() -> None:
    assert len(patterns()) >= 8


@pytest.mark.parametrize("where, pattern", patterns(), ids=lambda p: getattr(p, "__name__", None))
def test_no_pattern_lets_a_final_newline_through(where: str, pattern: validate.Regexp) -> None:
    assert isinstance(pattern, Pattern), where
    allowed = next(text for text in SAMPLES if pattern.regex.match(text))
    pattern(allowed)
    with pytest.raises(ma.ValidationError):
        pattern(allowed + "\n")


# one text each pattern lets through, to try again with a final newline
SAMPLES = [
    "abc-12",
    "ABC-1234.x",
    "6-31-01-03",
    "image/png",
    "a" * 64,
    "0123456789abcdef" * 4,
    "device-statement-0001",
    "user.name@x",
    "倒闸操作",
]
