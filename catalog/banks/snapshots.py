"""Offline practice snapshots: a bank's practice questions as gzip JSON for phones.

The snapshot's version changes only when its content changes, so a phone downloads it again
only when the bank really changed (it sends the ETag it has).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from catalog.accounts.models import User
from catalog.banks import visibility
from catalog.banks.exports import bank_versions
from catalog.banks.models import Bank, QuestionStatus, QuestionVersion
from catalog.banks.services import get_bank_for_editing, may_edit_bank
from catalog.banks.visibility import PRACTICE_USAGE
from catalog.clock import utcnow
from catalog.database import db
from catalog.errors import Conflict, Invalid, NotFound
from catalog.runtime import runtime


def publish(user: User, bank_id: int) -> Bank:
    """Write the practice snapshot of the bank's published questions (a new version if changed)."""
    bank = get_bank_for_editing(user, bank_id)
    _write(bank, refuse_empty=True)
    return bank


def practice_versions(bank_id: int, withheld: Iterable[int]) -> list[tuple[int, QuestionVersion]]:
    """The bank's questions a practice pack holds: published, for practice, and not held by
    an exam or contest (``withheld``), each at its current version."""
    left_out = set(withheld)
    return [
        (question_id, version)
        for question_id, version in bank_versions(bank_id, [QuestionStatus.PUBLISHED])
        if version.usage in PRACTICE_USAGE and question_id not in left_out
    ]


def _write(bank: Bank, *, refuse_empty: bool = False) -> None:
    """The snapshot as the bank stands now, without the questions an exam or contest holds;
    a new version only when its content changed. Committed here, then the version it replaces
    is deleted, and its links die with it (a question held since may be in it)."""
    withheld = visibility.held_in_banks([bank.id], bank.organisation_id)
    questions = [
        {
            "id": question_id,
            "version": version.version,
            "type": version.type.value,
            "stem": version.stem,
            "text_format": version.text_format,
            "stem_images": version.stem_images,
            "options": version.options,
            "answer": version.answer,
            "explanation": version.explanation,
            "difficulty": version.difficulty,
            "knowledge_points": version.knowledge_points,
        }
        for question_id, version in practice_versions(bank.id, withheld)
    ]
    if refuse_empty and not questions:
        # A pack with nothing to practise told the editor "published" and the learners nothing.
        raise Invalid(
            "题库没有可发布的练习题：请先发布题目（用途含练习） / The bank has no published "
            "practice question to put in a practice pack",
            code="nothing_to_publish",
            details={"withheld_by_exams": len(withheld)},
        )
    bank.snapshot_withheld = withheld
    content = json.dumps(questions, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(content.encode()).hexdigest()
    if digest == bank.snapshot_hash:
        db.session.commit()  # what is withheld, if that alone changed
        return  # nothing changed: same version, same ETag
    version = bank.snapshot_version + 1
    document = {
        "bank": {"id": bank.id, "name": bank.name},
        "version": version,
        "generated_at": utcnow().isoformat(),
        "questions": questions,
    }
    body = gzip.compress(
        json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode(), mtime=0
    )
    key = f"banks/{bank.id}/snapshots/v{version}.json.gz"
    store = runtime().object_store
    store.put(key, io.BytesIO(body), content_type="application/gzip")
    replaced = bank.snapshot_key
    bank.snapshot_version = version
    bank.snapshot_key = key
    bank.snapshot_hash = digest
    bank.snapshot_size = len(body)
    bank.snapshot_count = len(questions)
    bank.snapshot_at = utcnow()
    db.session.commit()
    if replaced:
        store.delete(replaced)


@dataclass
class Snapshot:
    bank_id: int
    version: int
    etag: str
    url: str
    size: int
    question_count: int
    published_at: datetime


def get(user: User, bank_id: int) -> Snapshot:
    """The snapshot of a bank the learner practises (or edits); rewritten first when an exam
    or contest has taken or given back some of its questions since."""
    bank = db.session.get(Bank, bank_id)
    if bank is None or not (
        may_edit_bank(user, bank) or visibility.practisable_bank_ids(user, [bank.id])
    ):
        raise NotFound("题库不存在 / No such bank", details={"id": bank_id})
    if not bank.snapshot_key or bank.snapshot_at is None:
        raise Conflict(
            "该题库还没有离线练习包 / This bank has no practice snapshot yet", code="no_snapshot"
        )
    if user.organisation_id != bank.organisation_id and visibility.held_in_banks(
        [bank.id], user.organisation_id
    ):
        raise Conflict(
            "本单位的考试或竞赛正在使用该题库，考完后才能下载练习包 / An exam or contest of "
            "your organisation holds questions of this bank: its practice pack waits until then",
            code="snapshot_withheld",
        )
    if visibility.held_in_banks([bank.id], bank.organisation_id) != list(
        bank.snapshot_withheld or []
    ):
        _write(bank)
    url = (
        runtime()
        .object_store.presign_get(
            bank.snapshot_key, expires_in=runtime().settings.playback_url_seconds
        )
        .url
    )
    return Snapshot(
        bank.id,
        bank.snapshot_version,
        _etag(bank),
        url,
        bank.snapshot_size or 0,
        bank.snapshot_count or 0,
        bank.snapshot_at,
    )


def _etag(bank: Bank) -> str:
    return f"{bank.id}-{bank.snapshot_version}-{(bank.snapshot_hash or '')[:16]}"


def describe(bank: Bank) -> dict[str, Any] | None:
    if not bank.snapshot_key:
        return None
    return {
        "version": bank.snapshot_version,
        "question_count": bank.snapshot_count,
        "size": bank.snapshot_size,
        "published_at": bank.snapshot_at.isoformat() if bank.snapshot_at else None,
    }


@dataclass
class Pack:
    """A practice pack a learner may download: enough to choose one and to see it changed."""

    bank_id: int
    name: str
    version: int
    question_count: int
    size: int
    published_at: datetime | None


def packs_for(user: User) -> list[Pack]:
    """The practice packs of every bank the learner practises, by name (拼音 order not needed:
    a learner has a handful)."""
    banks = db.session.scalars(
        select(Bank)
        .where(Bank.snapshot_key.is_not(None), visibility.practisable_banks(user))
        .order_by(Bank.name, Bank.id)
    )
    return [
        Pack(
            b.id,
            b.name,
            b.snapshot_version,
            b.snapshot_count or 0,
            b.snapshot_size or 0,
            b.snapshot_at,
        )
        for b in banks
    ]
