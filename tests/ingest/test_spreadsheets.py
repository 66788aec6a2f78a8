"""Spreadsheets we write hold data, never formulas; what we read back is what was written."""

from __future__ import annotations

import io
from pathlib import Path

from python_calamine import CalamineWorkbook

from ingest.questions import tabular
from ingest.spreadsheets import csv_cell, csv_value

FORMULA = '=HYPERLINK("http://evil.example","点我")'
QUESTION = {
    "type": "single_choice",
    "stem": FORMULA,
    "options": [
        {"label": "A", "text": "=cmd|' /C calc'!A0"},
        {"label": "B", "text": "-5℃"},
        {"label": "C", "text": "@SUM(1)"},
    ],
    "answer": {"correct": ["B"]},
    "explanation": "+1",
    "difficulty": 2,
    "knowledge_points": [],
    "tags": [],
    "usage": "both",
}


def test_csv_cells_are_neutralised_and_read_back() -> None:
    for text in (FORMULA, "+1", "-5", "@x", "\tx", "\rx"):
        assert csv_cell(text) == "'" + text and csv_value(csv_cell(text)) == text
    assert csv_cell("plain 普通") == "plain 普通" and csv_value("'quoted") == "'quoted"
    out = io.BytesIO()
    tabular.write_csv([QUESTION], out)
    written = out.getvalue().decode("utf-8-sig")
    assert "'=HYPERLINK" in written and "'-5℃" in written
    [back] = list(tabular.read_csv(out.getvalue()))
    assert back.data["stem"] == FORMULA


def test_xlsx_keeps_strings_strings(tmp_path: Path) -> None:
    path = tmp_path / "bank.xlsx"
    tabular.write_xlsx([QUESTION], path)
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert rows[1][1] == FORMULA  # a formula would read back as its cached value
    assert "=cmd|' /C calc'!A0" in rows[1]
    [back] = list(tabular.read_xlsx(path, 10**8))
    assert back.data["stem"] == FORMULA
