"""Moodle GIFT, shape by shape."""

from __future__ import annotations

from typing import Any

import pytest

from ingest.questions import gift
from ingest.questions.common import FileRefused


def read(text: str) -> list[Any]:
    return list(gift.read(text.encode("utf-8")))


def test_single_choice_with_title_comment_and_feedback() -> None:
    [q] = read(
        "// 电力安全\n"
        "::Q1 验电:: 停电检修时应首先？ {\n"
        "  ~验电 # 验电在断电之后\n"
        "  =断开电源 # 正确\n"
        "  ~挂接地线\n"
        "  ####先断电，再验电，后挂地线。\n"
        "}\n"
    )
    assert q.problems == []
    data = q.data
    assert data["type"] == "single_choice"
    assert data["stem"] == "停电检修时应首先？"
    assert data["source"] == "Q1 验电"
    assert [o["text"] for o in data["options"]] == ["验电", "断开电源", "挂接地线"]
    assert data["answer"] == {"correct": ["B"]}
    assert data["explanation"].startswith("先断电，再验电，后挂地线。")
    assert data["options"][0]["feedback"] == "验电在断电之后"  # per-answer feedback kept
    assert q.location.line == 2


def test_weights_make_a_multiple_choice() -> None:
    [q] = read("哪些是安全工器具？{~%50%绝缘手套 ~%50%验电器 ~%-100%扳手 ~%-100%锤子}")
    assert q.data["type"] == "multiple_choice"
    assert q.data["answer"] == {"correct": ["A", "B"]}


@pytest.mark.parametrize(
    ("block", "verdict"),
    [("T", True), ("TRUE", True), ("F", False), ("FALSE", False), ("TRUE#错了#对了", True)],
)
def test_true_false_forms(block: str, verdict: bool) -> None:
    [q] = read(f"停电作业必须先验电。{{{block}}}")
    assert q.data["type"] == "true_false"
    assert q.data["answer"] == {"correct": verdict}


def test_short_answer_and_missing_word() -> None:
    short, missing = read("我国交流电的频率是多少赫兹？{=50 =五十}\n\n我国工频为{=50}赫兹。")
    assert short.data["type"] == "fill_blank"
    assert short.data["answer"]["blanks"] == [{"accepted": ["50", "五十"], "tolerance": None}]
    assert missing.data["stem"] == "我国工频为____赫兹。"


def test_missing_word_with_choices() -> None:
    [q] = read("接地线应{~后 =先} 接接地端。")
    assert q.data["type"] == "single_choice"
    assert q.data["stem"] == "接地线应____ 接接地端。"


@pytest.mark.parametrize(
    ("block", "accepted", "tolerance"),
    [
        ("#3.14:0.01", "3.14", 0.01),
        ("#1..5", "3", 2.0),
        ("#42", "42", 0.0),
        ("#=2:0 =%50%2:1 ~答错了", "2", 0.0),
    ],
)
def test_numerical(block: str, accepted: str, tolerance: float) -> None:
    [q] = read(f"数值题 {{{block}}}")
    assert q.data["type"] == "fill_blank"
    assert q.data["answer"]["blanks"] == [{"accepted": [accepted], "tolerance": tolerance}]


def test_escapes_and_multiline_and_html() -> None:
    text = "[html]<p>公式 a\\=b \\{x\\} 与 \\~ 和 \\# 符号：</p>\n<p>第二段</p>{=对}"
    [q] = read(text)
    assert q.data["stem"] == "公式 a=b {x} 与 ~ 和 # 符号：\n第二段"


def test_markdown_text_is_kept() -> None:
    [q] = read("[markdown]**粗体** 题干 {T}")
    assert q.data["stem"] == "**粗体** 题干"


def test_categories_become_tags() -> None:
    first, second = read("$CATEGORY: $course$/top/电力/安全\n\n题一{T}\n\n题二{F}")
    assert first.data["tags"] == ["电力/安全"] and second.data["tags"] == ["电力/安全"]


def test_essay_is_a_manually_graded_short_answer() -> None:
    [q] = read("简述倒闸操作的步骤。{}")
    assert q.data["type"] == "short_answer"
    assert q.data["answer"]["manual"] is True


def test_unsupported_types_are_reported_not_dropped() -> None:
    matching, description, good = read(
        "匹配题 {=电压 -> 伏特 =电流 -> 安培}\n\n只是一段说明文字\n\n好题{T}"
    )
    assert "匹配题" in matching.problems[0].message
    assert matching.location.line == 1
    assert "说明" in description.problems[0].message
    assert description.location.line == 3
    assert good.problems == []


def test_unclosed_block_is_reported_with_its_line() -> None:
    good, bad = read("好题{T}\n\n\n坏题 {=a ~b")
    assert good.problems == []
    assert bad.location.line == 4
    assert "}" in bad.problems[0].message


def test_gbk_is_read_and_said_other_bytes_refused() -> None:
    note, question = read_bytes("题干{T}".encode("gb18030"))
    assert "GB18030" in note.problems[0].message
    assert question.data["stem"] == "题干"
    utf16_note, again = read_bytes("题干{T}".encode("utf-16"))  # with its BOM
    assert "UTF-16" in utf16_note.problems[0].message and again.data["stem"] == "题干"
    with pytest.raises(FileRefused, match="UTF-8"):
        list(gift.read(b"\xff\x80{T}"))


def read_bytes(raw: bytes) -> list[Any]:
    return list(gift.read(raw))


def test_written_gift_reads_back() -> None:
    questions = [
        {
            "type": "single_choice",
            "stem": "选哪个：a=b?",
            "options": [{"label": "A", "text": "甲~1"}, {"label": "B", "text": "乙#2"}],
            "answer": {"correct": ["B"]},
            "explanation": "因为{乙}",
            "source": "",
        },
        {
            "type": "fill_blank",
            "stem": "工频 ____ Hz",
            "options": [],
            "answer": {"blanks": [{"accepted": ["50"], "tolerance": None}], "ordered": True},
            "explanation": "",
            "source": "",
        },
    ]
    text, count = gift.write(questions)
    assert count == 2
    first, second = read(text)
    assert first.data["options"] == questions[0]["options"]
    assert first.data["explanation"] == "因为{乙}"
    assert second.data["stem"] == "工频 ____ Hz"


# --- Moodle's own semantics, rule by rule (issue 17): never a wrong key in silence ----------


def _warnings(question: Any) -> list[str]:
    return [p.message for p in question.problems if p.severity == "warning"]


def test_a_full_credit_answer_beside_a_partial_one_is_the_right_one() -> None:
    """{~wrong ~%50%half credit =full credit} was stored as a multiple choice whose only right
    option was the 50 % one: the full-credit answer marked wrong."""
    [q] = read("Jesus Christ was from {~Jerusalem ~%25%Bethlehem ~%50%Galilee =Nazareth}")
    assert q.data["type"] == "single_choice"
    assert q.data["answer"] == {"correct": ["D"]}
    [warning] = _warnings(q)
    assert "B（25%）" in warning and "C（50%）" in warning  # partial credit said, not dropped


def test_several_full_credit_answers_are_refused_not_required_together() -> None:
    """{=spring =summer =winter =autumn ~easter} (any = earns full marks in Moodle) was stored
    as a multiple choice requiring all four."""
    [q] = read("Name a season {=spring =summer =winter =autumn ~easter}")
    assert q.data == {}
    assert any("任选其一" in p.message for p in q.problems if p.severity == "error")


def test_multiple_answers_by_weights_warn_when_the_weights_differ() -> None:
    [even] = read("Two right {~%50%A1 ~%50%B1 ~%-100%C1}")
    assert even.data["answer"] == {"correct": ["A", "B"]} and _warnings(even) == []
    [uneven] = read("Uneven {~%70%A1 ~%30%B1 ~%-100%C1}")
    assert uneven.data["answer"] == {"correct": ["A", "B"]}
    assert "70%" in _warnings(uneven)[0]


def test_format_markers_are_not_text() -> None:
    """[html], [plain], [markdown], [moodle] were stored as part of the options and stem."""
    [q] = read("[markdown]Which **one**? {=[plain]right ~[html]<b>wrong</b>}")
    assert "[markdown]" not in q.data["stem"]
    assert q.data["options"][0]["text"] == "right"
    assert all("[" not in o["text"] for o in q.data["options"])


def test_numerical_answers_with_a_wrong_answer_branch_and_partial_credit() -> None:
    """{#3:2~#Completely wrong} was refused."""
    [branch] = read("A number from 1 to 5? {#3:2~#Completely wrong}")
    assert branch.problems == []
    assert branch.data["answer"]["blanks"] == [{"accepted": ["3"], "tolerance": 2.0}]
    [partial] = read("Grant was born in? {#=1822:0 #Correct =%50%1822:2 #Close}")
    assert partial.data["answer"]["blanks"] == [{"accepted": ["1822"], "tolerance": 0.0}]
    assert "50%" in _warnings(partial)[0]


def test_a_short_answer_written_without_its_equals_sign() -> None:
    """{One} was refused."""
    [q] = read("How many? {One}")
    assert q.data["type"] == "fill_blank"
    assert q.data["answer"]["blanks"] == [{"accepted": ["One"], "tolerance": None}]


def test_short_answers_with_partial_credit_keep_the_full_ones_and_say_so() -> None:
    [q] = read("Who is from Nazareth? {=Nazareth =%75%Nazereth =%25%Bethlehem}")
    assert q.data["answer"]["blanks"] == [{"accepted": ["Nazareth"], "tolerance": None}]
    assert "Nazereth（75%）" in _warnings(q)[0]


def test_true_false_feedback_is_kept_wrong_first_then_right() -> None:
    """True/false feedback was dropped in silence (Moodle: the first after # is what a wrong
    answer is told, the second what a right one is)."""
    [q] = read("The sun rises in the east. {T#No, think of morning.#Yes.}")
    assert q.data["answer"] == {"correct": True}
    assert "答错时：No, think of morning." in q.data["explanation"]
    assert "答对时：Yes." in q.data["explanation"]


def test_per_answer_feedback_is_kept_on_its_option_and_written_back() -> None:
    """Per-answer feedback was folded into the explanation (or dropped): it belongs to the
    option, shown to who chose it when keys are shown, and GIFT export writes it again."""
    [q] = read("停电检修时应首先？{~验电#验电在断电之后 =断开电源#正确 ~挂接地线}")
    assert q.data["options"][0] == {"label": "A", "text": "验电", "feedback": "验电在断电之后"}
    assert "feedback" not in q.data["options"][2]
    assert "验电在断电之后" not in q.data["explanation"]
    text, written = gift.write([{**q.data, "id": 1, "difficulty": 3, "knowledge_points": []}])
    assert written == 1 and "#验电在断电之后" in text
    [again] = read(text)
    assert again.data["options"] == q.data["options"]


def test_tags_and_ids_in_comments_belong_to_the_next_question() -> None:
    """[tag:…] and [id:…] comments were dropped in silence."""
    first, second = read(
        "// [id:Q-17] [tag:安全] [tag:停电]\n停电作业必须先验电。{T}\n\n"
        "// 普通注释\n接地线可以缠绕。{F}"
    )
    assert first.data["tags"] == ["安全", "停电"] and first.data["source"] == "Q-17"
    assert second.data["tags"] == [] and second.data["source"] == ""
