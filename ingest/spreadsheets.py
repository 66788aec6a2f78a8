"""Spreadsheets the service writes hold data, never formulas (OWASP CSV injection): a CSV cell
that a spreadsheet would run (``=``, ``+``, ``-``, ``@``, tab, carriage return first) gets a
leading apostrophe, and an .xlsx keeps every string a string."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import xlsxwriter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """The value as a CSV cell no spreadsheet evaluates."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_value(cell: str) -> str:
    """A cell read back from one of our CSV files: the apostrophe :func:`csv_cell` added goes."""
    if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def workbook(target: IO[bytes] | Path, **options: Any) -> xlsxwriter.Workbook:
    """An .xlsx writer whose strings stay strings (never formulas, never numbers)."""
    return xlsxwriter.Workbook(
        target, {**options, "strings_to_formulas": False, "strings_to_numbers": False}
    )
