"""Aiken single-choice files."""

from __future__ import annotations

import pytest

from ingest.questions import aiken
from ingest.questions.common import FileRefused


def test_reads_questions_with_both_option_styles() -> None:
    text = (
        "停电检修时应首先？\nA. 验电\nB. 断开电源\nC) 挂接地线\nANSWER: B\n\n"
        "燃气泄漏时应？\nA、打开窗户\nB、开灯检查\nANSWER: A\n"
    )
    first, second = aiken.read(text.encode())
    assert first.data == {
        "type": "single_choice",
        "stem": "停电检修时应首先？",
        "options": [
            {"label": "A", "text": "验电"},
            {"label": "B", "text": "断开电源"},
            {"label": "C", "text": "挂接地线"},
        ],
        "answer": {"correct": ["B"]},
    }
    assert second.location.line == 7


def test_missing_answer_line_is_reported_with_its_line() -> None:
    text = "题一\nA. 甲\nB. 乙\n\n题二\nA. 甲\nB. 乙\nANSWER: A\n"
    broken, good = aiken.read(text.encode())
    assert "ANSWER" in broken.problems[0].message
    assert broken.location.line == 1
    assert good.problems == []
    assert good.location.line == 5


def test_not_utf8_or_empty_is_refused() -> None:
    with pytest.raises(FileRefused, match="UTF-8"):
        list(aiken.read("题\nA. 甲\nANSWER: A".encode("gbk")))
    with pytest.raises(FileRefused):
        list(aiken.read(b"   \n"))
