"""Property tests: whatever bytes arrive, every importer reads questions or refuses the file
with a clear reason — it never crashes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.questions import aiken, gift, moodle_xml, tabular
from ingest.questions.common import FileRefused

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Text with the characters each format gives meaning to, so examples reach the parsers' depths.
MARKED = st.text(
    alphabet=st.sampled_from(list("{}=~#:%\\\n\t,;\"'<>/ABCD1.题型题干答案 ANSWER:TRUEFALSE")),
    max_size=400,
)
TEXT = st.one_of(MARKED, st.text(max_size=300)).map(lambda t: t.encode("utf-8"))
BYTES = st.one_of(st.binary(max_size=400), TEXT)


def consume(read: Callable[[bytes], Iterator[Any]], raw: bytes) -> None:
    try:
        for _ in read(raw):
            pass
    except FileRefused as refused:
        assert str(refused) and refused.status in (413, 415, 422)


@pytest.mark.parametrize(
    "read",
    [gift.read, aiken.read, moodle_xml.read, tabular.read_csv],
    ids=["gift", "aiken", "moodle_xml", "csv"],
)
@FUZZ
@given(raw=BYTES)
def test_text_importers_never_crash(read: Callable[[bytes], Iterator[Any]], raw: bytes) -> None:
    consume(read, raw)


@FUZZ
@given(
    raw=st.one_of(
        st.binary(max_size=400),
        st.binary(max_size=200).map(lambda b: b"PK\x03\x04" + b),  # looks like a zip
    )
)
def test_the_xlsx_importer_never_crashes(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "bank.xlsx"
    path.write_bytes(raw)
    consume(lambda _: tabular.read_xlsx(path, max_unzipped=10 * 1024 * 1024), raw)
