"""Moodle's GIFT format documentation, rule by rule: each rule the documentation states, written
as a question of our own, and the meaning the bank stores for it (or the reason it refuses).

A rule the bank cannot hold is refused by name or imported with a warning saying what was lost;
none is stored with a different meaning in silence.
"""

from __future__ import annotations

from typing import Any

import pytest

from ingest.questions import gift


def one(text: str) -> Any:
    [question] = gift.read(text.encode("utf-8"))
    return question


def errors(question: Any) -> list[str]:
    return [p.message for p in question.problems if p.severity == "error"]


def warnings(question: Any) -> list[str]:
    return [p.message for p in question.problems if p.severity == "warning"]


def key(question: Any) -> tuple[str, Any]:
    assert errors(question) == [], errors(question)
    return question.data["type"], question.data["answer"]


FILL = "fill_blank"


# Each rule: (the documentation's rule, a GIFT question, the stored type and answer key).
RULES: list[tuple[str, str, tuple[str, Any]]] = [
    (
        "multiple choice: = marks the right answer, ~ the wrong ones",
        "谁负责签发工作票？{=工作票签发人 ~工作负责人 ~值班员}",
        ("single_choice", {"correct": ["A"]}),
    ),
    (
        "multiple choice written one answer per line",
        "谁负责签发工作票？{\n  ~工作负责人\n  =工作票签发人\n  ~值班员\n}",
        ("single_choice", {"correct": ["B"]}),
    ),
    (
        "missing word: the answers stand where the blank is",
        "装设接地线应先接{=接地端 ~导体端}，后接导体端。",
        ("single_choice", {"correct": ["A"]}),
    ),
    ("true-false: T", "变压器油起绝缘和冷却作用。{T}", ("true_false", {"correct": True})),
    ("true-false: TRUE", "变压器油起绝缘和冷却作用。{TRUE}", ("true_false", {"correct": True})),
    ("true-false: F", "可以带负荷拉隔离开关。{F}", ("true_false", {"correct": False})),
    ("true-false: FALSE", "可以带负荷拉隔离开关。{FALSE}", ("true_false", {"correct": False})),
    (
        "short answer: every = answer is accepted",
        "我国工频是多少赫兹？{=50 =五十 =50Hz}",
        (
            FILL,
            {"blanks": [{"accepted": ["50", "五十", "50Hz"], "tolerance": None}], "ordered": True},
        ),
    ),
    (
        "short answer inside the sentence",
        "我国工频为{=50}赫兹。",
        (FILL, {"blanks": [{"accepted": ["50"], "tolerance": None}], "ordered": True}),
    ),
    (
        "numerical: {#n}",
        "额定电压 220 V 的 √3 倍约为多少伏？{#381}",
        (FILL, {"blanks": [{"accepted": ["381"], "tolerance": 0.0}], "ordered": True}),
    ),
    (
        "numerical with a margin of error: {#n:t}",
        "π 取三位小数是多少？{#3.14159:0.0005}",
        (FILL, {"blanks": [{"accepted": ["3.14159"], "tolerance": 0.0005}], "ordered": True}),
    ),
    (
        "numerical as a range: {#a..b}",
        "π 取三位小数是多少？{#3.141..3.142}",
        (FILL, {"blanks": [{"accepted": ["3.1415"], "tolerance": 0.0005}], "ordered": True}),
    ),
    (
        "numerical with several weighted answers: the full-credit one is the key",
        "设备投运年份？{#\n =1999:0\n =%50%1999:2\n}",
        (FILL, {"blanks": [{"accepted": ["1999"], "tolerance": 0.0}], "ordered": True}),
    ),
    (
        "essay: empty braces",
        "简述倒闸操作的基本步骤。{}",
        ("short_answer", {"manual": True, "keywords": [], "reference": ""}),
    ),
    (
        "percentage weights: full credit beside partial credit",
        "停电检修首先应？{~挂接地线 ~%50%验电 =断开电源}",
        ("single_choice", {"correct": ["C"]}),
    ),
    (
        "multiple answers: ~ with positive weights are the right ones",
        "哪两项是安全工器具？{~%50%绝缘手套 ~%50%验电器 ~%-100%扳手 ~%-100%锤子}",
        ("multiple_choice", {"correct": ["A", "B"]}),
    ),
    (
        "question name between ::",
        "::工作票::谁签发工作票？{=签发人 ~负责人}",
        ("single_choice", {"correct": ["A"]}),
    ),
    (
        "comments: // lines are not part of the question",
        "// 第一章\n// 出题人：张工\n谁签发工作票？{=签发人 ~负责人}",
        ("single_choice", {"correct": ["A"]}),
    ),
    (
        "escapes: \\= \\~ \\# \\{ \\} \\: are text",
        "式中 a\\=b、\\{x\\} 与 \\~ \\# \\: 为何？{=符号 ~变量}",
        ("single_choice", {"correct": ["A"]}),
    ),
]


@pytest.mark.parametrize(("rule", "text", "expected"), RULES, ids=[r[0] for r in RULES])
def test_each_rule_of_the_documentation(rule: str, text: str, expected: tuple[str, Any]) -> None:
    assert key(one(text)) == expected, rule


def test_missing_word_keeps_the_blank_where_the_answers_were() -> None:
    question = one("装设接地线应先接{=接地端 ~导体端}，后接导体端。")
    assert question.data["stem"] == "装设接地线应先接____，后接导体端。"


def test_question_name_is_kept_as_the_source() -> None:
    assert one("::工作票::谁签发？{=签发人 ~负责人}").data["source"] == "工作票"


def test_feedback_on_each_answer_is_kept_with_its_option() -> None:
    question = one("谁签发工作票？{=签发人#正确 ~负责人#负责人不签发}")
    assert [o.get("feedback") for o in question.data["options"]] == ["正确", "负责人不签发"]


def test_general_feedback_after_four_hashes() -> None:
    question = one("谁签发工作票？{=签发人 ~负责人 ####见《安规》第 6 章}")
    assert question.data["explanation"] == "见《安规》第 6 章"


def test_true_false_feedback_wrong_answer_first_then_right() -> None:
    question = one("可以带负荷拉隔离开关。{FALSE#会产生电弧#正确，严禁带负荷拉闸}")
    assert question.data["explanation"] == "答错时：会产生电弧\n答对时：正确，严禁带负荷拉闸"


def test_escaped_newline_is_a_line_break() -> None:
    assert one("第一行\\n第二行{T}").data["stem"] == "第一行\n第二行"


def test_a_backslash_before_an_ordinary_character_is_a_backslash() -> None:
    """Moodle escapes only ~ = # { } : and n; ``= \\   # feedback`` is the answer "\\" (the
    public GIFT parser's 'escape all' case, refused before as an empty answer)."""
    question = one(
        "哪个不是 GIFT 控制字符？{\n  ~ \\~ # 是控制字符\n  ~ \\= # 是控制字符\n"
        "  = \\      # 对！反斜杠只用来转义\n}"
    )
    assert errors(question) == []
    assert [o["text"] for o in question.data["options"]] == ["~", "=", "\\"]
    assert question.data["answer"] == {"correct": ["C"]}
    assert question.data["options"][2]["feedback"] == "对！反斜杠只用来转义"


def test_a_doubled_backslash_is_one_backslash() -> None:
    assert one("路径 A \\\\ B {}").data["stem"] == "路径 A \\ B"


def test_categories_tag_the_questions_that_follow_with_the_whole_path() -> None:
    first, second = gift.read("$CATEGORY: $course$/电力/安规\n\n题一{T}\n\n题二{F}".encode())
    assert first.data["tags"] == second.data["tags"] == ["电力/安规"]


def test_tags_and_id_in_comments() -> None:
    question = one("// [id:DL-001] [tag:安规] [tag:停电]\n谁签发工作票？{=签发人 ~负责人}")
    assert question.data["source"] == "DL-001"
    assert question.data["tags"] == ["安规", "停电"]


@pytest.mark.parametrize("marker", ["[html]", "[moodle]", "[plain]", "[markdown]"])
def test_format_markers_are_read_not_stored_as_text(marker: str) -> None:
    question = one(f"{marker}谁签发工作票？{{={marker}签发人 ~负责人#{marker}不对}}")
    assert marker not in question.data["stem"]
    assert question.data["options"][0]["text"] == "签发人"
    assert question.data["text_format"] == ("markdown" if marker == "[markdown]" else "plain")


def test_html_is_read_as_text_keeping_pre_indentation() -> None:
    question = one(
        "[html]<p>下列 PLC 程序 <b>输出</b>什么？</p>"
        "<pre>\nIF X0 THEN\n    Y0 := 1;\nEND_IF</pre>{T}"
    )
    assert question.data["stem"] == "下列 PLC 程序 输出什么？\nIF X0 THEN\n    Y0 := 1;\nEND_IF"


def test_markdown_is_kept_as_written_and_written_back_with_its_marker() -> None:
    # a blank line ends a GIFT question: a paragraph break inside one is written \n\n
    question = one("[markdown]**接地线**的装设顺序？\\n\\n1. 先接地端{T}")
    assert question.data["stem"] == "**接地线**的装设顺序？\n\n1. 先接地端"
    text, _ = gift.write([{**question.data, "options": []}])
    assert "[markdown]**接地线**" in text
    [again] = gift.read(text.encode())
    assert again.data["text_format"] == "markdown"
    assert again.data["stem"] == question.data["stem"]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("电压与单位配对 {=电压 -> 伏特 =电流 -> 安培 =电阻 -> 欧姆}", "匹配题"),
        ("下面几题可以使用计算器。", "说明"),
    ],
)
def test_types_the_bank_cannot_hold_are_refused_by_name(text: str, named: str) -> None:
    question = one(text)
    assert question.data == {}
    assert any(named in message for message in errors(question))


def test_several_full_credit_answers_are_refused_with_why() -> None:
    question = one("说出一个季节 {=春 =夏 =秋 =冬 ~端午}")
    assert question.data == {}
    assert any("任选其一" in message for message in errors(question))


@pytest.mark.parametrize(
    "text",
    [
        "设备投运年份？{#=1999:0 =%50%1999:2}",  # numerical partial credit
        "我国工频？{=50 =%50%60}",  # short answer partial credit
        "停电检修首先应？{~挂接地线 ~%50%验电 =断开电源}",  # choice partial credit
    ],
)
def test_partial_credit_the_bank_cannot_hold_is_said(text: str) -> None:
    question = one(text)
    assert errors(question) == []
    assert any("50%" in message for message in warnings(question))


def test_questions_are_separated_by_blank_lines() -> None:
    questions = list(gift.read("题一{T}\n\n\n题二{F}\n\n题三{=甲 ~乙}".encode()))
    assert [q.data["type"] for q in questions] == ["true_false", "true_false", "single_choice"]
    assert [q.location.line for q in questions] == [1, 4, 6]


@pytest.mark.parametrize("answer", ["#nan", "#inf", "#1:nan", "#1e999", "#NaN..3", "#1..x"])
def test_numbers_that_are_not_numbers_are_refused(answer: str) -> None:
    question = one(f"读数是多少？{{{answer}}}")
    assert question.data == {}
    assert errors(question)


# --- what an attacker of issue 17 found (each was stored changed, or lost, without a word) ---


def test_format_markers_in_feedback_are_read_not_kept() -> None:
    question = one(
        "选哪个？{=[html]<b>对</b>#[html]<i>很好</i> ~错#[plain]再想想 ####[html]<p>总评</p>}"
    )
    assert question.data["options"][0] == {"label": "A", "text": "对", "feedback": "很好"}
    assert question.data["options"][1]["feedback"] == "再想想"
    assert question.data["explanation"] == "总评"
    tf = one("可以带电作业吗？{F#[plain]错了#[moodle]对了}")
    assert tf.data["explanation"] == "答错时：错了\n答对时：对了"


def test_html_superscripts_do_not_make_two_options_the_same() -> None:
    """x<sup>2</sup> and x2 were both stored as "x2"."""
    question = one("[html]面积单位？{=m<sup>2</sup> ~m2 ~H<sub>2</sub>O}")
    assert [o["text"] for o in question.data["options"]] == ["m²", "m2", "H₂O"]
    unmarked = one("面积单位？{=m<sup>2</sup> ~m3}")  # Moodle's default format allows HTML
    assert unmarked.data["options"][0]["text"] == "m²"


def test_a_missing_blank_line_between_questions_is_refused_not_merged() -> None:
    """::E1:: first {T} / ::E2:: second {F} became one question whose stem held the second."""
    question = one("::E1:: 第一题 {T}\n::E2:: 第二题 {F}")
    assert question.data == {}
    assert any("空行" in message for message in errors(question))


def test_full_width_answer_marks_are_refused() -> None:
    question = one("选哪个？{＝对 ～错}")
    assert question.data == {}
    assert any("全角" in message for message in errors(question))


@pytest.mark.parametrize("text", ["选哪个？{~%120%甲 ~乙}", "选哪个？{=甲 ~%-150%乙}"])
def test_weights_outside_moodles_range_are_refused(text: str) -> None:
    question = one(text)
    assert question.data == {}
    assert any("-100%–100%" in message for message in errors(question))


def test_multiple_answers_whose_weights_do_not_add_up_are_refused_as_moodle_does() -> None:
    question = one("哪些对？{~%50%甲 ~%30%乙 ~%-100%丙}")
    assert question.data == {}
    assert any("do not add up to 100%" in message for message in errors(question))


def test_multiple_answers_with_free_wrong_options_are_warned() -> None:
    """In Moodle a wrong option weighted 0 costs nothing when chosen; here it is wrong."""
    question = one("哪些对？{~%50%甲 ~%50%乙 ~丙}")
    assert key(question) == ("multiple_choice", {"correct": ["A", "B"]})
    assert any("丙" not in m and "C" in m for m in warnings(question))


def test_full_credit_by_weight_without_equals_is_warned_as_moodles_multiple_answer() -> None:
    question = one("选哪个？{~%100%甲 ~乙 ~丙}")
    assert key(question) == ("single_choice", {"correct": ["A"]})
    assert any("多选" in message for message in warnings(question))


@pytest.mark.parametrize("written", ["true", "True", "f"])
def test_lower_case_true_false_is_read_as_true_false_with_a_warning(written: str) -> None:
    question = one(f"变压器油可以绝缘。{{{written}}}")
    assert question.data["type"] == "true_false"
    assert any("Moodle" in message for message in warnings(question))


def test_numerical_wrong_answer_feedback_is_kept() -> None:
    question = one("额定频率？{#50:0 ~#差太远了}")
    assert errors(question) == []
    assert question.data["explanation"] == "答错时：差太远了"


def test_an_id_beside_a_title_is_said_not_dropped() -> None:
    question = one("// [id:TX-001]\n::标题::题干？{T}")
    assert question.data["source"] == "标题"
    assert any("TX-001" in message for message in warnings(question))


def test_plain_text_that_looks_like_html_is_written_plain() -> None:
    """A stem about the <br> tag, exported unmarked, reads as a line break in Moodle."""
    text, _ = gift.write(
        [
            {
                "type": "single_choice",
                "stem": "换行标签是？",
                "options": [{"label": "A", "text": "<br>"}, {"label": "B", "text": "<hr>"}],
                "answer": {"correct": ["A"]},
            }
        ]
    )
    assert "[plain]" in text
    [again] = gift.read(text.encode())
    assert [o["text"] for o in again.data["options"]] == ["<br>", "<hr>"]


def test_a_range_is_written_back_without_float_noise() -> None:
    question = one("π 取三位小数？{#3.141..3.142}")
    text, _ = gift.write([question.data])
    assert "{#3.1415:0.0005}" in text
