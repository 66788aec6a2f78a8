"""The Excel/CSV template as real files from other systems fill it."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from catalog.banks.validation import check
from ingest.questions import tabular
from ingest.questions.common import FileRefused

MAX_UNZIPPED = 512 * 1024 * 1024


def workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(r, c, value)  # numbers stay numbers, as Excel stores them
    book.close()
    return path


def read_xlsx(path: Path) -> list[Any]:
    return list(tabular.read_xlsx(path, MAX_UNZIPPED))


def test_lenient_headers(tmp_path: Path) -> None:
    headers = [
        " 题型 ",
        "题干（必填）：",
        "选项Ａ",
        "选项B:",
        "*选项C",
        "答案(必填)",
        "解析",
        "难度系数",
        "知识点",
        "标签",
    ]
    path = workbook(
        tmp_path / "q.xlsx",
        {
            "Sheet1": [
                headers,
                [
                    "单选",
                    "10kV 属于哪一电压等级？",
                    "低压",
                    "中压",
                    "高压",
                    "B",
                    "中压配电网",
                    2,
                    "电压等级",
                    "基础",
                ],
            ]
        },
    )
    [candidate] = read_xlsx(path)
    assert candidate.problems == []
    data = candidate.data
    assert data["type"] == "single_choice"
    assert [o["text"] for o in data["options"]] == ["低压", "中压", "高压"]
    assert data["answer"] == {"correct": ["B"]}
    assert data["difficulty"] == 2
    assert data["knowledge_points"] == ["电压等级"]
    assert candidate.location.row == 2
    assert candidate.columns["answer"] == "F (答案(必填))"


def test_english_aliases(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "q.xlsx",
        {
            "Questions": [
                [
                    "Type",
                    "Question",
                    "Option_A",
                    "Option_B",
                    "Answer",
                    "Analysis",
                    "Difficulty",
                    "Tags",
                ],
                [
                    "true_false",
                    "Always test before touching a conductor.",
                    None,
                    None,
                    "true",
                    "",
                    1,
                    "safety",
                ],
            ]
        },
    )
    [candidate] = read_xlsx(path)
    assert candidate.data["type"] == "true_false"
    assert candidate.data["answer"] == {"correct": True}


def test_one_sheet_per_type_without_a_type_column(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "q.xlsx",
        {
            "单选题": [["题干", "选项A", "选项B", "答案"], ["A 或 B？", "甲", "乙", "A"]],
            "多选题": [
                ["题干", "选项A", "选项B", "选项C", "答案"],
                ["哪些？", "甲", "乙", "丙", "A,C"],
            ],
            "判断题": [["题干", "答案"], ["对吗？", "×"]],
            "填空题": [["题干", "答案"], ["____ 和 ____", "火线|零线"]],
            "简答题": [["题干", "答案", "关键词"], ["简述验电", "先验后挂", "验电:2；接地"]],
            "说明": [["这是说明页，没有表头"]],
            "题库2": [["序号", "内容", "备注"], ["1", "某题", ""]],
        },
    )
    read = list(read_xlsx(path))
    got = {c.location.sheet: c.data for c in read if c.data}
    # a sheet without a header was skipped without a word (issue 17): now it is named, with
    # what it has; an instructions sheet (说明) is what it says
    [note] = [c for c in read if not c.data]
    assert note.location.sheet == "题库2" and note.problems[0].severity == "warning"
    assert "序号、内容、备注" in note.problems[0].message
    assert got["单选题"]["type"] == "single_choice"
    assert got["多选题"]["answer"] == {"correct": ["A", "C"]}
    assert got["判断题"]["answer"] == {"correct": False}
    assert got["填空题"]["answer"]["blanks"] == [
        {"accepted": ["火线"], "tolerance": None},
        {"accepted": ["零线"], "tolerance": None},
    ]
    assert got["简答题"]["answer"]["keywords"] == [
        {"word": "验电", "weight": 2},
        {"word": "接地", "weight": 1},
    ]
    assert "说明" not in got


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("A", ["A"]),
        ("ABD", ["A", "B", "D"]),
        ("A,B,D", ["A", "B", "D"]),
        ("A、B、D", ["A", "B", "D"]),
        ("ＡＢ", ["A", "B"]),
        ("a b", ["A", "B"]),
        ("B，D", ["B", "D"]),
    ],
)
def test_choice_answer_shapes(tmp_path: Path, raw: str, expected: list[str]) -> None:
    path = workbook(
        tmp_path / "q.xlsx",
        {
            "s": [
                ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案"],
                ["多选", "选哪些", "一", "二", "三", "四", raw],
            ]
        },
    )
    assert read_xlsx(path)[0].data["answer"] == {"correct": expected}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("对", True),
        ("错", False),
        ("正确", True),
        ("错误", False),
        ("√", True),
        ("×", False),
        ("T", True),
        ("F", False),
        ("是", True),
    ],
)
def test_true_false_shapes(tmp_path: Path, raw: str, expected: bool) -> None:
    path = workbook(tmp_path / "q.xlsx", {"s": [["题型", "题干", "答案"], ["判断", "对吗", raw]]})
    assert read_xlsx(path)[0].data["answer"] == {"correct": expected}


def test_numbers_stored_as_numbers_and_empty_option_cells(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "q.xlsx",
        {
            "s": [
                ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "难度"],
                ["填空", "我国工频为____Hz", None, None, None, None, 50, 2.0],
                ["单选", "几相？", 1, 3, None, None, "B", 3],
            ]
        },
    )
    fill, choice = read_xlsx(path)
    assert fill.data["answer"]["blanks"] == [{"accepted": ["50"], "tolerance": None}]
    assert fill.data["difficulty"] == 2
    assert [o["text"] for o in choice.data["options"]] == ["1", "3"]


def test_problems_name_row_and_column(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "q.xlsx",
        {
            "题库": [
                ["题型", "题干", "选项A", "选项B", "答案"],
                ["单选", "好题", "甲", "乙", "A"],
                ["未知题型", "坏题", "甲", "乙", "A"],
                ["单选", "坏答案", "甲", "乙", "第二个"],
            ]
        },
    )
    good, bad_type, bad_answer = read_xlsx(path)
    assert good.problems == []
    [problem] = bad_type.problems
    assert (problem.location.sheet, problem.location.row, problem.column) == ("题库", 3, "A (题型)")
    assert "题型无法识别" in problem.message
    [problem] = bad_answer.problems
    assert (problem.location.row, problem.column) == (4, "E (答案)")


def test_csv_utf8_with_bom_and_tabs() -> None:
    text = "\ufeff题型\t题干\t选项A\t选项B\t答案\n单选\t哪个？\t甲\t乙\tB\n"
    [candidate] = list(tabular.read_csv(text.encode("utf-8")))
    assert candidate.data["answer"] == {"correct": ["B"]}


def test_csv_saved_by_chinese_excel_is_read_as_gbk_and_said() -> None:
    """Chinese Excel's "CSV" is GBK: it was refused (issue 17 attack); UTF-16 ("Unicode text")
    too. Both are read now, and the report says in which encoding."""
    text = "题型,题干,选项A,选项B,答案\n单选,哪个？,甲,乙,B\n"
    note, row = tabular.read_csv(text.encode("gbk"))
    assert "GB18030" in note.problems[0].message
    assert row.data["options"][1]["text"] == "乙" and row.data["answer"] == {"correct": ["B"]}
    note, row = tabular.read_csv(text.replace(",", "\t").encode("utf-16"))
    assert "UTF-16" in note.problems[0].message and row.data["stem"] == "哪个？"
    with pytest.raises(FileRefused, match="GBK"):
        list(tabular.read_csv(b"\xff\x80,\xff\n"))


def test_csv_bytes_that_turn_bad_halfway_are_refused_with_their_line(tmp_path: Path) -> None:
    good = "题型,题干,答案\n" + "".join(f"判断,第{n}题说法正确,对\n" for n in range(3000))
    path = tmp_path / "mixed.csv"
    path.write_bytes(good.encode("utf-8") + "判断,坏的一行,对\n".encode("gbk"))
    with pytest.raises(FileRefused, match="UTF-8") as raised:
        list(tabular.read_csv(path))
    assert raised.value.status == 422
    assert "第 3002 行" in str(raised.value)  # the header, 3000 good rows, then the bad one


def test_a_csv_field_too_large_to_read_is_refused_with_its_line() -> None:
    """csv's field limit (128 K characters) raised csv.Error: the task failed unexplained."""
    text = "题型,题干,答案\n判断,短题,对\n判断," + "长" * 200_000 + ",对\n"
    with pytest.raises(FileRefused, match="第 3 行") as raised:
        list(tabular.read_csv(text.encode("utf-8")))
    assert raised.value.status == 422


def test_a_csv_is_read_as_a_stream(tmp_path: Path) -> None:
    """Reading stops where its reader stops: a file of a million rows is not read whole first."""
    path = tmp_path / "long.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("题型,题干,答案\n")
        for n in range(200_000):
            out.write(f"判断,第{n}题说法正确,对\n")
    rows = tabular.read_csv(path)
    first = [next(rows) for _ in range(3)]
    assert [c.location.row for c in first] == [2, 3, 4]
    rows.close()


def test_a_file_without_header_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileRefused, match="表头"):
        list(tabular.read_csv("随便,写点\n什么,东西\n".encode()))


def test_not_an_xlsx_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"PK\x03\x04 this is not a zip at all")
    with pytest.raises(FileRefused) as raised:
        read_xlsx(fake)
    assert raised.value.status == 415
    plain_zip = tmp_path / "plain.xlsx"
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(FileRefused) as raised:
        read_xlsx(plain_zip)
    assert raised.value.status == 415


def test_zip_bomb_disguised_as_xlsx_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    assert bomb.stat().st_size < 200_000
    with pytest.raises(FileRefused) as raised:
        read_xlsx(bomb)
    assert raised.value.status == 413
    assert "压缩炸弹" in str(raised.value)


def test_written_workbook_reads_back(tmp_path: Path) -> None:
    questions = tabular.TEMPLATE_SAMPLES
    buffer = io.BytesIO()
    assert tabular.write_xlsx(questions, buffer, instructions=True) == len(questions)
    path = tmp_path / "out.xlsx"
    path.write_bytes(buffer.getvalue())
    read = read_xlsx(path)
    assert [c.data["stem"] for c in read] == [q["stem"] for q in questions]


def _rewritten(tmp_path: Path, name: str, change: Callable[[dict[str, bytes]], None]) -> Path:
    """The template workbook with its parts changed by ``change`` (name → bytes)."""
    source = tmp_path / "template.xlsx"
    with source.open("wb") as out:
        tabular.write_xlsx(tabular.TEMPLATE_SAMPLES, out)
    with zipfile.ZipFile(source) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    change(parts)
    target = tmp_path / name
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for part, data in parts.items():
            archive.writestr(part, data)
    return target


def test_a_far_cell_in_a_sheet_moved_elsewhere_is_refused(tmp_path: Path) -> None:
    """A bomb whose sheet the workbook's relations put at xl/worksheets/sub/ went past the
    extent check and crashed the reader (issue 15's attacker, finding 8)."""

    def move(parts: dict[str, bytes]) -> None:
        sheet = parts.pop("xl/worksheets/sheet1.xml").replace(
            b"</sheetData>", b'<row r="9"><c r="XFD9"><v>1</v></c></row></sheetData>'
        )
        parts["xl/worksheets/sub/sheet1.xml"] = sheet
        rels = "xl/_rels/workbook.xml.rels"
        parts[rels] = parts[rels].replace(b"worksheets/sheet1.xml", b"worksheets/sub/sheet1.xml")
        types = "[Content_Types].xml"
        parts[types] = parts[types].replace(
            b"/xl/worksheets/sheet1.xml", b"/xl/worksheets/sub/sheet1.xml"
        )

    bomb = _rewritten(tmp_path, "moved.xlsx", move)
    with pytest.raises(FileRefused, match="XFD9"):
        list(tabular.read_xlsx(bomb, max_unzipped=10 * 1024 * 1024))


def test_cells_without_references_are_placed_and_counted(tmp_path: Path) -> None:
    """A row at 1048576 of 16,000 cells without references went past the extent check."""

    def widen(parts: dict[str, bytes]) -> None:
        cells = b"<c><v>1</v></c>" * 16_000
        parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
            b"</sheetData>", b"<row>" + cells + b"</row></sheetData>"
        )

    wide = _rewritten(tmp_path, "wide.xlsx", widen)
    with pytest.raises(FileRefused, match="64"):
        list(tabular.read_xlsx(wide, max_unzipped=10 * 1024 * 1024))

    def lengthen(parts: dict[str, bytes]) -> None:
        parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
            b"</sheetData>", b'<row r="1048576"><c><v>1</v></c></row></sheetData>'
        )

    long = _rewritten(tmp_path, "long.xlsx", lengthen)
    with pytest.raises(FileRefused, match="100000"):
        list(tabular.read_xlsx(long, max_unzipped=10 * 1024 * 1024))


# --- spreadsheets as Chinese banks write them (issue 17) ------------------------------------


def test_one_column_per_blank_and_a_blank_order_column(tmp_path: Path) -> None:
    """A 填空题 sheet with 答案A … 答案L and 填空顺序 was skipped entirely, in silence."""
    path = workbook(
        tmp_path / "blanks.xlsx",
        {
            "填空题": [
                ["题干", "答案A", "答案B", "答案C", "填空顺序"],
                ["电气设备分为（ ）、（ ）和（ ）。", "高压", "低压", "弱电", "否"],
                ["工频为____赫兹。", "50", "", "", ""],
            ]
        },
    )
    first, second = read_xlsx(path)
    assert [b["accepted"] for b in first.data["answer"]["blanks"]] == [["高压"], ["低压"], ["弱电"]]
    assert first.data["answer"]["ordered"] is False
    assert second.data["answer"]["blanks"] == [{"accepted": ["50"], "tolerance": None}]
    assert second.data["answer"]["ordered"] is True


@pytest.mark.parametrize("separator", ["、", "，", ",", "；", ";", "|"])
def test_blank_answers_in_one_cell_split_when_the_count_matches(separator: str) -> None:
    """Blanks listed with 、 were refused as a count mismatch (题干有 3 个空，答案有 1 个)."""
    answer = separator.join(["停电", "验电", "接地"])
    rows = f'题型,题干,答案\n填空,作业前应（ ）、（ ）、（ ）。,"{answer}"\n'
    [candidate] = list(tabular.read_csv(rows.encode("utf-8")))
    blanks = candidate.data["answer"]["blanks"]
    assert [b["accepted"] for b in blanks] == [["停电"], ["验电"], ["接地"]]


def test_one_blank_keeps_its_alternatives() -> None:
    rows = "题型,题干,答案\n填空,相线又称____。,火线；端线\n"
    [candidate] = list(tabular.read_csv(rows.encode("utf-8")))
    assert candidate.data["answer"]["blanks"] == [{"accepted": ["火线", "端线"], "tolerance": None}]


def test_keyword_weights_in_full_width_parentheses() -> None:
    """铁芯（20%）；绕组（20%），油枕（20%） became keywords such as 铁芯(20%), so the reference
    answer itself scored 0 (16 of 18 such questions)."""
    keywords = tabular.parse_keywords("铁芯（20%）；绕组（20%），油枕（20%）、套管(40)")
    assert keywords == [
        {"word": "铁芯", "weight": 20},
        {"word": "绕组", "weight": 20},
        {"word": "油枕", "weight": 20},
        {"word": "套管", "weight": 40},
    ]
    assert tabular.parse_keywords("接地:2；验电") == [
        {"word": "接地", "weight": 2},
        {"word": "验电", "weight": 1},
    ]


@pytest.mark.parametrize("answer", ["B", "√", "对", "错"])
def test_a_fill_in_answered_like_a_choice_is_warned(answer: str) -> None:
    rows = f"题型,题干,答案\n填空,停电检修首先____。,{answer}\n"
    [candidate] = list(tabular.read_csv(rows.encode("utf-8")))
    assert candidate.data["type"] == "fill_blank"
    [warning] = [p for p in candidate.problems if p.severity == "warning"]
    assert "题型" in warning.message


def test_a_text_format_column_says_markdown_and_nothing_else() -> None:
    text = (
        "题型,题干,选项A,选项B,答案,文本格式\n"
        "单选,**加粗**题干,甲,乙,A,Markdown\n"
        "单选,普通题干,甲,乙,A,\n"
        "单选,<b>网页</b>题干,甲,乙,A,HTML\n"
    )
    markdown, plain, html = tabular.read_csv(text.encode("utf-8"))
    assert markdown.data["text_format"] == "markdown"
    assert plain.data["text_format"] == "plain"
    _clean, problems = check(html.data)  # the bank's one rule refuses it, by column
    assert "text_format" in problems
    assert html.columns["text_format"].startswith("F")


# --- what an attacker of issue 17 found ------------------------------------------------------


def _warnings(candidate: Any) -> list[str]:
    return [p.message for p in candidate.problems if p.severity == "warning"]


def test_a_hidden_sheet_is_named_and_not_imported(tmp_path: Path) -> None:
    path = tmp_path / "q.xlsx"
    book = xlsxwriter.Workbook(str(path))
    shown = book.add_worksheet("单选题")
    shown.write_row(0, 0, ["题干", "选项A", "选项B", "答案"])
    shown.write_row(1, 0, ["A 或 B？", "甲", "乙", "A"])
    old = book.add_worksheet("多选题")
    old.write_row(0, 0, ["题干", "选项A", "选项B", "答案"])
    old.write_row(1, 0, ["隐藏表中的多选（已作废）", "甲", "乙", "AB"])
    old.hide()
    book.close()
    read = read_xlsx(path)
    assert [c.data["stem"] for c in read if c.data] == ["A 或 B？"]
    [note] = [c for c in read if not c.data]
    assert note.location.sheet == "多选题" and "隐藏" in _warnings(note)[0]


@pytest.mark.parametrize(
    ("name", "qtype"),
    [
        ("一、单选题（共3题）", "single_choice"),
        ("填空题（每空一列）", "fill_blank"),
        ("3.判断题", "true_false"),
        ("（二）多项选择题【20分】", "multiple_choice"),
        ("题库2", None),
    ],
)
def test_sheet_names_as_banks_write_them_give_the_type(name: str, qtype: str | None) -> None:
    assert tabular.sheet_type(name) == qtype


def test_a_row_without_a_type_on_an_unnamed_sheet_says_the_sheet_name_is_why(
    tmp_path: Path,
) -> None:
    path = workbook(tmp_path / "q.xlsx", {"题库2": [["题干", "答案"], ["对吗？", "对"]]})
    [row] = read_xlsx(path)
    assert "工作表名「题库2」也不是题型" in row.problems[0].message


def test_a_type_column_that_contradicts_the_sheet_name_is_warned(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "q.xlsx",
        {
            "单选题": [
                ["题型", "题干", "选项A", "选项B", "答案"],
                ["多选", "哪些？", "甲", "乙", "AB"],
            ]
        },
    )
    [row] = read_xlsx(path)
    assert row.data["type"] == "multiple_choice"
    assert any("工作表名" in message for message in _warnings(row))


def test_answers_excel_keeps_as_numbers_or_dates_are_warned_and_read_as_shown(
    tmp_path: Path,
) -> None:
    """25% held as 0.25, 1/2 turned into a date, =0.3-0.2 as 0.09999999999999998: a learner who
    types what the editor sees was marked wrong, and nothing said so."""
    path = tmp_path / "q.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("填空题")
    sheet.write_row(0, 0, ["题干", "答案"])
    sheet.write(1, 0, "负载率为 ____")
    sheet.write_number(1, 1, 0.25, book.add_format({"num_format": "0%"}))
    sheet.write(2, 0, "二分之一写作 ____")
    sheet.write_datetime(2, 1, datetime(2024, 1, 2), book.add_format({"num_format": "m/d"}))
    sheet.write(3, 0, "差为 ____")
    sheet.write_formula(3, 1, "=0.3-0.2", None, 0.3 - 0.2)
    sheet.write(4, 0, "工频 ____ Hz")
    sheet.write_number(4, 1, 50)
    book.close()
    percent, date, formula, whole = read_xlsx(path)
    for row in (percent, date, formula):
        assert any("Excel" in message for message in _warnings(row)), row.data
    assert formula.data["answer"]["blanks"][0]["accepted"] == ["0.1"]
    assert _warnings(whole) == []  # a whole number reads as Excel shows it


def test_option_cells_excel_keeps_as_numbers_or_dates_are_warned(tmp_path: Path) -> None:
    """An option typed 1:2 became a time, 25% became 0.25, 3月1日 a date: the option a learner
    reads is not the one the editor typed, and nothing said so (third attack on issue 17)."""
    path = tmp_path / "q.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("单选题")
    sheet.write_row(0, 0, ["题干", "选项A", "选项B", "选项C", "答案"])
    sheet.write(1, 0, "变比为？")
    sheet.write_datetime(
        1, 1, datetime(1899, 12, 31, 1, 2), book.add_format({"num_format": "h:mm"})
    )
    sheet.write_number(1, 2, 0.25, book.add_format({"num_format": "0%"}))
    sheet.write(1, 3, "1:3")
    sheet.write(1, 4, "A")
    sheet.write(2, 0, "工频？")
    sheet.write_number(2, 1, 50)
    sheet.write_number(2, 2, 60)
    sheet.write(2, 4, "A")
    book.close()
    typed, whole = read_xlsx(path)
    said = " ".join(_warnings(typed))
    assert "选项A" in said and "选项B" in said and "选项C" not in said
    assert _warnings(whole) == []
