"""Exporting a bank to Excel, CSV, GIFT, Moodle XML or Aiken, and the import template."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select

from catalog.background.queue import Progress
from catalog.banks.models import Bank, Question, QuestionStatus, QuestionVersion
from catalog.database import db
from catalog.errors import NotFound
from catalog.runtime import runtime
from ingest.questions import aiken, gift, moodle_xml, tabular

EXPORT_FORMATS = {
    "xlsx": (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "csv": (".csv", "text/csv; charset=utf-8"),
    "gift": (".gift.txt", "text/plain; charset=utf-8"),
    "moodle_xml": (".xml", "application/xml"),
    "aiken": (".aiken.txt", "text/plain; charset=utf-8"),
}
WHY_NOT = {
    "gift": gift.expressible,
    "moodle_xml": moodle_xml.expressible,
    "aiken": aiken.expressible,
}


def as_plain(version: QuestionVersion) -> dict[str, Any]:
    return {
        "type": version.type.value,
        "stem": version.stem,
        "text_format": version.text_format,
        "options": version.options,
        "answer": version.answer,
        "explanation": version.explanation,
        "difficulty": version.difficulty,
        "knowledge_points": version.knowledge_points,
        "tags": version.tags,
        "source": version.source,
        "usage": version.usage.value,
    }


def bank_versions(
    bank_id: int, statuses: list[QuestionStatus]
) -> Iterator[tuple[int, QuestionVersion]]:
    query = (
        select(Question.id, QuestionVersion)
        .join(
            QuestionVersion,
            (QuestionVersion.question_id == Question.id)
            & (QuestionVersion.version == Question.version),
        )
        .where(Question.bank_id == bank_id, Question.status.in_(statuses))
        .order_by(Question.id)
        .execution_options(yield_per=2000)
    )
    for question_id, version in db.session.execute(query):
        yield int(question_id), version


def export_job(
    bank_id: int, format: str, statuses: list[str], key: str, progress: Progress
) -> dict[str, Any]:
    """:func:`export` as a background job (run isolated: a bank's text is untrusted too)."""
    return export(bank_id, format, [QuestionStatus(s) for s in statuses], key)


def export(bank_id: int, format: str, statuses: list[QuestionStatus], key: str) -> dict[str, Any]:
    """Write the bank's questions in ``format`` to ``key``; questions it cannot hold are listed."""
    bank = db.session.get(Bank, bank_id)
    if bank is None:
        raise NotFound("题库不存在 / No such bank")
    skipped: list[dict[str, Any]] = []
    why_not = WHY_NOT.get(format)

    def questions() -> Iterator[dict[str, Any]]:
        for question_id, version in bank_versions(bank_id, statuses):
            plain = as_plain(version)
            reason = why_not(plain) if why_not else None
            if reason:
                skipped.append({"question_id": question_id, "reason": reason})
                continue
            yield plain

    extension, content_type = EXPORT_FORMATS[format]
    with tempfile.TemporaryDirectory(prefix="jiangyun-export-") as folder:
        path = Path(folder) / f"export{extension}"
        if format == "xlsx":
            count = tabular.write_xlsx(questions(), path)
        elif format == "csv":
            with path.open("wb") as out:
                count = tabular.write_csv(questions(), out)
        elif format == "moodle_xml":
            data, count = moodle_xml.write(questions())
            path.write_bytes(data)
        else:
            writer = gift.write if format == "gift" else aiken.write
            text, count = writer(questions())
            path.write_text(text, encoding="utf-8")
        with path.open("rb") as source:
            runtime().object_store.put(key, source, content_type=content_type)
    return {
        "key": key,
        "file_name": f"{bank.name}{extension}",
        "exported": count,
        "skipped_count": len(skipped),
        "skipped": skipped[:200],
    }
