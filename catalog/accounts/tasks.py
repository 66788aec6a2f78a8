"""The accounts' background task: reading an HR roster."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from catalog.accounts.models import RosterImport
from catalog.background.isolation import run_job
from catalog.background.queue import Progress, TaskFailure, tracked_task
from catalog.clock import utcnow
from catalog.database import db

LOST = "处理该文件的进程已停止 / The process reading the file stopped"


def _fail(record: RosterImport, why: str) -> None:
    record.status = "failed"
    record.finished_at = utcnow()
    if not record.problems:
        record.problems = [
            {"sheet": None, "row": None, "column": None, "field": None, "severity": "error",
             "message": why}
        ]  # fmt: skip
    db.session.commit()


def _lost(task_id: str) -> None:
    record = db.session.scalar(select(RosterImport).where(RosterImport.task_id == task_id))
    if record is not None and record.status == "running":
        _fail(record, LOST)


@tracked_task(on_lost=_lost)
def import_roster(progress: Progress, import_id: str) -> dict[str, Any]:
    """Create, update and (when asked) disable workers from an HR roster."""
    record = db.session.get(RosterImport, import_id)
    if record is not None:
        record.status = "running"
        db.session.commit()
    try:
        counts = run_job("catalog.accounts.roster:run", (import_id,), progress)
    except Exception as exc:
        db.session.rollback()
        record = db.session.get(RosterImport, import_id)
        if record is not None:
            _fail(record, str(exc) if isinstance(exc, TaskFailure) else "导入出错 / failed")
        raise
    if counts["status"] == "failed":
        raise TaskFailure(
            f"导入未完成：{counts['errors']} 处错误，未导入任何人员 / Roster refused: "
            f"{counts['errors']} problems, nothing imported"
        )
    return counts
