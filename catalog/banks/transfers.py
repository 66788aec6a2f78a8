"""Question files in and out, the editor's side: starting imports and exports, reading import
records and reports, handing out download links and the import template."""

from __future__ import annotations

import io
import posixpath
import re
from typing import IO, Any

from catalog.accounts.models import User
from catalog.background.models import TaskRecord
from catalog.banks.models import (
    QuestionImport,
    QuestionStatus,
)
from catalog.banks.services import get_bank_for_editing
from catalog.banks.tasks import export_questions, import_questions
from catalog.database import db, new_id
from catalog.errors import Invalid, NotFound, UnsupportedMediaType
from catalog.runtime import runtime
from ingest.questions import tabular

FORMATS = ("xlsx", "csv", "gift", "moodle_xml", "aiken")


EXTENSIONS = {".xlsx": "xlsx", ".csv": "csv", ".gift": "gift", ".xml": "moodle_xml"}


def detect_format(file_name: str, requested: str | None) -> str:
    if requested:
        return requested
    extension = posixpath.splitext(file_name.lower())[1]
    if extension == ".txt":
        raise Invalid(
            ".txt 文件可能是 GIFT 或 Aiken，请指定 format / A .txt file may be GIFT or Aiken: "
            "name the format",
            details={"form": {"format": ["required for .txt files"]}},
        )
    if extension not in EXTENSIONS:
        raise UnsupportedMediaType(
            f"不支持的文件类型 {extension or '（无扩展名）'}；支持 .xlsx .csv .gift .xml .txt / "
            f"unsupported file type {extension!r}",
            details={"file_name": file_name},
        )
    return EXTENSIONS[extension]


def start_import(
    user: User,
    bank_id: int,
    stream: IO[bytes],
    *,
    file_name: str,
    content_type: str,
    format: str | None,
    mode: str,
    dry_run: bool,
    publish: bool,
) -> QuestionImport:
    """Keep the uploaded file with the import record, and queue the import."""
    bank = get_bank_for_editing(user, bank_id)
    chosen = detect_format(file_name, format)
    record = QuestionImport(
        id=new_id(),
        bank_id=bank.id,
        created_by_id=user.id,
        file_name=file_name[:255],
        format=chosen,
        mode=mode,
        dry_run=dry_run,
        file_key="",
        file_size=0,
        counts={"publish": int(publish)},
    )
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", posixpath.basename(file_name))[-80:] or "upload"
    record.file_key = f"banks/{bank.id}/imports/{record.id}/{safe}"
    info = runtime().object_store.put(record.file_key, stream, content_type=content_type)
    record.file_size = info.size
    record.task_id = new_id()
    db.session.add(record)
    db.session.commit()
    import_questions.enqueue(record.id, task_id=record.task_id, created_by_id=user.id)
    db.session.refresh(record)
    return record


def get_import(user: User, bank_id: int, import_id: str) -> QuestionImport:
    get_bank_for_editing(user, bank_id)
    record = db.session.get(QuestionImport, import_id)
    if record is None or record.bank_id != bank_id:
        raise NotFound("导入记录不存在 / No such import", details={"id": import_id})
    return record


def report_url(record: QuestionImport) -> str | None:
    if not record.report_key:
        return None
    return (
        runtime()
        .object_store.presign_get(
            record.report_key,
            expires_in=runtime().settings.playback_url_seconds,
            download_name=f"import-report-{record.id}.json",
        )
        .url
    )


def start_export(
    user: User, bank_id: int, format: str, statuses: list[QuestionStatus]
) -> TaskRecord:
    bank = get_bank_for_editing(user, bank_id)
    return export_questions.enqueue(
        bank.id, format, [s.value for s in statuses], created_by_id=user.id
    )


def download_url(user: User, bank_id: int, task_result: dict[str, Any]) -> str:
    get_bank_for_editing(user, bank_id)
    return (
        runtime()
        .object_store.presign_get(
            task_result["key"],
            expires_in=runtime().settings.playback_url_seconds,
            download_name=task_result["file_name"],
        )
        .url
    )


def template_bytes() -> bytes:
    buffer = io.BytesIO()
    tabular.write_xlsx(tabular.TEMPLATE_SAMPLES, buffer, instructions=True)
    return buffer.getvalue()
