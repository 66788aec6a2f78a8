"""HR rosters (花名册) from .xlsx or .csv: one worker a row, with lenient Chinese headers.

The reader only reads: each row becomes a ``RosterRow`` with its values normalised and its
problems by column; whether a row creates, updates or is refused is the service's call.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook, SheetVisibleEnum

from ingest import spreadsheets
from ingest.questions.common import FileRefused, cell_text
from ingest.questions.tabular import (
    check_sheet_extent,
    check_xlsx_container,
    column_letter,
    csv_reader,
    sniff_encoding,
)

HEADER_WORDS = {
    "employee_no": [
        "工号",
        "员工编号",
        "职工号",
        "员工号",
        "人员编号",
        "employee_no",
        "employeeno",
    ],
    "name": ["姓名", "名字", "员工姓名", "name", "display_name"],
    "phone": ["手机号", "手机", "手机号码", "联系电话", "电话", "phone", "mobile"],
    "department": ["部门路径", "部门", "所属部门", "单位部门", "组织路径", "department"],
    "occupation": ["工种", "岗位工种", "职业工种", "occupation"],
    "skill_level": ["技能等级", "等级", "职业技能等级", "技能鉴定等级", "skill_level", "level"],
    "role": ["角色", "身份", "role", "roles"],
    "username": ["用户名", "账号", "登录名", "username"],
}
_LOOKUP = {word.lower(): name for name, words in HEADER_WORDS.items() for word in words}
FIELDS = list(HEADER_WORDS)

# 1 初级工 (五级) … 5 高级技师 (一级): the five national levels
LEVEL_WORDS = {
    "初级工": 1, "初级": 1, "五级": 1,
    "中级工": 2, "中级": 2, "四级": 2,
    "高级工": 3, "高级": 3, "三级": 3,
    "技师": 4, "二级": 4,
    "高级技师": 5, "一级": 5,
}  # fmt: skip
LEVEL_NAMES = {1: "初级工", 2: "中级工", 3: "高级工", 4: "技师", 5: "高级技师"}
ROLE_NAMES = {"learner": "学员", "instructor": "讲师", "editor": "编辑", "admin": "管理员"}
ROLE_WORDS = {
    "学员": "learner", "职工": "learner", "员工": "learner", "learner": "learner",
    "讲师": "instructor", "教师": "instructor", "instructor": "instructor",
    "编辑": "editor", "题库编辑": "editor", "editor": "editor",
    "管理员": "admin", "admin": "admin",
    "平台管理员": "platform_admin", "platform_admin": "platform_admin",
}  # fmt: skip
PATH_SEPARATORS = re.compile(r"\s*[/／>＞\\]\s*|\s+-\s+")


@dataclass
class RosterRow:
    row: int
    sheet: str | None
    values: dict[str, Any]
    problems: list[tuple[str, str]] = field(default_factory=list)  # (field, message)

    def refuse(self, field_name: str, message: str) -> None:
        self.problems.append((field_name, message))


def header_field(raw: Any) -> str | None:
    text = unicodedata.normalize("NFKC", cell_text(raw)).strip()
    text = re.sub(r"\((必填|选填|可选)\)|[\s*:：]+", "", text)
    return _LOOKUP.get(text.lower())


def skill_level(raw: str) -> int | None:
    text = unicodedata.normalize("NFKC", raw).strip()
    if text.isdigit() and 1 <= int(text) <= 5:
        return int(text)
    return LEVEL_WORDS.get(re.sub(r"[（(].*?[)）]|/.*$", "", text).strip())


Found = tuple[dict[str, str], list[RosterRow]]


def _limited(found: Iterator[Any], max_rows: int) -> Found:
    columns = next(found, None)
    if columns is None:
        raise FileRefused("没有找到表头（工号、姓名…）/ No header row (工号, 姓名, …)")
    rows: list[RosterRow] = []
    for row in found:
        rows.append(row)
        if len(rows) > max_rows:
            raise FileRefused(
                f"文件超过 {max_rows} 行，请拆分后分批导入 / More than {max_rows} rows: split "
                "the file"
            )
    return columns, rows


def read_xlsx(path: Path, max_unzipped: int, max_rows: int) -> Found:
    """The first visible sheet with a header (工号 and 姓名), read whole."""
    check_xlsx_container(path, max_unzipped)
    check_sheet_extent(path, max_rows)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        visible = SheetVisibleEnum.Visible
        sheets = [s.name for s in workbook.sheets_metadata if s.visible == visible]
    except CalamineError as exc:
        raise FileRefused(f"无法读取工作簿 / The workbook cannot be read: {exc}") from exc
    for name in sheets:
        found = _rows(workbook.get_sheet_by_name(name).iter_rows(), sheet=name)
        try:
            return _limited(found, max_rows)
        except FileRefused as exc:
            if "表头" not in str(exc):
                raise
    raise FileRefused("没有找到表头（工号、姓名…）/ No header row (工号, 姓名, …)")


def read_csv(path: Path, max_rows: int) -> Found:
    """A CSV in UTF-8, UTF-16 or GBK (Chinese Excel's), read whole."""
    with path.open("rb") as binary:
        reader = csv_reader(binary, sniff_encoding(binary))
        try:
            return _limited(
                _rows(([spreadsheets.csv_value(c) for c in row] for row in reader), sheet=None),
                max_rows,
            )
        except csv.Error as exc:
            raise FileRefused(f"CSV 第 {reader.line_num} 行无法读取：{exc}") from None


def _rows(rows: Iterable[list[Any]], *, sheet: str | None) -> Iterator[Any]:
    """First the columns found (field → "B (姓名)"), then a RosterRow per non-empty row."""
    header: dict[int, str] | None = None
    for number, row in enumerate(rows, start=1):
        if header is None:
            mapped = {i: f for i, cell in enumerate(row) if (f := header_field(cell))}
            if {"employee_no", "name"} <= set(mapped.values()):
                header = mapped
                yield {
                    name: f"{column_letter(i)} ({cell_text(row[i]).strip()})"
                    for i, name in mapped.items()
                }
            elif number >= 10:
                return
            continue
        cells = [cell_text(value) for value in row]
        if not any(c.strip() for c in cells):
            continue
        yield _row(
            number, sheet, {name: cells[i] if i < len(cells) else "" for i, name in header.items()}
        )


def _row(number: int, sheet: str | None, raw: dict[str, str]) -> RosterRow:
    values: dict[str, Any] = {}
    row = RosterRow(number, sheet, values)
    employee_no = unicodedata.normalize("NFKC", raw.get("employee_no", "")).strip()
    if not employee_no:
        row.refuse("employee_no", "工号不能为空 / the employee number is empty")
    elif len(employee_no) > 64:
        row.refuse("employee_no", "工号最多 64 个字符 / at most 64 characters")
    values["employee_no"] = employee_no
    name = " ".join(raw.get("name", "").split())
    if not name:
        row.refuse("name", "姓名不能为空 / the name is empty")
    elif len(name) > 100:
        row.refuse("name", "姓名最多 100 个字 / at most 100 characters")
    values["name"] = name
    if "phone" in raw:
        values["phone"] = re.sub(r"[\s\-()（）]", "", unicodedata.normalize("NFKC", raw["phone"]))
        if values["phone"] and not re.fullmatch(r"\+?\d{6,15}", values["phone"]):
            row.refuse("phone", f"手机号无法识别：{raw['phone']} / unreadable phone number")
    if "department" in raw:
        path = [p for p in PATH_SEPARATORS.split(raw["department"].strip()) if p]
        if any(len(p) > 100 for p in path) or len(path) > 30:
            row.refuse("department", "部门路径过长 / the department path is too long")
        values["department"] = path
    if "occupation" in raw:
        values["occupation"] = raw["occupation"].strip()[:60]
    if "skill_level" in raw:
        level = skill_level(raw["skill_level"]) if raw["skill_level"].strip() else None
        if raw["skill_level"].strip() and level is None:
            row.refuse(
                "skill_level",
                f"技能等级无法识别：{raw['skill_level']}（初级工…高级技师，或 1–5）/ unknown level",
            )
        values["skill_level"] = level
    if "role" in raw:
        words = [w for w in re.split(r"[,，、;；/\s]+", raw["role"].strip().lower()) if w]
        roles = [ROLE_WORDS.get(word) for word in words]
        if None in roles:
            row.refuse("role", f"角色无法识别：{raw['role']} / unknown role")
        values["roles"] = sorted({r for r in roles if r}) or ["learner"]
    if raw.get("username", "").strip():
        values["username"] = raw["username"].strip()
    return row


def template_rows() -> list[list[str]]:
    return [
        ["工号", "姓名", "手机号", "部门路径", "工种", "技能等级", "角色", "用户名"],
        [
            "BJ-0001",
            "张三",
            "13800000001",
            "北区分公司/检修车间/一班",
            "变电检修工",
            "高级工",
            "学员",
            "",
        ],
        ["BJ-0002", "李四", "", "北区分公司/检修车间/二班", "电工", "中级工", "学员,讲师", ""],
    ]


def as_row(user: dict[str, Any]) -> list[Any]:
    return [
        user["employee_no"] or "",
        user["name"],
        user["phone"] or "",
        "/".join(user["department"]),
        user["occupation"] or "",
        LEVEL_NAMES.get(user["skill_level"], ""),
        ",".join(ROLE_NAMES.get(role, role) for role in user["roles"]),
        user["username"],
    ]
