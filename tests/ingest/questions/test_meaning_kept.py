"""Each way a second attack on the importers (issue 17) stored a question with another meaning
than its source's, or wrote one back changed without saying so: read the way Moodle reads it,
refused with the reason, or counted as lost."""

from __future__ import annotations

import io
from typing import Any

import pytest

from catalog.banks.exports import lost_parts
from catalog.banks.validation import check
from ingest.questions import aiken, gift, moodle_xml, tabular
from ingest.questions.markup import html_to_text


def one_gift(text: str) -> Any:
    [question] = gift.read(text.encode("utf-8"))
    return question


def errors(question: Any) -> list[str]:
    return [p.message for p in question.problems if p.severity == "error"]


def warnings(question: Any) -> list[str]:
    return [p.message for p in question.problems if p.severity == "warning"]


# --- GIFT ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "verdict", "told"),
    [
        ("停电必须验电。{T #想一想}", True, "答错时：想一想"),  # the first # tells a wrong answer
        ("可以带负荷拉闸。{ FALSE # 不能 # 对 }", False, "答错时：不能"),
        ("停电必须验电。{TRUE\n#错了\n#对了}", True, "答对时：对了"),
    ],
)
def test_true_false_with_spaces_before_its_feedback_is_true_false(
    text: str, verdict: bool, told: str
) -> None:
    """Moodle trims the answer before the first # before it checks for T/TRUE/F/FALSE."""
    question = one_gift(text)
    assert errors(question) == []
    assert question.data["type"] == "true_false"
    assert question.data["answer"] == {"correct": verdict}
    assert told in question.data["explanation"]


def test_equals_answers_none_worth_full_marks_are_refused_as_moodle_does() -> None:
    """Moodle's multiple choice reads no weight after =: each of these earns full marks, with
    "%50%" in its text — not what the writer meant, so refused saying so."""
    question = one_gift("哪两项是安全工器具？{=%50%绝缘手套 =%50%验电器 ~扳手}")
    assert question.data == {}
    assert any("Moodle" in message and "full marks" in message for message in errors(question))


def test_a_single_choice_with_penalties_says_they_are_not_kept() -> None:
    question = one_gift("哪项正确？{=验电 ~%-50%不验电 ~通知调度}")
    assert question.data["type"] == "single_choice"
    assert question.data["answer"] == {"correct": ["A"]}
    assert any("扣分" in message for message in warnings(question))


@pytest.mark.parametrize("block", ["{#1_000}", "{#0x10}", "{#3:-1}", "{#=%150%3}", "{#1e999}"])
def test_numbers_moodle_would_not_read_the_same_are_refused(block: str) -> None:
    question = one_gift(f"数值？{block}")
    assert question.data == {}
    assert errors(question)


def test_a_zero_weight_accepted_answer_is_not_accepted_and_its_feedback_is_said() -> None:
    question = one_gift("是否？{=是 =%0%也许#不确定}")
    assert question.data["answer"]["blanks"][0]["accepted"] == ["是"]
    assert any("也许" in message for message in warnings(question))


def test_thousands_of_answers_are_refused_before_they_are_built() -> None:
    body = " ".join(f"~选项{n}" for n in range(5000))
    question = one_gift(f"很多选项？{{={body}}}")
    assert question.data == {}
    assert any("选项" in message for message in errors(question))


def test_less_than_signs_in_text_around_html_are_text() -> None:
    # text recognised as HTML by its tags (Moodle's auto format): only those tags are tags
    assert html_to_text("2<3 and x<y? <b>对</b>", known_tags_only=True) == "2<3 and x<y? 对"
    # declared HTML: a "<" that opens no tag is text, as a browser reads it
    assert html_to_text("I<sub>a</sub> < 5 A, U > 3, 2<3") == "I_(a) < 5 A, U > 3, 2<3"
    question = one_gift("比较：2<3 and x<y? <b>对吗</b>{T}")
    assert question.data["stem"] == "比较：2<3 and x<y? 对吗"


def test_blank_lines_in_html_are_kept() -> None:
    assert html_to_text("第一段<br><br>第二段") == "第一段\n\n第二段"
    assert html_to_text("<p>一</p>\n<p>二</p>") == "一\n二"


# --- GIFT writing ----------------------------------------------------------------------------


def written_and_read(question: dict[str, Any]) -> Any:
    text, count = gift.write([question])
    assert count == 1
    [back] = gift.read(text.encode("utf-8"))
    assert errors(back) == [], text
    return back


@pytest.mark.parametrize(
    "stem", ["// 不是注释：接地线截面？", "[html]<b>不是标记</b>", "$CATEGORY: 不是分类"]
)
def test_stems_gift_would_read_otherwise_are_written_so_they_read_back(stem: str) -> None:
    back = written_and_read(
        {
            "type": "true_false",
            "stem": stem,
            "options": [],
            "answer": {"correct": True},
        }
    )
    assert back.data["stem"] == stem


def test_options_that_start_like_a_weight_are_written_so_they_read_back() -> None:
    back = written_and_read(
        {
            "type": "single_choice",
            "stem": "负载率？",
            "options": [
                {"label": "A", "text": "%50% 以下"},
                {"label": "B", "text": "%80% 以上"},
                {"label": "C", "text": "正常"},
            ],
            "answer": {"correct": ["C"]},
        }
    )
    assert [o["text"] for o in back.data["options"]] == ["%50% 以下", "%80% 以上", "正常"]
    assert back.data["answer"] == {"correct": ["C"]}


# --- Moodle XML ------------------------------------------------------------------------------


def xml_question(body: str, qtype: str = "shortanswer") -> Any:
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><quiz>'
        f'<question type="{qtype}"><name><text>Q</text></name>'
        '<questiontext format="plain_text"><text>额定电压？____</text></questiontext>'
        f"{body}</question></quiz>"
    )
    [question] = moodle_xml.read(xml.encode("utf-8"))
    return question


def test_case_sensitive_short_answers_are_warned_the_bank_folds_case() -> None:
    question = xml_question(
        '<usecase>1</usecase><answer fraction="100" format="plain_text"><text>kV</text></answer>'
    )
    assert question.data["answer"]["blanks"][0]["accepted"] == ["kV"]
    assert any("大小写" in message for message in warnings(question))


def test_hidden_questions_are_said() -> None:
    question = xml_question(
        '<hidden>1</hidden><answer fraction="100" format="plain_text"><text>10</text></answer>'
    )
    assert any("隐藏" in message for message in warnings(question))
    assert question.draft  # not published with the rest


def test_moodle_auto_format_answers_keep_less_than_signs() -> None:
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><quiz><question type="multichoice">'
        "<name><text>Q</text></name>"
        '<questiontext format="moodle_auto_format"><text>哪个成立？</text></questiontext>'
        "<single>true</single>"
        '<answer fraction="100" format="moodle_auto_format"><text>2&lt;3 and x&lt;y</text>'
        "</answer>"
        '<answer fraction="0" format="moodle_auto_format"><text>3&lt;2 &lt;b&gt;x&lt;/b&gt;'
        "</text></answer>"
        "</question></quiz>"
    )
    [question] = moodle_xml.read(xml.encode("utf-8"))
    assert [o["text"] for o in question.data["options"]] == ["2<3 and x<y", "3<2 x"]


def test_wildcards_in_accepted_answers_are_escaped_when_written() -> None:
    question = {
        "type": "fill_blank",
        "stem": "乘号写作____",
        "options": [],
        "answer": {"blanks": [{"accepted": ["a*b"], "tolerance": None}], "ordered": True},
    }
    data, _count = moodle_xml.write([question])
    assert b"a\\*b" in data
    [back] = moodle_xml.read(data)
    assert errors(back) == []
    assert back.data["answer"]["blanks"][0]["accepted"] == ["a*b"]


# --- Aiken -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        "A. 验电\nB. 通知调度\nD. 穿绝缘靴",  # a gap: Moodle's D is the fourth, absent option
        "B. 验电\nA. 通知调度",  # out of order: Moodle's A is the first line
        "A. 验电\nA. 通知调度",
    ],
)
def test_aiken_letters_out_of_order_are_refused_moodle_keys_by_position(options: str) -> None:
    [question] = aiken.read(f"挂接地线前必须？\n{options}\nANSWER: A\n".encode())
    assert question.data == {}
    assert any("依次" in message for message in errors(question))


def test_aiken_is_written_with_letters_by_position() -> None:
    text, _count = aiken.write(
        [
            {
                "type": "single_choice",
                "stem": "挂接地线前必须？",
                "options": [
                    {"label": "A", "text": "通知调度"},
                    {"label": "B", "text": "穿绝缘靴"},
                    {"label": "D", "text": "验电"},
                ],
                "answer": {"correct": ["D"]},
            }
        ]
    )
    assert "C. 验电" in text and "ANSWER: C" in text
    [back] = aiken.read(text.encode())
    [correct] = back.data["answer"]["correct"]
    assert {o["label"]: o["text"] for o in back.data["options"]}[correct] == "验电"


@pytest.mark.parametrize(
    ("stem", "option"),
    [
        ("ANSWER: 开头的题干", "验电"),
        ("A. 开头像选项的题干", "验电"),
        ("正常题干", "两行\n的选项"),
        ("x", "验电"),  # Moodle skips lines under two bytes
    ],
)
def test_aiken_refuses_what_it_would_read_otherwise(stem: str, option: str) -> None:
    question = {
        "type": "single_choice",
        "stem": stem,
        "options": [{"label": "A", "text": option}, {"label": "B", "text": "通知调度"}],
        "answer": {"correct": ["A"]},
    }
    assert aiken.expressible(question)


# --- Spreadsheets ----------------------------------------------------------------------------


def csv_rows(*rows: str) -> list[Any]:
    text = "题型,题干,答案,关键词\n" + "\n".join(rows) + "\n"
    return list(tabular.read_csv(text.encode("utf-8")))


def test_keyword_percentages_that_do_not_add_up_are_said() -> None:
    [question] = csv_rows("简答题,变压器主要部件？,铁芯、绕组,铁芯（20%）；绕组（20%）")
    assert [k["weight"] for k in question.data["answer"]["keywords"]] == [20, 20]
    assert any("40%" in message for message in warnings(question))
    [whole] = csv_rows("简答题,变压器主要部件？,铁芯、绕组,铁芯（50%）；绕组（50%）")
    assert warnings(whole) == []


@pytest.mark.parametrize(
    ("written", "accepted", "tolerance"),
    [("220±5%", "220", 11.0), ("10±0.5", "10", 0.5), ("380 ± 2 %", "380", 7.6)],
)
def test_a_tolerance_in_percent_is_read_as_a_tolerance(
    written: str, accepted: str, tolerance: float
) -> None:
    [question] = csv_rows(f"填空题,额定电压为____V。,{written},")
    [blank] = question.data["answer"]["blanks"]
    assert blank["accepted"] == [accepted]
    assert blank["tolerance"] == pytest.approx(tolerance)


# --- what each export cannot hold is counted -------------------------------------------------

UNORDERED = {
    "type": "fill_blank",
    "stem": "三相为____、____、____。",
    "options": [],
    "answer": {
        "blanks": [
            {"accepted": ["A"], "tolerance": None},
            {"accepted": ["B"], "tolerance": None},
            {"accepted": ["C"], "tolerance": None},
        ],
        "ordered": False,
    },
}
NUMERIC_TWO = {
    "type": "fill_blank",
    "stem": "工频____Hz",
    "options": [],
    "answer": {"blanks": [{"accepted": ["50", "60"], "tolerance": 0.5}], "ordered": True},
}
SYNONYMS = {
    "type": "short_answer",
    "stem": "停电步骤？",
    "options": [],
    "answer": {
        "keywords": [{"word": "验电", "weight": 1, "synonyms": ["检验有无电压"]}],
        "reference": "停电、验电、接地",
        "manual": False,
    },
}
ESSAY = {
    "type": "short_answer",
    "stem": "谈谈安全生产。",
    "options": [],
    "answer": {"keywords": [], "reference": "安全第一", "manual": True},
}
BRACKET_TAG = {
    "type": "true_false",
    "stem": "对吗？",
    "options": [],
    "answer": {"correct": True},
    "tags": ["GB[2020]", "安全"],
}


def test_unordered_blanks_survive_the_spreadsheets() -> None:
    out = io.BytesIO()
    tabular.write_csv([UNORDERED], out)
    [back] = tabular.read_csv(out.getvalue())
    assert back.data["answer"]["ordered"] is False


@pytest.mark.parametrize(
    ("format", "question", "part"),
    [
        ("xlsx", NUMERIC_TWO, "accepted"),
        ("xlsx", SYNONYMS, "synonyms"),
        ("csv", SYNONYMS, "synonyms"),
        ("gift", ESSAY, "reference"),
        ("gift", BRACKET_TAG, "tags"),
    ],
)
def test_what_a_format_cannot_hold_is_counted_lost(
    format: str, question: dict[str, Any], part: str
) -> None:
    assert part in lost_parts(format, question)


def test_several_accepted_numbers_go_through_gift_and_moodle_xml() -> None:
    text, _count = gift.write([NUMERIC_TWO])
    [from_gift] = gift.read(text.encode())
    data, _count = moodle_xml.write([NUMERIC_TWO])
    [from_xml] = moodle_xml.read(data)
    for back in (from_gift, from_xml):
        assert errors(back) == []
        assert back.data["answer"]["blanks"] == NUMERIC_TWO["answer"]["blanks"]
    assert lost_parts("gift", NUMERIC_TWO) == lost_parts("moodle_xml", NUMERIC_TWO) == []


def test_what_a_format_holds_is_not_counted_lost() -> None:
    assert lost_parts("moodle_xml", ESSAY) == []
    assert lost_parts("moodle_xml", BRACKET_TAG) == []
    assert lost_parts("xlsx", UNORDERED) == []


def test_separators_inside_accepted_answers_are_not_written_to_a_sheet() -> None:
    question = {
        "type": "fill_blank",
        "stem": "写出____",
        "options": [],
        "answer": {"blanks": [{"accepted": ["A|B"], "tolerance": None}], "ordered": True},
    }
    assert tabular.expressible(question)


# --- a third attack --------------------------------------------------------------------------


def test_stem_images_are_counted_lost_by_every_export() -> None:
    question = {**ESSAY, "stem_images": ["banks/1/images/a.png"]}
    for format in ("xlsx", "csv", "gift", "moodle_xml"):
        assert "images" in lost_parts(format, question), format


def test_control_characters_become_line_breaks_or_go_before_anything_is_stored() -> None:
    clean, problems = check(
        {
            "type": "single_choice",
            "stem": "以下正确的是\x0b（单选）\x07",
            "options": [{"label": "A", "text": "甲\x0c乙"}, {"label": "B", "text": "丙"}],
            "answer": {"correct": ["A"]},
        }
    )
    assert problems == {}
    assert clean["stem"] == "以下正确的是\n（单选）"
    assert clean["options"][0]["text"] == "甲\n乙"
    data, _count = moodle_xml.write([clean])
    [back] = moodle_xml.read(data)  # well-formed
    assert back.data["stem"] == clean["stem"]


@pytest.mark.parametrize("fraction", ["100%", "abc", "nan"])
def test_an_unreadable_xml_fraction_refuses_its_question_not_the_file(fraction: str) -> None:
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><quiz>'
        '<question type="multichoice"><name><text>Q</text></name>'
        '<questiontext format="plain_text"><text>哪个？</text></questiontext>'
        f'<answer fraction="{fraction}"><text>甲</text></answer>'
        '<answer fraction="0"><text>乙</text></answer></question>'
        '<question type="truefalse"><name><text>Q2</text></name>'
        '<questiontext format="plain_text"><text>对吗？</text></questiontext>'
        '<answer fraction="100"><text>true</text></answer>'
        '<answer fraction="0"><text>false</text></answer></question></quiz>'
    )
    first, second = moodle_xml.read(xml.encode())
    assert first.data == {} and any(fraction in m for m in errors(first))
    assert errors(second) == [] and second.data["answer"] == {"correct": True}


def test_gift_wildcards_in_short_answers_are_refused_and_escaped_stars_are_stars() -> None:
    assert one_gift("Capital of France? {=Par*}").data == {}
    assert one_gift("任意？{=*}").data == {}
    starred = one_gift("乘号？{=a\\*b}")
    assert starred.data["answer"]["blanks"][0]["accepted"] == ["a*b"]
    text, _ = gift.write([starred.data | {"options": []}])
    assert one_gift(text.split("\n", 1)[1]).data["answer"] == starred.data["answer"]


def test_true_false_feedback_keeps_its_escaped_hashes() -> None:
    question = one_gift("2+2=4 {TRUE#Use \\# here#Right}")
    assert "答错时：Use # here" in question.data["explanation"]
    assert "答对时：Right" in question.data["explanation"]


def test_a_full_width_answer_mark_among_half_width_ones_is_warned() -> None:
    question = one_gift("首都是？{=北京 ~上海 ～广州}")
    assert any("全角" in message for message in warnings(question))


def test_images_the_bank_does_not_keep_are_said() -> None:
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><quiz><question type="multichoice">'
        "<name><text>Q</text></name>"
        '<questiontext format="html"><text><![CDATA[<p>如图，开关状态？</p>'
        '<img src="https://example.com/k.png">]]></text></questiontext><single>true</single>'
        '<answer fraction="100" format="html"><text><![CDATA[<img src="@@PLUGINFILE@@/a.png"> 甲]]>'
        '</text><file name="a.png" encoding="base64">iVBORw0KGgo=</file></answer>'
        '<answer fraction="0" format="html"><text>乙</text></answer></question></quiz>'
    )
    [question] = moodle_xml.read(xml.encode())
    said = " ".join(warnings(question))
    assert "图片" in said and "k.png" in said and "A" in said


def test_feedback_for_several_options_in_one_line_goes_to_each() -> None:
    assert tabular.option_feedback("A：错，因为x；B：对") == {"A": "错，因为x", "B": "对"}
    assert tabular.option_feedback("A：错误。\n原因：未验电\nB：正确") == {
        "A": "错误。\n原因：未验电",
        "B": "正确",
    }


@pytest.mark.parametrize(
    ("written", "accepted", "tolerance", "unit"),
    [
        ("220V±5%", "220", 11.0, "V"),
        ("50Hz±0.5", "50", 0.5, "Hz"),
        ("3.14159±5e-05", "3.14159", 5e-05, None),
    ],
)
def test_tolerances_with_units_or_exponents_are_numbers(
    written: str, accepted: str, tolerance: float, unit: str | None
) -> None:
    [question] = csv_rows(f"填空题,额定值为____。,{written},")
    [blank] = question.data["answer"]["blanks"]
    assert blank["accepted"] == [accepted]
    assert blank["tolerance"] == pytest.approx(tolerance)
    if unit:
        assert any(unit in message for message in warnings(question))


def test_small_tolerances_are_written_without_exponents() -> None:
    blank = {"accepted": ["3.14159"], "tolerance": 5e-05}
    assert tabular.blank_text(blank) == "3.14159±0.00005"
    assert tabular.parse_blank(tabular.blank_text(blank)) == blank


def test_arrows_in_choices_are_choices_and_in_a_fill_in_not_written() -> None:
    question = one_gift("合闸操作顺序？{=断路器->隔离开关 ~隔离开关->断路器}")
    assert question.data["type"] == "single_choice"
    assert question.data["options"][0]["text"] == "断路器->隔离开关"
    arrow = {
        "type": "fill_blank",
        "stem": "顺序____",
        "options": [],
        "answer": {"blanks": [{"accepted": ["a->b"], "tolerance": None}], "ordered": True},
    }
    assert gift.expressible(arrow)


def test_a_weight_after_equals_in_choices_is_refused_moodle_gives_full_marks() -> None:
    question = one_gift("优惠？{=%50%半价 ~无}")
    assert question.data == {}
    assert any("~%50%" in message for message in errors(question))


def test_a_right_option_starting_like_a_weight_is_not_written_to_gift() -> None:
    question = {
        "type": "single_choice",
        "stem": "优惠？",
        "options": [{"label": "A", "text": "%50%折扣"}, {"label": "B", "text": "无"}],
        "answer": {"correct": ["A"]},
    }
    assert gift.expressible(question)


def test_aiken_stem_over_two_lines_refuses_both_parts() -> None:
    parts = list(aiken.read("第一行题干\n第二行\nA. 甲\nB. 乙\nANSWER: A\n".encode()))
    assert all(part.data == {} for part in parts)
    assert any("一行" in message for part in parts for message in errors(part))


def test_symbols_are_meaning_when_answers_and_options_are_compared() -> None:
    from search.text import squeeze

    assert squeeze("<") == "<" and squeeze("I>Ie") != squeeze("I<Ie")
    assert squeeze("+5") != squeeze("-5") and squeeze("≥") != squeeze("≤")
    assert squeeze("验 电，") == squeeze("验电")  # spaces and punctuation still fold


# --- a fourth attack -------------------------------------------------------------------------


def test_decimal_points_ratios_and_fractions_count_when_compared() -> None:
    from search.text import squeeze

    assert squeeze("2.5mm²") != squeeze("25mm²")
    assert squeeze("1:2") != squeeze("12") and squeeze("1/2") != squeeze("12")
    assert squeeze("验电。") == squeeze("验电")  # a full stop after words still folds


def test_blank_answers_prefer_the_stronger_separator_and_say_when_unsure() -> None:
    [question] = csv_rows('填空题,技术措施包括____；工作结束后应____,"停电、验电，拆除接地线",')
    assert [b["accepted"] for b in question.data["answer"]["blanks"]] == [
        ["停电、验电"],
        ["拆除接地线"],
    ]


@pytest.mark.parametrize(
    "written", ["①铁芯；②绕组", "（1）铁芯；（2）绕组", "1.铁芯；2.绕组", "1、铁芯；2、绕组"]
)
def test_numbered_scoring_points_are_keywords_without_their_numbers(written: str) -> None:
    [question] = csv_rows(f"简答题,变压器主要部件？,铁芯和绕组,{written}")
    assert [k["word"] for k in question.data["answer"]["keywords"]] == ["铁芯", "绕组"]


def test_a_ratio_inside_a_keyword_is_not_a_weight() -> None:
    [question] = csv_rows("简答题,变比？,1:2,变比1:2")
    assert question.data["answer"]["keywords"] == [{"word": "变比1:2", "weight": 1}]


def test_option_feedback_naming_other_options_stays_with_its_own() -> None:
    assert tabular.option_feedback("A：不对；B、C选项均与题意不符") == {
        "A": "不对；B、C选项均与题意不符"
    }
    said = tabular.option_feedback("B：正确。A：错误，见规程第3条；C.D 均错")
    assert said == {"B": "正确。", "A": "错误，见规程第3条；C.D 均错"}


def test_option_feedback_a_sheet_would_read_otherwise_is_counted_lost() -> None:
    question = {
        "type": "single_choice",
        "stem": "哪项？",
        "options": [
            {"label": "A", "text": "甲", "feedback": "原因如下：\nB. 是正确的"},
            {"label": "B", "text": "乙"},
        ],
        "answer": {"correct": ["B"]},
    }
    assert "feedback" in lost_parts("csv", question)


def test_two_stem_columns_keep_the_first_and_say_so() -> None:
    rows = list(tabular.read_csv("题型,题干,题目,答案\n判断,断路器必须断开,Q7,对\n".encode()))
    questions = [r for r in rows if r.data]
    assert questions[0].data["stem"] == "断路器必须断开"
    assert any("题目" in m for r in rows for m in warnings(r))


def test_an_xml_wildcard_worth_full_marks_is_refused() -> None:
    question = xml_question(
        '<answer fraction="100" format="plain_text"><text>接地</text></answer>'
        '<answer fraction="100" format="plain_text"><text>*</text></answer>'
    )
    assert question.data == {}


def test_gift_answers_that_look_like_html_are_written_plain() -> None:
    question = {
        "type": "fill_blank",
        "stem": "标签写作____",
        "options": [],
        "answer": {"blanks": [{"accepted": ["a<b>c"], "tolerance": None}], "ordered": True},
    }
    back = written_and_read(question)
    assert back.data["answer"]["blanks"][0]["accepted"] == ["a<b>c"]


def test_aiken_stems_starting_with_initials_are_stems() -> None:
    [question] = aiken.read("A.C. 电路中电压有效值为\nA. 220V\nB. 380V\nANSWER: A\n".encode())
    assert question.data["stem"] == "A.C. 电路中电压有效值为"


def test_a_short_answer_whose_first_answer_lacks_its_equals_sign() -> None:
    question = one_gift("Q {One =Two}")
    assert question.data["answer"]["blanks"][0]["accepted"] == ["One", "Two"]


def test_gift_details_read_as_moodle_reads_them() -> None:
    assert one_gift("数值？{#3 ~#wrong =4}").data["answer"]["blanks"][0]["accepted"] == ["3"]
    half = one_gift("哪个？{~%50.%半对 =全对 ~错}")
    assert half.data["options"][0]["text"] == "半对"
    assert one_gift("哪个？{=a#x####y####z}").data["explanation"] == "z"
