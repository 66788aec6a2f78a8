"""Round trips through every export (issue 17): what a format can hold comes back the same —
type, options, key, option feedback where the format has it — and what it cannot hold is
refused with the reason, never written changed."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest

from ingest.questions import aiken, gift, moodle_xml, tabular

QUESTIONS: list[dict[str, Any]] = [
    {
        "type": "single_choice",
        "stem": "挂接地线前必须？",
        "options": [
            {"label": "A", "text": "验电", "feedback": "先验电，后挂地线"},
            {"label": "B", "text": "通知调度"},
            {"label": "C", "text": "穿绝缘靴"},
        ],
        "answer": {"correct": ["A"]},
    },
    {
        "type": "multiple_choice",
        "stem": "哪些是安全工器具？",
        "options": [
            {"label": "A", "text": "绝缘手套"},
            {"label": "B", "text": "验电器"},
            {"label": "C", "text": "扳手"},
        ],
        "answer": {"correct": ["A", "B"]},
    },
    {
        "type": "true_false",
        "stem": "停电作业必须先验电。",
        "options": [],
        "answer": {"correct": True},
    },
    {
        "type": "fill_blank",
        "stem": "我国工频为____赫兹。",
        "options": [],
        "answer": {"blanks": [{"accepted": ["50"], "tolerance": 0.5}], "ordered": True},
    },
    {
        "type": "fill_blank",
        "stem": "电气设备分为____和____。",
        "options": [],
        "answer": {
            "blanks": [
                {"accepted": ["高压"], "tolerance": None},
                {"accepted": ["低压"], "tolerance": None},
            ],
            "ordered": True,
        },
    },
    {
        "type": "short_answer",
        "stem": "简述验电的步骤。",
        "options": [],
        "answer": {
            "keywords": [{"word": "验电器", "weight": 2}, {"word": "接地", "weight": 1}],
            "reference": "先检查验电器，再逐相验电",
            "manual": False,
        },
    },
    {
        "type": "single_choice",
        "stem": "**接地线**的装设顺序是？\n\n1. 先接接地端\n2. 后接导体端",
        "text_format": "markdown",
        "options": [
            {"label": "A", "text": "`先接地端`", "feedback": "见 *安规* 第 4 条"},
            {"label": "B", "text": "先导体端"},
        ],
        "answer": {"correct": ["A"]},
    },
]
for question in QUESTIONS:
    question.update(explanation="", source="", difficulty=3, knowledge_points=[], tags=[])
    question.setdefault("text_format", "plain")


def _xlsx(questions: list[dict[str, Any]]) -> list[Any]:
    out = io.BytesIO()
    tabular.write_xlsx(questions, out)
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bank.xlsx"
        path.write_bytes(out.getvalue())
        return list(tabular.read_xlsx(path, max_unzipped=50 * 1024 * 1024))


def _csv(questions: list[dict[str, Any]]) -> list[Any]:
    out = io.BytesIO()
    tabular.write_csv(questions, out)
    return list(tabular.read_csv(out.getvalue()))


def _text(write: Callable[..., Any], read: Callable[[bytes], Any]) -> Callable[..., list[Any]]:
    def trip(questions: list[dict[str, Any]]) -> list[Any]:
        written, _count = write(questions)
        raw = written if isinstance(written, bytes) else written.encode("utf-8")
        return list(read(raw))

    return trip


FORMATS = {
    "gift": (gift.expressible, _text(gift.write, gift.read), True),
    "moodle_xml": (moodle_xml.expressible, _text(moodle_xml.write, moodle_xml.read), True),
    "aiken": (aiken.expressible, _text(aiken.write, aiken.read), False),
    "xlsx": (lambda q: None, _xlsx, True),
    "csv": (lambda q: None, _csv, True),
}


@pytest.mark.parametrize("name", list(FORMATS))
def test_what_a_format_holds_comes_back_the_same(name: str) -> None:
    expressible, trip, holds_feedback = FORMATS[name]
    held = [q for q in QUESTIONS if expressible(q) is None]
    refused = [q for q in QUESTIONS if expressible(q) is not None]
    for question in refused:
        reason = expressible(question)
        assert reason and " / " in reason  # said, in Chinese and English
    back = trip(held)
    assert len(back) == len(held)
    for original, read in zip(held, back, strict=True):
        errors = [p.message for p in read.problems if p.severity == "error"]
        assert errors == [], (name, original["stem"], errors)
        data = read.data
        assert data["type"] == original["type"], (name, original["stem"])
        assert data["answer"] == original["answer"] or _same_key(data, original), (
            name,
            original["stem"],
            data["answer"],
        )
        assert data.get("text_format", "plain") == original["text_format"], name
        if original["text_format"] == "markdown":  # markdown kept as written, line by line
            assert data["stem"] == original["stem"], name
        if original["options"]:
            assert [o["text"] for o in data["options"]] == [o["text"] for o in original["options"]]
            feedback = [o.get("feedback") for o in data["options"]]
            wanted = [o.get("feedback") for o in original["options"]]
            assert feedback == wanted if holds_feedback else all(f is None for f in feedback)


def _same_key(read: dict[str, Any], original: dict[str, Any]) -> bool:
    """Keys equal in what grading uses (a short answer's manual flag, ordering defaults)."""
    a, b = read["answer"], original["answer"]
    if "keywords" in b:
        return a.get("keywords") == b["keywords"] and a.get("reference") == b["reference"]
    if "blanks" in b:
        return a["blanks"] == b["blanks"]
    return False


def test_aiken_and_the_one_blank_formats_say_what_they_cannot_hold() -> None:
    assert aiken.expressible(QUESTIONS[1]) is not None  # multiple choice
    assert gift.expressible(QUESTIONS[4]) is not None  # two blanks
    assert moodle_xml.expressible(QUESTIONS[5]) is not None  # scoring keywords
    assert aiken.expressible(QUESTIONS[6]) is not None  # markdown: Aiken cannot say so
