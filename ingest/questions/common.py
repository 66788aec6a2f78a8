"""What every question-file reader produces: candidates with locations, and problems."""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any


class FileRefused(Exception):
    """The whole file is refused (wrong type, not UTF-8, hostile); nothing is read from it."""

    def __init__(self, message: str, *, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Location:
    """Where a question came from: a sheet and row, or a line (1-based, as editors count)."""

    sheet: str | None = None
    row: int | None = None
    line: int | None = None
    item: int | None = None  # the question's number in the file (Moodle XML)

    def zh(self) -> str:
        if self.row is not None:
            return f"{'工作表“' + self.sheet + '”' if self.sheet else ''}第 {self.row} 行"
        if self.line is not None:
            return f"第 {self.line} 行"
        return f"第 {self.item} 题"

    def en(self) -> str:
        if self.row is not None:
            return f"row {self.row}" + (f" of sheet {self.sheet}" if self.sheet else "")
        if self.line is not None:
            return f"line {self.line}"
        return f"question {self.item}"


@dataclass
class Problem:
    location: Location
    message: str  # 中文 / English
    column: str | None = None  # "E (答案)" in a sheet, a field name elsewhere
    field: str | None = None
    severity: str = "error"  # or "warning": reported, not blocking

    def as_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.location.sheet,
            "row": self.location.row,
            "line": self.location.line,
            "item": self.location.item,
            "column": self.column,
            "field": self.field,
            "severity": self.severity,
            "message": self.message,
        }


@dataclass
class Candidate:
    """A question as read from a file, before validation; ``columns`` maps fields to columns."""

    location: Location
    data: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    images: list[tuple[str, bytes]] = field(default_factory=list)  # (file name, bytes)
    draft: bool = False  # kept as a draft even when the import publishes (hidden in the source)

    def refuse(self, message: str, field_name: str | None = None) -> None:
        self.problems.append(
            Problem(self.location, message, self.columns.get(field_name or ""), field_name)
        )

    def warn(self, message: str, field_name: str | None = None) -> None:
        """Imported as read, with something the source meant that the bank does not hold."""
        self.problems.append(
            Problem(
                self.location,
                message,
                self.columns.get(field_name or ""),
                field_name,
                severity="warning",
            )
        )


def decode_utf8(raw: bytes, what: str) -> str:
    """Text of a file that must be UTF-8 (a BOM is allowed)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRefused(
            f"{what}文件不是 UTF-8 编码（第 {exc.start + 1} 字节），请用 UTF-8 另存后再导入 / "
            f"The {what} file is not UTF-8 (byte {exc.start + 1}); save it as UTF-8 and retry",
            status=422,
        ) from None


UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
GB = "gb18030"  # a superset of GBK and GB2312: what Chinese Windows saves as "ANSI"


def decode_text(raw: bytes, what: str) -> tuple[str, str | None]:
    """A text file's text and, when it was not UTF-8, the encoding it was read in: UTF-8 (a
    BOM is allowed), UTF-16 with its BOM (Excel's "Unicode text"), else GB18030 (Chinese
    Excel's and Notepad's "ANSI"); bytes that are none of these are refused."""
    if raw.startswith(UTF16_BOMS):
        try:
            return raw.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    try:
        return raw.decode(GB), "GB18030（GBK）"
    except UnicodeDecodeError:
        raise FileRefused(
            f"{what}文件既不是 UTF-8 也不是 GBK 编码（第 {first_bad + 1} 字节），请用 UTF-8 另存后"
            f"再导入 / The {what} file is neither UTF-8 nor GBK (byte {first_bad + 1}); save it "
            "as UTF-8 and retry",
            status=422,
        ) from None


def encoding_note(encoding: str) -> Candidate:
    """The report's word that a file was read in another encoding than UTF-8."""
    note = Candidate(Location(), {})
    note.warn(
        f"文件按 {encoding} 编码读取，请核对导入后的文字 / the file was read as {encoding}: "
        "check the imported text"
    )
    return note


# How a stem marks its blanks: ____ (half or full width), （ ）, ( ) or { }.
BLANK_MARKER = re.compile(r"_{2,}|＿{2,}|（\s*）|\(\s*\)|\{\s*\}")

TRUE_WORDS = {"对", "正确", "是", "√", "✓", "✔", "t", "true", "yes", "y", "1", "对的", "正"}
FALSE_WORDS = {"错", "错误", "否", "×", "✗", "✘", "x", "f", "false", "no", "n", "0", "错的", "误"}


def parse_true_false(raw: str) -> bool | None:
    value = unicodedata.normalize("NFKC", raw).strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    return None


_LETTERS = re.compile(r"[A-Ja-j]")


def parse_letters(raw: str) -> list[str] | None:
    """``A``, ``ABD``, ``A,B,D``, ``A、B、D``, full-width ``ＡＢ`` → ["A", "B", "D"]."""
    value = unicodedata.normalize("NFKC", raw).strip()
    if not value:
        return None
    cleaned = re.sub(r"[\s,，、;；/|]+", "", value)
    if not cleaned or not all(_LETTERS.fullmatch(ch) for ch in cleaned):
        return None
    return sorted(set(cleaned.upper()))


def split_list(raw: str) -> list[str]:
    """Knowledge points or tags separated by ，,、;；| or new lines."""
    return [part.strip() for part in re.split(r"[,，、;；|\n]+", raw) if part.strip()]


DIFFICULTY_WORDS = {
    "容易": 1,
    "易": 1,
    "简单": 1,
    "较易": 2,
    "中等": 3,
    "中": 3,
    "一般": 3,
    "较难": 4,
    "难": 5,
    "困难": 5,
}


def parse_difficulty(raw: str) -> int | None:
    value = unicodedata.normalize("NFKC", raw).strip()
    if value in DIFFICULTY_WORDS:
        return DIFFICULTY_WORDS[value]
    try:
        number = float(value)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def cell_text(value: Any) -> str:
    """A cell as text: numbers stored as numbers lose their ``.0``; dates become ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "对" if value else "错"
    if isinstance(value, float):
        # Excel shows at most 15 significant digits: =0.3-0.2 is 0.1, not 0.09999999999999998
        return str(int(value)) if value.is_integer() else f"{value:.15g}"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value).strip()


TAG_SIZE = 40  # the bank's longest tag


def category_tag(path: str) -> str | None:
    """Moodle's category path as a tag, whole (``电力/安全规程``, not ``安全规程``), without
    its ``$course$/top`` root; its last segments when the whole is longer than a tag."""
    segments = [s.strip() for s in path.split("/") if s.strip()]
    while segments and (segments[0].startswith("$") or segments[0].lower() == "top"):
        segments.pop(0)
    while len(segments) > 1 and len("/".join(segments)) > TAG_SIZE:
        segments.pop(0)
    tag = "/".join(segments)[-TAG_SIZE:]
    return tag or None
