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
    "xlsx": tabular.expressible,
    "csv": tabular.expressible,
    "gift": gift.expressible,
    "moodle_xml": moodle_xml.expressible,
    "aiken": aiken.expressible,
}
# What a format writes without, beyond its KEPT_PARTS: its writer knows
UNWRITTEN = {"xlsx": tabular.unwritten, "csv": tabular.unwritten, "gift": gift.unwritten}


# What each format holds beyond type, stem, options and key; the rest is counted as lost.
KEPT_PARTS = {
    "xlsx": {"explanation", "feedback", "knowledge_points", "tags", "difficulty", "usage"},
    "csv": {"explanation", "feedback", "knowledge_points", "tags", "difficulty", "usage"},
    "gift": {"explanation", "feedback", "tags"},
    "moodle_xml": {"explanation", "feedback", "tags"},
    "aiken": set(),
}
PART_NAMES = {
    "explanation": "解析 / explanation",
    "feedback": "选项反馈 / option feedback",
    "knowledge_points": "知识点 / knowledge points",
    "tags": "标签 / tags",
    "difficulty": "难度 / difficulty",
    "usage": "用途 / usage",
    "reference": "参考答案 / reference answer",
    "synonyms": "关键词同义词 / keyword synonyms",
    "accepted": "数值题的其他正确答案 / further accepted numbers",
    "images": "题干图片 / stem images",
}


def lost_parts(format: str, question: dict[str, Any]) -> list[str]:
    """The parts of ``question`` that ``format`` cannot hold (written without them)."""
    present = {
        "explanation": bool(question.get("explanation")),
        "feedback": any(o.get("feedback") for o in question.get("options") or []),
        "knowledge_points": bool(question.get("knowledge_points")),
        "tags": bool(question.get("tags")),
        "difficulty": question.get("difficulty", 3) != 3,
        "usage": question.get("usage", "both") != "both",
        "images": bool(question.get("stem_images")),  # no export carries the image files
    }
    kept = KEPT_PARTS[format]
    lost = [part for part, there in present.items() if there and part not in kept]
    unwritten = UNWRITTEN.get(format)
    return lost + [part for part in unwritten(question) if part not in lost] if unwritten else lost


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
        "stem_images": version.stem_images,
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
    lost: dict[str, int] = {}
    why_not = WHY_NOT.get(format)

    def questions() -> Iterator[dict[str, Any]]:
        for question_id, version in bank_versions(bank_id, statuses):
            plain = as_plain(version)
            reason = why_not(plain) if why_not else None
            if reason:
                skipped.append({"question_id": question_id, "reason": reason})
                continue
            for part in lost_parts(format, plain):
                lost[PART_NAMES[part]] = lost.get(PART_NAMES[part], 0) + 1
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
        # written, without what the format cannot hold: how many questions lost each part
        "lost": lost,
    }
