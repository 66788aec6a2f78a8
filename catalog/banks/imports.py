"""Importing question files into a bank: all-or-nothing, dry runs, and a report by row or line."""

from __future__ import annotations

import io
import json
import posixpath
import re
import secrets
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from catalog.banks.duplicates import near_duplicates
from catalog.banks.models import (
    ImportStatus,
    Question,
    QuestionImport,
    QuestionKnowledgePoint,
    QuestionStatus,
    QuestionTag,
    QuestionVersion,
)
from catalog.banks.questions import IMAGE_MAX_BYTES, IMAGE_TYPES, comparable_texts
from catalog.banks.services import near_duplicate_threshold
from catalog.banks.validation import check, comparable_text, fingerprint
from catalog.clock import utcnow
from catalog.database import db
from catalog.errors import NotFound
from catalog.indexing import outbox
from catalog.runtime import runtime
from catalog.uploads import save_to, sniff_bytes
from ingest.questions import aiken, gift, moodle_xml, tabular
from ingest.questions.common import Candidate, FileRefused, Location, Problem
from search.text import squeeze

REPORT_LIMIT = 1000  # problems kept on the record; the whole report goes to object storage
Progress = Callable[[int, str | None], None]


# --- running ---------------------------------------------------------------------------------


def _read(record: QuestionImport, folder: Path) -> Iterator[Candidate]:
    path = folder / "upload"
    save_to(record.file_key, path)
    settings = runtime().settings
    if record.format == "xlsx":
        return tabular.read_xlsx(path, settings.import_max_unzipped_bytes, settings.import_max_rows)
    if record.format == "csv":  # streamed: a long file stops at the row limit, unread
        return tabular.read_csv(path)
    raw = path.read_bytes()
    if record.format == "moodle_xml":  # counted before the tree is built
        return moodle_xml.read(raw, max_questions=settings.import_max_rows)
    readers = {"gift": gift.read, "aiken": aiken.read}
    return readers[record.format](raw)


def run(import_id: str, progress: Progress) -> dict[str, Any]:
    """Read, check and (unless refused or a dry run) import; returns the counts."""
    record = db.session.get(QuestionImport, import_id)
    if record is None:
        raise NotFound("导入记录不存在 / No such import")
    record.status = ImportStatus.RUNNING
    db.session.commit()
    problems: list[Problem] = []
    candidates: list[Candidate] = []
    with tempfile.TemporaryDirectory(prefix="jiangyun-import-") as folder:
        try:
            limit = runtime().settings.import_max_rows
            for candidate in _read(record, Path(folder)):
                candidates.append(candidate)
                if len(candidates) > limit:  # every format: nobody checks a million rows
                    raise FileRefused(
                        f"文件超过 {limit} 题，请拆分后分批导入 / More than {limit} questions: "
                        "split the file"
                    )
                if len(candidates) % 5000 == 0:
                    progress(min(45, 5 + len(candidates) // 2000), f"已读取 {len(candidates)} 题")
        except FileRefused as exc:
            problems.append(Problem(Location(), str(exc)))
            return _finish(record, candidates=0, kept=[], problems=problems, refused=True)
    read = sum(1 for c in candidates if c.data or c.location.row or c.location.line)
    progress(50, f"已读取 {read} 题 / read")
    checked = _check_all(candidates, problems)
    progress(65, "已校验 / checked")
    kept = _drop_duplicates(record.bank_id, checked, problems)
    progress(75, "已查重 / duplicates checked")
    _warn_near_duplicates(record.bank_id, kept, problems)
    progress(80, "已检查相似题 / near-duplicates checked")
    return _finish(
        record,
        candidates=read,  # a note on a sheet without questions is no question read
        kept=kept,
        problems=problems,
        refused=False,
        progress=progress,
    )


Checked = tuple[Candidate, dict[str, Any], str]


def _check_all(candidates: list[Candidate], problems: list[Problem]) -> list[Checked]:
    checked = []
    for candidate in candidates:
        problems.extend(candidate.problems)
        if not candidate.data:
            continue
        # Report everything wrong with a row at once; a field already reported by the reader
        # is not reported again.
        refused = [p for p in candidate.problems if p.severity == "error"]
        read_fields = {p.field for p in refused}
        clean, found = check(candidate.data)
        for field, messages in found.items():
            if field in read_fields:
                continue
            for message in messages:
                problems.append(
                    Problem(candidate.location, message, candidate.columns.get(field), field)
                )
        candidate.data = {}  # the normalised copy is kept; the raw one is not needed again
        image_problems = _check_images(candidate)
        problems.extend(image_problems)
        if not found and not refused and not image_problems:  # warnings import as read
            checked.append((candidate, clean, fingerprint(clean)))
    return checked


def _drop_duplicates(
    bank_id: int, checked: list[Checked], problems: list[Problem]
) -> list[Checked]:
    existing = dict(
        db.session.execute(
            select(Question.fingerprint, Question.id).where(
                Question.bank_id == bank_id, Question.status != QuestionStatus.RETIRED
            )
        ).all()
    )
    first: dict[str, tuple[Location, dict[str, Any]]] = {}
    kept = []
    for candidate, clean, print_ in checked:
        column = candidate.columns.get("stem")
        if print_ in existing:
            held = _held(existing[print_])
            if held is not None and meaning(held) != meaning(clean):
                problems.append(
                    Problem(
                        candidate.location,
                        f"与题库中的试题 {existing[print_]} 相同而答案不同（题库：{_key(held)}；"
                        f"文件：{_key(clean)}），请在题库中修改该题而不是重新导入 / the same "
                        f"question as the bank's {existing[print_]} with another answer (bank: "
                        f"{_key(held)}; file: {_key(clean)}): edit that question instead",
                        candidate.columns.get("answer") or column,
                        "answer",
                    )
                )
                continue
            problems.append(
                Problem(
                    candidate.location,
                    f"与题库中已有的试题 {existing[print_]} 重复 / duplicates question "
                    f"{existing[print_]} of the bank",
                    column,
                    "stem",
                )
            )
        elif print_ in first:
            where, earlier = first[print_]
            if meaning(earlier) != meaning(clean):
                # The same question with two keys: which one is right is the editor's call.
                problems.append(
                    Problem(
                        candidate.location,
                        f"与本文件{where.zh()}题目相同而答案不同（{_key(earlier)} 与 "
                        f"{_key(clean)}），请确认哪个正确 / the same question as {where.en()} "
                        f"with another answer ({_key(earlier)} and {_key(clean)}): say which "
                        "is right",
                        candidate.columns.get("answer") or column,
                        "answer",
                    )
                )
            else:
                problems.append(
                    Problem(
                        candidate.location,
                        f"与本文件{where.zh()}重复 / duplicates {where.en()} of the file",
                        column,
                        "stem",
                    )
                )
        else:
            first[print_] = (candidate.location, clean)
            kept.append((candidate, clean, print_))
    return kept


def _held(question_id: int) -> dict[str, Any] | None:
    """The bank's current version of a question, as the reader's dicts are."""
    version = db.session.scalar(
        select(QuestionVersion)
        .join(Question, Question.id == QuestionVersion.question_id)
        .where(Question.id == question_id, QuestionVersion.version == Question.version)
    )
    if version is None:
        return None
    return {"type": version.type, "options": version.options, "answer": version.answer}


def meaning(question: dict[str, Any]) -> Any:
    """What a key means, whatever letters its options carry: two rows with the options in
    another order (甲乙 key A, 乙甲 key B) mean the same; the same letters over other options do
    not."""
    answer = question["answer"]
    correct = answer.get("correct")
    if isinstance(correct, list):
        texts = {o["label"]: squeeze(o["text"]) for o in question.get("options") or []}
        return frozenset(texts.get(label, label) for label in correct)
    return answer


def _key(question: dict[str, Any]) -> str:
    """A question's key as an editor reads it in a report: letters with their options' text."""
    answer = question["answer"]
    if "correct" in answer:
        value = answer["correct"]
        if isinstance(value, bool):
            return "对" if value else "错"
        texts = {o["label"]: o["text"] for o in question.get("options") or []}
        return "、".join(
            f"{label}（{texts[label][:20]}）" if label in texts else label for label in value
        )
    if "blanks" in answer:
        return "；".join("/".join(b["accepted"]) for b in answer["blanks"])
    return "、".join(k["word"] for k in answer.get("keywords", [])) or "人工评分"


def _warn_near_duplicates(bank_id: int, kept: list[Checked], problems: list[Problem]) -> None:
    existing = [(("bank", qid), text) for qid, text in comparable_texts(bank_id)]
    new = [(("file", i), comparable_text(clean)) for i, (_c, clean, _p) in enumerate(kept)]
    for match in near_duplicates(new, existing, threshold=near_duplicate_threshold()):
        new_ref: tuple[str, int] = match.new  # type: ignore[assignment]
        other_ref: tuple[str, int] = match.other  # type: ignore[assignment]
        candidate = kept[new_ref[1]][0]
        kind, ref = other_ref
        if kind == "bank":
            zh, en = f"题库中的试题 {ref}", f"question {ref} of the bank"
        else:
            where = kept[ref][0].location
            zh, en = f"本文件{where.zh()}", f"{where.en()} of the file"
        problems.append(
            Problem(
                candidate.location,
                f"与{zh}相似（相似度 {match.score:.0f}%），请确认 / "
                f"similar to {en} ({match.score:.0f}%), please check",
                candidate.columns.get("stem"),
                "stem",
                severity="warning",
            )
        )


def _finish(
    record: QuestionImport,
    *,
    candidates: int,
    kept: list[Checked],
    problems: list[Problem],
    refused: bool,
    progress: Progress | None = None,
) -> dict[str, Any]:
    errors = [p for p in problems if p.severity == "error"]
    warnings = len(problems) - len(errors)
    imported = 0
    publish = bool(record.counts.get("publish"))
    if refused or (errors and record.mode == "all_or_nothing"):
        status = ImportStatus.FAILED
    else:
        status = ImportStatus.DONE
        if not record.dry_run:
            if progress is not None:
                progress(80, f"写入 {len(kept)} 题 / writing")
            imported = _insert(record, kept, publish)
    ordered = sorted(
        problems,
        key=lambda p: (
            p.location.sheet or "",
            p.location.row or 0,
            p.location.line or 0,
            p.location.item or 0,
        ),
    )
    report = [p.as_dict() for p in ordered]
    record.counts = {
        "read": candidates,
        "valid": len(kept),
        "errors": len(errors),
        "warnings": warnings,
        "imported": imported,
        "publish": int(publish),
    }
    record.problems = report[:REPORT_LIMIT]
    record.problem_count = len(report)
    if len(report) > REPORT_LIMIT:
        key = f"banks/{record.bank_id}/imports/{record.id}/report.json"
        body = json.dumps({"counts": record.counts, "problems": report}, ensure_ascii=False)
        runtime().object_store.put(key, io.BytesIO(body.encode()), content_type="application/json")
        record.report_key = key
    record.status = status
    record.finished_at = utcnow()
    db.session.commit()
    return dict(record.counts, status=status.value)


def _insert(record: QuestionImport, kept: list[Checked], publish: bool) -> int:
    """Write every kept question in one transaction (committed by the caller), batch by batch."""
    store = runtime().object_store
    status = QuestionStatus.PUBLISHED if publish else QuestionStatus.DRAFT
    now = utcnow()
    batch = 2000
    for start in range(0, len(kept), batch):
        chunk = kept[start : start + batch]
        for candidate, clean, _print in chunk:
            for name, data in candidate.images:
                key = f"banks/{record.bank_id}/images/{secrets.token_hex(8)}-{_safe(name)}"
                store.put(key, io.BytesIO(data), content_type=sniff_bytes(data))  # checked
                clean["stem_images"].append(key)
        ids = db.session.scalars(
            insert(Question).returning(Question.id, sort_by_parameter_order=True),
            [
                {
                    "bank_id": record.bank_id,
                    "status": QuestionStatus.DRAFT if candidate.draft else status,
                    "version": 1,
                    "type": clean["type"],
                    "difficulty": clean["difficulty"],
                    "usage": clean["usage"],
                    "fingerprint": print_,
                    "stem_text": clean["stem"],
                    "created_at": now,
                    "updated_at": now,
                }
                for candidate, clean, print_ in chunk
            ],
        ).all()
        db.session.execute(
            insert(QuestionVersion),
            [
                {
                    "question_id": qid,
                    "version": 1,
                    "type": clean["type"],
                    "stem": clean["stem"],
                    "text_format": clean["text_format"],
                    "stem_images": clean["stem_images"],
                    "options": clean["options"],
                    "answer": clean["answer"],
                    "explanation": clean["explanation"],
                    "difficulty": clean["difficulty"],
                    "knowledge_points": clean["knowledge_points"],
                    "tags": clean["tags"],
                    "source": clean["source"],
                    "usage": clean["usage"],
                    "fingerprint": print_,
                    "created_at": now,
                    "created_by_id": record.created_by_id,
                }
                for qid, (_c, clean, print_) in zip(ids, chunk, strict=True)
            ],
        )
        tags = [
            {"question_id": qid, "tag": t}
            for qid, (_c, clean, _p) in zip(ids, chunk, strict=True)
            for t in clean["tags"]
        ]
        points = [
            {"question_id": qid, "point": p}
            for qid, (_c, clean, _p) in zip(ids, chunk, strict=True)
            for p in clean["knowledge_points"]
        ]
        if tags:
            db.session.execute(insert(QuestionTag), tags)
        if points:
            db.session.execute(insert(QuestionKnowledgePoint), points)
        outbox.record("questions", list(ids))  # bulk inserts skip the ORM's outbox hook
    return len(kept)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", posixpath.basename(name))[-60:] or "image"


def _check_images(candidate: Candidate) -> list[Problem]:
    """A question's embedded files are images of the types a stem may show, read from their
    bytes (an SVG with a script, or HTML named .png, are refused by name), none too large."""
    found = []
    for name, data in candidate.images:
        detected = sniff_bytes(data)
        if detected not in IMAGE_TYPES:
            found.append(
                Problem(
                    candidate.location,
                    f"附件 {name} 不是允许的图片（JPEG、PNG、GIF、WebP），实为 {detected} / "
                    f"The file {name} is not an allowed image (JPEG, PNG, GIF, WebP): {detected}",
                )
            )
        elif len(data) > IMAGE_MAX_BYTES:
            found.append(
                Problem(
                    candidate.location,
                    f"图片 {name} 超过 {IMAGE_MAX_BYTES // 1024 // 1024} MB / The image {name} is "
                    f"larger than {IMAGE_MAX_BYTES // 1024 // 1024} MB",
                )
            )
    return found
