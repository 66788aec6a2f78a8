"""Question banks as spreadsheets: the documented Excel/CSV template, read and written.

Columns (Chinese or English, matched leniently): 题型 type, 题干 stem, 选项A…选项J option_a…
option_j, 答案 answer, 解析 explanation, 难度 difficulty, 知识点 knowledge_points, 标签 tags, and
the optional 关键词 keywords (short answers, ``接地:2；验电:1``), 来源 source, 用途 usage.
A workbook may hold one sheet per question type, the sheet's name then giving the type.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from python_calamine import CalamineError, CalamineWorkbook, SheetVisibleEnum

from ingest import spreadsheets
from ingest.questions.common import (
    BLANK_MARKER,
    GB,
    UTF16_BOMS,
    Candidate,
    FileRefused,
    Location,
    cell_text,
    encoding_note,
    parse_difficulty,
    parse_letters,
    parse_true_false,
    split_list,
)

OPTION_LABELS = "ABCDEFGHIJ"

TYPE_WORDS = {
    "single_choice": [
        "单选",
        "单选题",
        "单项选择",
        "单项选择题",
        "单择",
        "single",
        "single_choice",
        "singlechoice",
        "radio",
    ],
    "multiple_choice": [
        "多选",
        "多选题",
        "多项选择",
        "多项选择题",
        "不定项",
        "不定项选择题",
        "multiple",
        "multiple_choice",
        "multiplechoice",
        "checkbox",
    ],
    "true_false": ["判断", "判断题", "是非题", "对错题", "true_false", "truefalse", "tf", "judge"],
    "fill_blank": ["填空", "填空题", "fill", "fill_blank", "fillblank", "blank", "cloze"],
    "short_answer": [
        "简答",
        "简答题",
        "问答",
        "问答题",
        "论述题",
        "short",
        "short_answer",
        "shortanswer",
        "essay",
    ],
}
_TYPE_LOOKUP = {word: qtype for qtype, words in TYPE_WORDS.items() for word in words}
TYPE_LABELS = {
    "single_choice": "单选",
    "multiple_choice": "多选",
    "true_false": "判断",
    "fill_blank": "填空",
    "short_answer": "简答",
}

HEADER_WORDS = {
    "type": ["题型", "试题类型", "题目类型", "类型", "type", "questiontype", "question_type"],
    "stem": [
        "题干",
        "题目",
        "试题",
        "试题内容",
        "题目内容",
        "问题",
        "stem",
        "question",
        "title",
        "questiontext",
        "question_text",
    ],
    "answer": [
        "答案",
        "正确答案",
        "标准答案",
        "参考答案",
        "answer",
        "correct",
        "key",
        "correctanswer",
    ],
    "explanation": ["解析", "答案解析", "试题解析", "解释", "explanation", "analysis", "feedback"],
    "difficulty": ["难度", "难易度", "难度系数", "difficulty", "level"],
    "knowledge_points": [
        "知识点",
        "考点",
        "knowledgepoints",
        "knowledge_points",
        "knowledge",
        "points",
    ],
    "tags": ["标签", "tags", "tag"],
    "keywords": ["关键词", "评分关键词", "得分点", "keywords", "keyword"],
    "source": ["来源", "出处", "source"],
    "usage": ["用途", "usage"],
}
HEADER_WORDS["option_feedback"] = ["选项反馈", "选项解析", "optionfeedback", "option_feedback"]
HEADER_WORDS["text_format"] = ["文本格式", "textformat", "text_format"]
HEADER_WORDS["blank_order"] = ["填空顺序", "顺序", "答案顺序", "blankorder", "ordered"]
for _index, _label in enumerate("ABCDEFGHIJKL", start=1):
    # one column per blank: 答案A … 答案L (or 答案1 … 答案12, 第1空 …)
    HEADER_WORDS[f"blank_{_index}"] = [
        f"答案{_label}",
        f"答案{_label.lower()}",
        f"答案{_index}",
        f"第{_index}空",
        f"空{_index}",
        f"answer{_label.lower()}",
        f"answer{_index}",
    ]
for _index, _label in enumerate(OPTION_LABELS):
    HEADER_WORDS[f"option_{_label}"] = [
        f"选项{_label}",
        f"{_label}",
        f"option{_label.lower()}",
        f"option_{_label.lower()}",
        f"选项{_label.lower()}",
        f"{_label.lower()}",
        f"{_label}选项",
    ]
_HEADER_LOOKUP = {word.lower(): name for name, words in HEADER_WORDS.items() for word in words}

USAGE_WORDS = {
    "练习": "practice",
    "考试": "exam",
    "通用": "both",
    "practice": "practice",
    "exam": "exam",
    "both": "both",
    "全部": "both",
}
FORMAT_WORDS = {
    "": "plain",
    "纯文本": "plain",
    "plain": "plain",
    "markdown": "markdown",
    "md": "markdown",
}


def normalise_header(raw: Any) -> str:
    """``" 题干（必填）："``, ``"选项Ａ"``, ``"*答案"`` → the bare header word."""
    text = unicodedata.normalize("NFKC", cell_text(raw)).strip()
    text = re.sub(r"\((必填|选填|可选|必选|required|optional)\)", "", text, flags=re.IGNORECASE)
    text = re.sub(r"[\s*:：]+", "", text)
    return text.lower()


def header_field(raw: Any) -> str | None:
    return _HEADER_LOOKUP.get(normalise_header(raw))


def type_from_word(raw: str) -> str | None:
    word = re.sub(r"[\s()（）\d.、]+", "", unicodedata.normalize("NFKC", raw)).lower()
    return _TYPE_LOOKUP.get(word)


_NUMBERING = re.compile(
    r"^\s*([一二三四五六七八九十]+|\d+|[（(]\s*[一二三四五六七八九十\d]+\s*[)）])\s*[、.．,，:：]?"
)
_ASIDE = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")


def sheet_type(name: str) -> str | None:
    """The type a sheet's name gives its rows: ``单选题``, ``一、单选题（共3题）``,
    ``填空题（每空一列）``, ``3.判断题``; a name holding one type word, else None."""
    bare = _ASIDE.sub("", _NUMBERING.sub("", unicodedata.normalize("NFKC", name)))
    exact = type_from_word(bare)
    if exact:
        return exact
    found = {qtype for word, qtype in _TYPE_LOOKUP.items() if len(word) >= 2 and word in bare}
    return found.pop() if len(found) == 1 else None


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- reading ---------------------------------------------------------------------------------


def check_xlsx_container(path: Path, max_unzipped: int) -> None:
    """Refuse what is not an .xlsx, and zip bombs, before any XML inside is parsed."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
            if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
                raise FileRefused(
                    "不是 Excel 工作簿 (.xlsx) / Not an Excel workbook (.xlsx)", status=415
                )
            if len(entries) > 10_000:
                raise FileRefused(
                    "工作簿内文件过多 / The workbook holds too many parts", status=422
                )
            unpacked = sum(entry.file_size for entry in entries)
            packed = sum(entry.compress_size for entry in entries) or 1
            if unpacked > max_unzipped or unpacked / packed > 200:
                raise FileRefused(
                    "工作簿解压后过大，疑似压缩炸弹 / The workbook unpacks to an unsafe size "
                    f"({unpacked} bytes from {packed})",
                    status=413,
                )
    except zipfile.BadZipFile:
        raise FileRefused("不是有效的 .xlsx 文件 / Not a valid .xlsx file", status=415) from None


MAX_COLUMNS = 64  # the template has 16; far-off cells make readers allocate the whole range
_CELL = re.compile(r"^([A-Z]{1,3})(\d{1,7})$")


def check_sheet_extent(path: Path, max_rows: int) -> None:
    """Read where each sheet's cells really are (never its declared dimension), refusing a
    sheet too wide or too long before any reader sizes its grid by it. Every part of the
    archive whose root is a worksheet is read, wherever the workbook's relations put it, and
    a row or cell without its reference is placed after the one before, as readers place it."""
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            with archive.open(name) as stream:
                try:
                    _check_one_sheet(stream, max_rows)
                except (ParseError, DefusedXmlException) as exc:
                    if name.endswith(".xml") or name.endswith(".rels"):
                        raise FileRefused(
                            f"工作表格式不正确 / A sheet cannot be read: {exc}"
                        ) from exc
                    # not XML at all (images, binaries): no sheet of a reader's


def _check_one_sheet(stream: IO[bytes], max_rows: int) -> None:
    row = column = 0
    first = True
    for event, element in iterparse(stream, events=("start", "end")):
        tag = element.tag.rsplit("}", 1)[-1]
        if first:
            if tag != "worksheet":
                return  # another part of the workbook
            first = False
        if event == "start" and tag == "row":
            declared = element.get("r")
            row = int(declared) if declared and declared.isdigit() else row + 1
            column = 0
            if row > max_rows + 10:  # header and notes rows on top
                raise FileRefused(_too_many_rows(max_rows, row))
        elif event == "start" and tag == "c":
            match = _CELL.match(element.get("r") or "")
            column = _column(match.group(1)) if match else column + 1
            if match and int(match.group(2)) > max_rows + 10:
                raise FileRefused(_too_many_rows(max_rows, int(match.group(2))))
            if column > MAX_COLUMNS:
                where = match.group(0) if match else f"第 {row} 行第 {column} 列 / row {row}"
                raise FileRefused(
                    f"工作表有超过 {MAX_COLUMNS} 列的单元格（{where}）/ "
                    f"A sheet has cells beyond column {MAX_COLUMNS} ({where})"
                )
        elif event == "end" and tag == "row":
            element.clear()


def _column(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _too_many_rows(max_rows: int, row: int | None = None) -> str:
    where = f"（第 {row} 行）" if row else ""
    where_en = f" (row {row})" if row else ""
    return (
        f"文件超过 {max_rows} 行{where}，请拆分后分批导入 / More than {max_rows} rows{where_en}: "
        "split the file"
    )


def read_xlsx(path: Path, max_unzipped: int, max_rows: int = 100_000) -> Iterator[Candidate]:
    check_xlsx_container(path, max_unzipped)
    check_sheet_extent(path, max_rows)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = workbook.sheet_names
    except CalamineError as exc:
        raise FileRefused(
            f"无法读取工作簿 / The workbook cannot be read: {exc}", status=422
        ) from exc
    seen = HeaderSeen()
    hidden = {
        sheet.name
        for sheet in workbook.sheets_metadata
        if sheet.visible != SheetVisibleEnum.Visible
    }
    for name in names:
        if name in hidden:  # obsolete questions and helper lists hide there: said, not read
            note = Candidate(Location(sheet=name), {})
            note.warn(
                f"工作表「{name}」是隐藏的，未导入；如需导入请先取消隐藏 / sheet {name!r} is "
                "hidden and was not imported: unhide it to import it"
            )
            yield note
            continue
        try:
            rows = workbook.get_sheet_by_name(name).iter_rows()
        except CalamineError as exc:
            raise FileRefused(
                f"无法读取工作表 {name} / Sheet {name} cannot be read: {exc}"
            ) from exc
        yield from read_rows(rows, sheet=name, sheet_type=sheet_type(name), seen=seen)
    if not seen.found:
        raise FileRefused("没有找到表头（题型、题干、答案…）/ No header row (题型, 题干, 答案, …)")


def read_csv(source: bytes | Path) -> Iterator[Candidate]:
    """Questions of a CSV (or tab-separated) file, read as a stream: a file of a million rows
    is never held whole, and reading stops as soon as its reader stops asking."""
    seen = HeaderSeen()
    with io.BytesIO(source) if isinstance(source, bytes) else source.open("rb") as binary:
        encoding = sniff_encoding(binary)
        if encoding != "utf-8":
            yield encoding_note("GB18030（GBK）" if encoding == GB else "UTF-16")
        reader = csv_reader(binary, encoding)
        rows = ([spreadsheets.csv_value(cell) for cell in row] for row in reader)
        try:
            yield from read_rows(rows, sheet=None, sheet_type=None, seen=seen)
        except csv.Error as exc:  # a field over csv's size limit, a stray quote
            line = reader.line_num
            raise FileRefused(
                f"CSV 第 {line} 行无法读取：{exc} / CSV line {line} cannot be read: {exc}",
                status=422,
            ) from None
    if not seen.found:
        raise FileRefused("没有找到表头（题型、题干、答案…）/ No header row (题型, 题干, 答案, …)")


def csv_reader(binary: IO[bytes], encoding: str) -> Any:
    """A csv reader over the file in its encoding, comma- or tab-separated by its first line."""
    lines = (
        io.TextIOWrapper(binary, encoding="utf-16", newline="")
        if encoding == "utf-16"
        else decoded_lines(binary, encoding)
    )
    first = next(lines, "")
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    return csv.reader(itertools.chain([first], lines), delimiter=delimiter)


SNIFFED = 1 << 16


def sniff_encoding(binary: IO[bytes]) -> str:
    """UTF-8, UTF-16 (by its BOM) or GB18030 (Chinese Excel's "CSV"), judged by the file's
    first 64 KB: a file that starts as UTF-8 is read as UTF-8 to its end."""
    head = binary.read(SNIFFED)
    binary.seek(0)
    if head.startswith(UTF16_BOMS):
        return "utf-16"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3 or len(head) < SNIFFED:  # not a character cut at 64 KB
            return GB
    return "utf-8"


def decoded_lines(binary: IO[bytes], encoding: str) -> Iterator[str]:
    """Each line of the file in its encoding (a UTF-8 BOM is allowed), or the number of the
    first that is not."""
    for number, raw in enumerate(binary, start=1):
        try:
            yield raw.decode("utf-8-sig" if number == 1 and encoding == "utf-8" else encoding)
        except UnicodeDecodeError:
            name = "UTF-8" if encoding == "utf-8" else "GBK"
            raise FileRefused(
                f"CSV 文件第 {number} 行不是 {name} 编码，请用 UTF-8 另存后再导入 / Line {number} "
                f"of the CSV file is not {name}; save the file as UTF-8 and retry",
                status=422,
            ) from None


class HeaderSeen:
    """Set by ``read_rows`` once any sheet had a header row."""

    found = False


def read_rows(
    rows: Iterable[list[Any]], *, sheet: str | None, sheet_type: str | None, seen: HeaderSeen
) -> Iterator[Candidate]:
    """Find the header (within the first 10 rows), then turn each non-empty row into a candidate.
    A sheet with content but no header is named in the report with the header it has (a
    warning: an instructions sheet is common; a sheet of questions must never vanish)."""
    header: dict[int, str] | None = None
    columns: dict[str, str] = {}
    first_seen: list[str] = []
    for number, row in enumerate(rows, start=1):
        cells = [cell_text(value) for value in row]
        typed = {index for index, value in enumerate(row) if _excel_value(value)}
        if header is None:
            mapped = {i: f for i, cell in enumerate(row) if (f := header_field(cell))}
            answers = {"answer", "blank_1"} & set(mapped.values())
            if "stem" in mapped.values() and (answers or sheet_type == "short_answer"):
                header, doubled = _first_of_each(mapped, cells)
                columns = column_names(header, {i: cells[i].strip() for i in header})
                seen.found = True
                if doubled:  # 题干 and 题目 both: the first is read, and the report says so
                    note = Candidate(Location(sheet=sheet, row=number), {})
                    note.warn(
                        f"表头有重复含义的列，只读取第一列：{'；'.join(doubled)} / columns meaning "
                        f"the same field: the first is read ({'; '.join(doubled)})"
                    )
                    yield note
            elif number >= 10:
                break
            elif not first_seen and any(c.strip() for c in cells):
                first_seen = [c.strip() for c in cells if c.strip()][:12]
            continue
        if not any(cells):
            continue
        candidate = _candidate(
            cells, header, columns, Location(sheet=sheet, row=number), sheet_type
        )
        _warn_excel_values(candidate, {header[i] for i in typed if i in header}, cells, header)
        yield candidate
    instructions = sheet is not None and normalise_header(sheet) in INSTRUCTION_SHEETS
    if header is None and first_seen and sheet is not None and not instructions:
        note = Candidate(Location(sheet=sheet), {})
        note.warn(
            f"工作表「{sheet}」没有找到表头（需要 题干 和 答案 列），未导入；首个非空行为："
            f"{'、'.join(first_seen)} / sheet {sheet!r} has no header row (题干 and 答案 "
            f"columns needed) and was not imported; its first row: {', '.join(first_seen)}"
        )
        yield note


def _first_of_each(mapped: dict[int, str], cells: list[str]) -> tuple[dict[int, str], list[str]]:
    """The header with one column per field (the first), and the columns left unread."""
    header: dict[int, str] = {}
    first: dict[str, int] = {}
    doubled = []
    for index, field in sorted(mapped.items()):
        if field in first:
            kept = first[field]
            doubled.append(
                f"{column_letter(index)}（{cells[index].strip()}）同 {column_letter(kept)}"
                f"（{cells[kept].strip()}）"
            )
            continue
        first[field] = index
        header[index] = field
    return header, doubled


def column_names(header: dict[int, str], labels: dict[int, str]) -> dict[str, str]:
    """Field → ``"E (答案)"``, once per sheet (shared by its rows' reports)."""
    columns = {
        name: f"{column_letter(index)} ({labels.get(index) or name})"
        for index, name in header.items()
    }
    option_columns = [
        columns[f"option_{lbl}"] for lbl in OPTION_LABELS if f"option_{lbl}" in columns
    ]
    columns["options"] = ", ".join(option_columns[:2]) + ("…" if len(option_columns) > 2 else "")
    return columns


def _candidate(
    cells: list[str],
    header: dict[int, str],
    columns: dict[str, str],
    location: Location,
    sheet_type: str | None,
) -> Candidate:
    values = {name: cells[index] if index < len(cells) else "" for index, name in header.items()}
    candidate = Candidate(location, {}, columns=columns)
    qtype = type_from_word(values.get("type", "")) if values.get("type") else sheet_type
    if qtype is None:
        unnamed = (
            f"；工作表名「{location.sheet}」也不是题型（如 单选题）"
            if location.sheet and not values.get("type")
            else ""
        )
        candidate.refuse(
            f"题型无法识别：{values.get('type') or '（空）'}{unnamed}；应为单选/多选/判断/填空/简答"
            f" / unknown question type {values.get('type')!r}",
            "type",
        )
        return candidate
    if sheet_type and values.get("type") and qtype != sheet_type:
        candidate.warn(
            f"题型列为“{values['type']}”，与工作表名的{TYPE_LABELS[sheet_type]}题不同，按题型列读取"
            f" / the type column says {qtype}, the sheet's name {sheet_type}: read as the column",
            "type",
        )
    data: dict[str, Any] = {
        "type": qtype,
        "stem": values.get("stem", ""),
        "explanation": values.get("explanation", ""),
        "source": values.get("source", ""),
    }
    if values.get("difficulty"):
        difficulty = parse_difficulty(values["difficulty"])
        if difficulty is None:
            candidate.refuse(
                f"难度无法识别：{values['difficulty']} / unknown difficulty", "difficulty"
            )
        data["difficulty"] = difficulty
    if values.get("usage"):
        data["usage"] = USAGE_WORDS.get(values["usage"].strip().lower(), values["usage"])
    written_as = values.get("text_format", "").strip()
    data["text_format"] = FORMAT_WORDS.get(written_as.lower(), written_as)  # others: refused
    data["knowledge_points"] = split_list(values.get("knowledge_points", ""))
    data["tags"] = split_list(values.get("tags", ""))
    answer = values.get("answer", "")
    if qtype in {"single_choice", "multiple_choice"}:
        said = option_feedback(values.get("option_feedback", ""))
        data["options"] = [
            {
                "label": label,
                "text": values[f"option_{label}"],
                **({"feedback": said[label]} if label in said else {}),
            }
            for label in OPTION_LABELS
            if values.get(f"option_{label}", "").strip()
        ]
        letters = parse_letters(answer)
        if letters is None:
            candidate.refuse(
                f"答案应为选项字母，如 A 或 ABD：{answer or '（空）'} / "
                f"the answer lists option letters like A or ABD",
                "answer",
            )
            letters = []
        data["answer"] = {"correct": letters}
    elif qtype == "true_false":
        verdict = parse_true_false(answer)
        if verdict is None:
            candidate.refuse(
                f"判断题答案应为 对/错、正确/错误 或 √/×：{answer or '（空）'} / "
                "a true/false answer is 对/错, 正确/错误 or √/×",
                "answer",
            )
        data["answer"] = {"correct": verdict}
    elif qtype == "fill_blank":
        blanks = blank_answers(data["stem"], answer, values)
        data["answer"] = {
            "blanks": [
                parse_blank(blank, lambda said: candidate.warn(said, "answer")) for blank in blanks
            ],
            "ordered": parse_true_false(values.get("blank_order", "")) is not False
            and values.get("blank_order", "").strip() not in UNORDERED_WORDS,
        }
        _warn_if_mislabelled(candidate, answer, blanks)
    else:
        data["answer"] = {
            "reference": answer,
            "keywords": parse_keywords(values.get("keywords", "")),
            "manual": not values.get("keywords", "").strip(),
        }
        _warn_if_percentages_fall_short(candidate, values.get("keywords", ""), data["answer"])
    candidate.data = data
    return candidate


INSTRUCTION_SHEETS = {"说明", "填写说明", "使用说明", "导入说明", "instructions", "readme", "help"}
# A label starts a line (A：… A.… A、…), or follows ；;|。 with a colon (…；B：…): "B、C选项均
# 不对" after a semicolon names options, it does not start B's feedback
_FEEDBACK_START = re.compile(
    r"(?:(?:^|(?<=\n))[ \t]*([A-Ja-j])[ \t]*[:：.、．]|(?<=[|；;。])[ \t]*([A-Ja-j])[ \t]*[:：])"
    r"[ \t]*"
)


def _excel_value(value: Any) -> bool:
    """A cell Excel keeps as a number that is not a whole one, or as a date or time: what it
    shows (25%, 1/2, 0.1, 8:30) may not be what it holds (0.25, 0.5, 0.1000000001, 08:30:00)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return not value.is_integer()
    return hasattr(value, "isoformat")


ANSWER_FIELDS = {"answer", *(f"blank_{n}" for n in range(1, 13))}


def _warn_excel_values(
    candidate: Candidate, typed: set[str], cells: list[str], header: dict[int, str]
) -> None:
    if candidate.data.get("type") in {"single_choice", "multiple_choice"}:
        for index, name in header.items():
            if name in typed and name.startswith("option_") and index < len(cells):
                label = name.removeprefix("option_")
                candidate.warn(
                    f"选项{label}单元格是 Excel 的数字或日期，保存为“{cells[index]}”；Excel 显示的"
                    "可能不同（如 25%、1:2、3月1日），请核对，或把选项列设为文本 / option "
                    f"{label} is an Excel number or date, kept as {cells[index]!r}: check it",
                    "options",
                )
        return
    if candidate.data.get("type") != "fill_blank":
        return
    for index, name in header.items():
        if name in typed and name in ANSWER_FIELDS and index < len(cells):
            candidate.warn(
                f"答案单元格是 Excel 的数字或日期，保存为“{cells[index]}”；Excel 显示的可能不同"
                "（如 25%、1/2、8:30），请核对，或把答案列设为文本 / the answer cell is an Excel "
                f"number or date, kept as {cells[index]!r}: check that it is what Excel shows",
                name,
            )


def option_feedback(raw: str) -> dict[str, str]:
    """``A：先验电\nB：调度不能代替验电`` (lines, |, ； or ; between) → feedback by option
    label; a line without a label continues the feedback before it."""
    text = raw or ""
    found = {}
    starts = list(_FEEDBACK_START.finditer(text))
    ends = [following.start() for following in starts[1:]] + [len(text)]
    for start, end in zip(starts, ends[: len(starts)], strict=True):
        said = text[start.end() : end].strip().rstrip("；;|").strip()
        if said:
            found[(start.group(1) or start.group(2)).upper()] = said
    return found


UNORDERED_WORDS = {"无序", "不限", "不限顺序", "任意", "任意顺序", "否", "no"}
# strongest first: 、 lists words inside one blank (停电、验电，拆除接地线 is two blanks)
BLANK_SEPARATORS = ("|", "；", ";", "，", ",", "、")
_OPTION_LETTER = re.compile(r"^[A-Ja-j]$")


def blank_answers(stem: str, answer: str, values: dict[str, str]) -> list[str]:
    """Each blank's answer: from one column per blank (答案A …) when the sheet has them, else
    from the answer cell split by | — or by 、，,;； when that gives exactly as many answers
    as the stem has blanks (with one blank, ；separates answers accepted for it)."""
    columns = [values.get(f"blank_{n}", "").strip() for n in range(1, 13)]
    if any(columns):
        return [c for c in columns[: max(i + 1 for i, c in enumerate(columns) if c)]]
    if not answer:
        return []
    if "|" in answer:
        return [part.strip() for part in answer.split("|")]
    wanted = len(BLANK_MARKER.findall(stem))
    if wanted > 1:
        for separator in BLANK_SEPARATORS[1:]:
            parts = [part.strip() for part in answer.split(separator)]
            if len(parts) == wanted and all(parts):
                return parts
    return [answer.strip()]


def _warn_if_mislabelled(candidate: Candidate, answer: str, blanks: list[str]) -> None:
    """A fill-in whose answer is one option letter or a true/false word was most likely a
    choice or true/false question typed wrong: imported as written, and said."""
    if len(blanks) == 1 and (
        _OPTION_LETTER.match(answer.strip()) or parse_true_false(answer) is not None
    ):
        candidate.warn(
            f"填空题的答案是「{answer.strip()}」，像选择题或判断题的答案，请核对题型 / a fill-in "
            f"answered {answer.strip()!r} looks like a choice or true/false question: check its "
            "type",
            "type",
        )


_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_UNIT = r"[^\d\s±+\-.;；|%][^\d±;；|]*?"  # V, kV, Hz, ℃, 毫米 — no digits
_TOLERANCE = re.compile(
    rf"^(?P<value>{_NUMBER})\s*(?P<unit>{_UNIT})?\s*(?:±|\+-|\+/-)\s*(?P<spread>{_NUMBER})"
    rf"\s*(?P<percent>%?)\s*(?P<unit_after>{_UNIT})?$"
)


def parse_blank(raw: str, warn: Callable[[str], None] | None = None) -> dict[str, Any]:
    """``火线；相线`` → two accepted answers; ``3.14±0.01`` → a number with a tolerance;
    ``220±5%`` → 220 within 11; ``220V±5%`` the same, its unit said to ``warn`` (the number is
    graded, not the unit)."""
    match = _TOLERANCE.match(unicodedata.normalize("NFKC", raw).strip())
    if match:
        value, spread = match["value"], abs(float(match["spread"]))
        if match["percent"]:
            spread = round(abs(float(value)) * spread / 100, 12)
        units = [u.strip() for u in (match["unit"], match["unit_after"]) if u and u.strip()]
        if units and warn:
            warn(
                f"单位 {'、'.join(dict.fromkeys(units))} 未保留，只按数值 {value}±{_plain(spread)} "
                f"评分 / the unit is not kept: the number is graded"
            )
        return {"accepted": [value], "tolerance": spread}
    if "±" in raw and warn:
        warn(
            f"“{raw.strip()}”含 ± 却读不出数值和误差，按文字比较 / {raw.strip()!r} holds ± but no "
            "number and tolerance: compared as text"
        )
    return {
        "accepted": [a.strip() for a in re.split(r"[;；]", raw) if a.strip()],
        "tolerance": None,
    }


def _plain(number: float) -> str:
    """A number as people write it: 5e-05 is 0.00005, 11.0 is 11."""
    return format(Decimal(repr(float(number))).normalize(), "f")


def blank_text(blank: dict[str, Any]) -> str:
    if blank.get("tolerance") is not None:
        return f"{blank['accepted'][0]}±{_plain(blank['tolerance'])}"
    return "；".join(blank["accepted"])


def _warn_if_percentages_fall_short(candidate: Candidate, raw: str, answer: dict[str, Any]) -> None:
    """Keyword weights written as percentages are shares of the score; the bank scores by
    shares of their sum, so weights adding up to other than 100% score differently than
    written (铁芯 20% + 绕组 20% is each half the score here)."""
    if "%" not in unicodedata.normalize("NFKC", raw):
        return
    total = sum(k["weight"] for k in answer["keywords"] if k["weight"] > 0)
    if abs(total - 100) > 0.5:
        candidate.warn(
            f"关键词百分比合计 {total:g}%，不是 100%：本题库按各自占合计的比例计分 / the keyword "
            f"percentages add up to {total:g}%, not 100%: each scores its share of the sum",
            "keywords",
        )


_KEYWORD = re.compile(
    r"^(?P<word>.+?)\s*(?:\(\s*(?P<inside>[^()]*?)\s*%?\s*\)|:\s*(?P<after>[^:]*?)\s*%?)?$"
)


_ITEM_START = r"(?:^|(?<=[;；|\n,，]))\s*"
_CIRCLED = re.compile(_ITEM_START + r"[\u2460-\u2473\u2776-\u277f]\s*")
_NUMBERED = re.compile(_ITEM_START + r"(?:[(（]\d{1,2}[)）]|\d{1,2}[.、)）](?!\d))\s*")


def parse_keywords(raw: str) -> list[dict[str, Any]]:
    """``接地:2；验电`` → [{word: 接地, weight: 2}, {word: 验电, weight: 1}]; also weights in
    half- or full-width parentheses, with or without %, separated by ；;，,、 or |:
    ``铁芯（20%）；绕组（20%），油枕（20%）``."""
    keywords = []
    # numbered scoring points (①铁芯；(1)绕组；2.油枕；3、套管) are keywords without numbers
    text = _NUMBERED.sub("", _CIRCLED.sub("", raw))
    text = _NUMBERED.sub("", unicodedata.normalize("NFKC", text))
    for part in re.split(r"[;；|\n,，、]+", text):
        if not part.strip():
            continue
        match = _KEYWORD.match(part.strip())
        word = match["word"] if match else part
        weight = (match["inside"] or match["after"] or "") if match else ""
        if match and match["after"] is not None and word.strip()[-1:].isdigit():
            word, weight = part.strip(), ""  # 变比1:2 is a ratio, not 变比1 weighing 2
        try:
            value = float(weight) if weight.strip() else 1.0
        except ValueError:
            value = -1.0  # reported by validation as a bad weight
        keywords.append(
            {"word": word.strip(), "weight": int(value) if value.is_integer() else value}
        )
    return keywords


# --- writing ---------------------------------------------------------------------------------

HEADERS = [
    "题型",
    "题干",
    *[f"选项{lbl}" for lbl in OPTION_LABELS],
    "答案",
    "解析",
    "难度",
    "知识点",
    "标签",
    "关键词",
    "来源",
    "用途",
    "选项反馈",
    "文本格式",
    "填空顺序",
]
_SEPARATORS = re.compile(r"[|;；±\n]")
_KEYWORD_SEPARATORS = re.compile(r"[;；|\n,，、:：()（）%]")


def expressible(question: dict[str, Any]) -> str | None:
    """Why a question cannot be written to a sheet without reading back otherwise."""
    answer = question["answer"]
    qtype = str(question["type"])
    if qtype == "fill_blank" and any(
        _SEPARATORS.search(accepted) for b in answer["blanks"] for accepted in b["accepted"]
    ):
        return (
            "填空答案含 | ; ； ± 或换行，写入表格后会被拆开 / an accepted answer holds | ; ± or a "
            "line break, which a sheet reads as separators"
        )
    if qtype == "short_answer" and any(
        _KEYWORD_SEPARATORS.search(k["word"]) for k in answer.get("keywords") or []
    ):
        return (
            "关键词含分隔符或括号，写入表格后会被拆开 / a keyword holds a separator or parenthesis "
            "a sheet reads otherwise"
        )
    return None


def feedback_cell(question: dict[str, Any]) -> str:
    """The 选项反馈 cell: ``A：…`` per option with feedback, one per line."""
    return "\n".join(
        f"{o['label']}：{o['feedback']}" for o in question.get("options") or [] if o.get("feedback")
    )


def unwritten(question: dict[str, Any]) -> list[str]:
    """What a sheet writes without: keyword synonyms, more than one accepted number, option
    feedback whose text would read back as another option's."""
    answer = question["answer"]
    lost = []
    given = {o["label"]: o["feedback"] for o in question.get("options") or [] if o.get("feedback")}
    if given and option_feedback(feedback_cell(question)) != given:
        lost.append("feedback")
    if any(k.get("synonyms") for k in answer.get("keywords") or []):
        lost.append("synonyms")
    if any(
        b.get("tolerance") is not None and len(b["accepted"]) > 1
        for b in answer.get("blanks") or []
    ):
        lost.append("accepted")
    return lost


USAGE_LABELS = {"both": "通用", "practice": "练习", "exam": "考试"}


def question_row(question: dict[str, Any]) -> list[Any]:
    qtype = str(question["type"])
    options = {o["label"]: o["text"] for o in question.get("options") or []}
    answer = question["answer"]
    keywords = ""
    if qtype in {"single_choice", "multiple_choice"}:
        answer_text = "".join(answer["correct"])
    elif qtype == "true_false":
        answer_text = "正确" if answer["correct"] else "错误"
    elif qtype == "fill_blank":
        answer_text = "|".join(blank_text(b) for b in answer["blanks"])
    else:
        answer_text = answer.get("reference", "")
        keywords = "；".join(
            f"{k['word']}:{k['weight']}" if k["weight"] != 1 else k["word"]
            for k in answer.get("keywords", [])
        )
    return [
        TYPE_LABELS[qtype],
        question["stem"],
        *[options.get(lbl, "") for lbl in OPTION_LABELS],
        answer_text,
        question.get("explanation", ""),
        question.get("difficulty", 3),
        "，".join(question.get("knowledge_points") or []),
        "，".join(question.get("tags") or []),
        keywords,
        question.get("source", ""),
        USAGE_LABELS[str(question.get("usage") or "both")],
        feedback_cell(question),
        "Markdown" if question.get("text_format") == "markdown" else "",
        "无序" if qtype == "fill_blank" and answer.get("ordered") is False else "",
    ]


def write_xlsx(
    questions: Iterable[dict[str, Any]], target: IO[bytes] | Path, *, instructions: bool = False
) -> int:
    book = spreadsheets.workbook(target, constant_memory=True)
    header_format = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    sheet = book.add_worksheet("试题")
    sheet.write_row(0, 0, HEADERS, header_format)
    sheet.set_column(1, 1, 50)
    sheet.set_column(2, 2 + len(OPTION_LABELS), 18)
    count = 0
    for count, question in enumerate(questions, start=1):
        sheet.write_row(
            count, 0, [str(value) if value is not None else "" for value in question_row(question)]
        )
    if instructions:
        notes = book.add_worksheet("说明")
        for number, line in enumerate(TEMPLATE_NOTES):
            notes.write(number, 0, line)
        notes.set_column(0, 0, 100)
    book.close()
    return count


def write_csv(questions: Iterable[dict[str, Any]], target: IO[bytes]) -> int:
    # UTF-8 with a BOM: Excel on Chinese Windows then opens it without garbling.
    text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow(HEADERS)
    count = 0
    for question in questions:
        writer.writerow([spreadsheets.csv_cell(cell) for cell in question_row(question)])
        count += 1
    text.flush()
    text.detach()
    return count


TEMPLATE_NOTES = [
    "匠云题库导入模板 / Jiangyun question-bank template",
    "题型：单选、多选、判断、填空、简答（也可用英文 single/multiple/true_false/fill/short）",
    "也可以每种题型一个工作表，工作表名即题型（如“单选题”），此时可省略题型列",
    "答案：单选/多选写选项字母，如 A、ABD 或 A,B,D；判断写 对/错、正确/错误 或 √/×",
    "填空：多个空用 | 分隔，同一空的多个可接受答案用 ； 分隔，如 110；一百一十|千伏",
    "数值填空可写误差，如 3.14±0.01",
    "简答：答案写参考答案；关键词列写评分关键词和权重，如 接地:2；验电:1（不写则人工评分）",
    "难度：1–5（或 容易/较易/中等/较难/难）；知识点、标签用 ， 或 、 分隔",
    "用途：练习、考试或通用（考试专用题不会出现在离线练习包中）",
    "选项：2–10 个，A–J；空的选项列可以留空",
    "选项反馈：每行一个，如 A：先验电后挂地线（答题后按反馈策略显示）",
    "文本格式：留空为纯文本；写 Markdown 时题干、选项和解析按 Markdown 显示",
]

TEMPLATE_SAMPLES = [
    {
        "type": "single_choice",
        "stem": "10kV 配电线路停电检修时，应首先进行的操作是（ ）。",
        "options": [
            {"label": "A", "text": "验电"},
            {"label": "B", "text": "断开电源"},
            {"label": "C", "text": "挂接地线"},
            {"label": "D", "text": "悬挂标示牌"},
        ],
        "answer": {"correct": ["B"]},
        "explanation": "停电、验电、装设接地线、悬挂标示牌和装设遮栏。",
        "difficulty": 2,
        "knowledge_points": ["停电作业"],
        "tags": ["安全"],
        "usage": "both",
    },
    {
        "type": "true_false",
        "stem": "发现燃气泄漏时可以开灯检查。",
        "options": [],
        "answer": {"correct": False},
        "explanation": "开关电器可能产生火花，引发爆炸。",
        "difficulty": 1,
        "knowledge_points": ["燃气安全"],
        "tags": [],
        "usage": "practice",
    },
]
