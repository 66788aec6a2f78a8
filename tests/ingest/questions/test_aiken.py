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


def test_missing_answer_line_is_reported_where_the_next_question_begins() -> None:
    text = "题一\nA. 甲\nB. 乙\n\n题二\nA. 甲\nB. 乙\nANSWER: A\n"
    broken, good = aiken.read(text.encode())
    assert "not completed before next question start on line 5" in broken.problems[0].message
    assert broken.location.line == 5  # where Moodle reports it
    assert good.problems == []
    assert good.location.line == 5


def _messages(text: str) -> list[tuple[int | None, str]]:
    return [(c.location.line, p.message) for c in aiken.read(text.encode()) for p in c.problems]


def test_errors_are_reported_at_the_lines_moodle_reports_them() -> None:
    """The cases of Moodle's own Aiken error fixture, written afresh: each error at its line."""
    text = (
        "只有一个选项的题\n"  # 1
        "A) 唯一选项\n"  # 2
        "ANSWER: A\n"  # 3: too few answers
        "\n"
        "A) 没有题干的选项\n"  # 5: not started
        "\n"
        "ANSWER: 没有题干\n"  # 7: not started
        "\n"
        "好题一\n"  # 9
        "A) 对\n"
        "B) 错\n"
        "ANSWER: A\n"
        "\n"
        "开了头没收尾的题\n"  # 14
        "A) 差不多对\n"
        "B) 差不多错\n"
        "\n"
        "好题二\n"  # 18: the open question is reported here
        "A)错（无空格）\n"
        "B)对（无空格）\n"
        "ANSWER: B"
    )
    candidates = list(aiken.read(text.encode()))
    problems = _messages(text)
    assert [line for line, _ in problems] == [3, 5, 7, 18]
    assert "at least 2 answers on line 3" in problems[0][1]
    assert "Question not started on line 5" in problems[1][1]
    assert "Question not started on line 7" in problems[2][1]
    assert "第 14 行开始的题目" in problems[3][1]
    good = [c.data for c in candidates if not c.problems]
    assert [(q["stem"], q["answer"]["correct"]) for q in good] == [
        ("好题一", ["A"]),
        ("好题二", ["B"]),
    ]
    assert [o["text"] for o in good[1]["options"]] == ["错（无空格）", "对（无空格）"]


def test_a_question_left_open_at_the_end_is_said_not_dropped() -> None:
    """Moodle drops it without a word; an editor is told which question never got its key."""
    [ok, open_one] = aiken.read("题一\nA. 甲\nB. 乙\nANSWER: B\n题二\nA. 甲\nB. 乙\n".encode())
    assert ok.problems == [] and ok.data["answer"] == {"correct": ["B"]}
    assert open_one.location.line == 5
    assert "ANSWER" in open_one.problems[0].message


@pytest.mark.parametrize("key", ["AB", "E", "甲", ""])
def test_an_answer_that_is_not_one_of_the_options_is_refused_at_its_line(key: str) -> None:
    """Moodle keeps the first character of ``ANSWER: AB``; a two-letter key means something
    this single-choice format cannot hold, and a letter without an option has no meaning."""
    [candidate] = aiken.read(f"题\nA. 甲\nB. 乙\nC. 丙\nANSWER: {key}\n".encode())
    assert candidate.location.line == 5
    assert "ANSWER" in candidate.problems[0].message
    assert candidate.data == {}


def test_a_key_with_trailing_punctuation_and_line_ends_of_any_system() -> None:
    [q] = aiken.read("题\r\nA. 甲\r\nB. 乙\r\nANSWER: B.\r\n".encode())
    assert q.problems == [] and q.data["answer"] == {"correct": ["B"]}
    [q] = aiken.read("题\rA. 甲\rB. 乙\rANSWER：b\r".encode())  # classic Mac, full-width colon
    assert q.problems == [] and q.data["answer"] == {"correct": ["B"]}


def test_gbk_is_read_and_said_and_bytes_of_no_encoding_or_nothing_refused() -> None:
    """Chinese Notepad's "ANSI" is GBK: refused before (the attack on issue 17 called it safe
    but unhelpful); now read, and the report says which encoding it was read in."""
    note, question = aiken.read("题目\nA. 甲\nB. 乙\nANSWER: A".encode("gbk"))
    assert "GB18030" in note.problems[0].message and note.problems[0].severity == "warning"
    assert question.data["options"][0]["text"] == "甲"
    with pytest.raises(FileRefused, match="UTF-8"):
        list(aiken.read(b"\xff\xff\x80 ANSWER: A"))
    with pytest.raises(FileRefused):
        list(aiken.read(b"   \n"))
