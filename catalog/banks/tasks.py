"""The banks' background tasks: importing a question file, exporting a bank to one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from catalog.background.isolation import run_job
from catalog.background.queue import Progress, TaskFailure, tracked_task
from catalog.banks import exports
from catalog.banks.models import ImportStatus, QuestionImport
from catalog.clock import utcnow
from catalog.database import db, new_id
from ingest.questions.common import Location, Problem

LOST = "处理该文件的进程已停止 / The process reading the file stopped"


def _fail(record: QuestionImport, why: str) -> None:
    """The import ends failed and its report says why (the task's reason, as a problem)."""
    record.status = ImportStatus.FAILED
    record.finished_at = utcnow()
    if not record.problems:
        record.problems = [Problem(Location(), why).as_dict()]
    db.session.commit()


def _lost_import(task_id: str) -> None:
    record = db.session.scalar(select(QuestionImport).where(QuestionImport.task_id == task_id))
    if record is not None and record.status is ImportStatus.RUNNING:
        _fail(record, LOST)


@tracked_task(on_lost=_lost_import)
def import_questions(progress: Progress, import_id: str) -> dict[str, Any]:
    """Import a question file into its bank (all or nothing unless asked to skip invalid rows)."""
    try:
        counts = run_job("catalog.banks.imports:run", (import_id,), progress)
    except Exception as exc:
        db.session.rollback()
        record = db.session.get(QuestionImport, import_id)
        if record is not None:
            reason = str(exc) if isinstance(exc, TaskFailure) else "导入出错 / The import failed"
            _fail(record, reason)
        raise
    if counts["status"] == "failed":
        raise TaskFailure(
            f"导入未完成：{counts['errors']} 处错误，未导入任何试题 / "
            f"Import refused: {counts['errors']} problems, nothing imported"
        )
    return counts


@tracked_task()
def export_questions(
    progress: Progress, bank_id: int, format: str, statuses: list[str]
) -> dict[str, Any]:
    """Write a bank's questions to a file in object storage."""
    extension = exports.EXPORT_FORMATS[format][0]
    key = f"banks/{bank_id}/exports/{new_id()}{extension}"
    progress(10, "导出中 / exporting")
    return run_job("catalog.banks.exports:export_job", (bank_id, format, statuses, key), progress)
