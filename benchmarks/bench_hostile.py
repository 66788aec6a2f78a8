"""Files built to exhaust the import (issue 15): how long they hold a worker, how much memory.

- a 2 MB GIFT file of choice questions (checking choices was quadratic: 2.5 minutes at 100 %
  CPU), imported as a dry run through the real task — read, check, exact and near duplicates;
- a CSV one row over ``IMPORT_MAX_ROWS`` (100,000): refused before any row is checked;
- a 1,000,000-row CSV (34 s and 2.1 GB before the limit): refused the same way;
- the 5 KB .xlsx claiming cells up to XFD1048576: refused from its real cell extents.

Each file runs in a fresh child process whose peak resident memory is reported (the worker's
isolated child in production). Run: ``make bench`` or ``.venv/bin/python
benchmarks/bench_hostile.py``.
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_import import question
from benchmarks.measure import emit, figure

GIFT_BYTES = 2_000_000
ROW_LIMIT = 100_000


def write_gift(path: Path) -> int:
    """Choice questions in GIFT until the file passes 2 MB; how many were written."""
    from ingest.questions import gift

    rng = random.Random(2_000_000)
    chunks: list[str] = []
    size = count = 0
    while size < GIFT_BYTES:
        count += 1
        item = question(rng, count)
        if item["type"] not in {"single_choice", "multiple_choice"}:
            continue
        text, _ = gift.write([item])
        chunks.append(text)
        size += len(text.encode("utf-8"))
    path.write_text("".join(chunks), "utf-8")
    return len(chunks)


def write_csv(path: Path, rows: int, *, short: bool = False) -> None:
    """Rows of true/false questions; short ones keep a million rows under IMPORT_MAX_BYTES."""
    stem = "第{n}题" if short else "第{n}题：作业前应核对设备名称和编号"
    with path.open("w", encoding="utf-8") as out:
        out.write("题型,题干,答案\n")
        for n in range(rows):
            out.write(f"判断,{stem.format(n=n)},对\n")


def write_moodle_xml(path: Path, questions: int) -> None:
    """Moodle XML of true/false questions, each on its own lines, as Moodle exports them."""
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n')
        for n in range(questions):
            out.write(
                f'  <question type="truefalse">\n    <name><text>Q{n}</text></name>\n'
                f"    <questiontext><text>第{n}题：作业前核对设备编号</text></questiontext>\n"
                '    <answer fraction="100"><text>true</text></answer>\n'
                '    <answer fraction="0"><text>false</text></answer>\n  </question>\n'
            )
        out.write("</quiz>\n")


def write_dimension_bomb(path: Path) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write(0, 0, "题型")
    sheet.write(1_048_575, 16_383, "x")
    book.close()


def run_one(path: Path) -> dict[str, Any]:
    """Import one file as a dry run through the real task; time, outcome, peak memory."""
    from benchmarks.setup import bench_app
    from catalog.banks import services, transfers
    from catalog.banks.tasks import import_questions
    from catalog.database import db

    with bench_app(tasks_immediate=False) as bench:
        editor = bench.users["editor"]
        bank = services.create_bank(editor, {"name": "恶意文件基准"})
        started = time.perf_counter()
        with path.open("rb") as stream:
            record = transfers.start_import(
                editor,
                bank.id,
                stream,
                file_name=path.name,
                content_type="application/octet-stream",
                format=None,
                mode="all_or_nothing",
                dry_run=True,
                publish=False,
            )
        import_questions.wrapper.call_local(record.task_id, record.id)
        elapsed = time.perf_counter() - started
        db.session.refresh(record)
        problems = record.problems or []
        return {
            "seconds": elapsed,
            "status": record.status.value,
            "counts": record.counts,
            "first_problem": problems[0]["message"] if problems else "",
            # the import runs in the worker's isolated child: the larger of the two is its peak
            "peak_rss_mb": max(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            )
            / 1024,
        }


def measure_file(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--import", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return dict(json.loads(out.splitlines()[-1]))


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--import":
        print(json.dumps(run_one(Path(sys.argv[2])), ensure_ascii=False))
        return
    figures = []
    with tempfile.TemporaryDirectory() as folder:
        cases: list[tuple[str, Path, str, str]] = []
        gift_path = Path(folder) / "choices.gift"
        written = write_gift(gift_path)
        cases.append((f"2 MB GIFT, {written:,} choice questions", gift_path, "≤ 20 s", "≤ 500 MB"))
        over = Path(folder) / "over-limit.csv"
        write_csv(over, ROW_LIMIT + 1)
        cases.append((f"CSV of {ROW_LIMIT + 1:,} rows (refused)", over, "≤ 5 s", "≤ 300 MB"))
        million = Path(folder) / "million.csv"
        write_csv(million, 1_000_000, short=True)
        cases.append(("CSV of 1,000,000 rows (refused)", million, "≤ 5 s", "≤ 300 MB"))
        xml = Path(folder) / "over-limit.xml"
        write_moodle_xml(xml, ROW_LIMIT + 1)
        cases.append(
            (f"Moodle XML of {ROW_LIMIT + 1:,} questions (refused)", xml, "≤ 20 s", "≤ 500 MB")
        )
        bomb = Path(folder) / "bomb.xlsx"
        write_dimension_bomb(bomb)
        cases.append(("5 KB .xlsx claiming XFD1048576 (refused)", bomb, "≤ 2 s", "≤ 300 MB"))
        for label, path, time_target, memory_target in cases:
            result = measure_file(path)
            size = path.stat().st_size
            print(
                f"{label}: {size / 1e6:.2f} MB, {result['status']} in {result['seconds']:.2f} s, "
                f"peak {result['peak_rss_mb']:.0f} MB; counts {result['counts']}"
                + (f"; says: {result['first_problem'][:90]}" if result["first_problem"] else "")
            )
            figures.append(figure(f"{label}: time", result["seconds"], "s", time_target))
            figures.append(
                figure(f"{label}: peak memory", result["peak_rss_mb"], "MB", memory_target)
            )
    emit("hostile files", figures)
    for item in figures:
        print("  " + item.row())


if __name__ == "__main__":
    main()
