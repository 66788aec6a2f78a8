"""Keeping the index in step with the database through a transactional outbox.

Every flush that changes an indexed record adds an outbox row in the same transaction. After
the commit a drain task turns rows into document upserts and deletes, in order and in batches,
rebuilding each document from the database as it is then. While the engine is down the rows
wait with growing back-off; nothing is lost and the rest of the API keeps working.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from catalog.banks.models import Question, QuestionVersion
from catalog.columns import utcnow
from catalog.courses.models import Course, CourseRelease
from catalog.extensions import db
from catalog.lectures.models import Microlecture
from search.documents import documents
from search.interfaces import IndexMissing, SearchEngine, SearchError
from search.models import OutboxEntry

log = logging.getLogger("jiangyun.search")

MAX_BACKOFF_SECONDS = 300
PENDING_KEY = "jiangyun.search_outbox"


def _key(obj: Any) -> tuple[str, str] | None:
    """Which document an ORM object's change touches."""
    if isinstance(obj, Course):
        return ("courses", str(obj.id)) if obj.id is not None else None
    if isinstance(obj, CourseRelease):
        return ("courses", str(obj.course_id))
    if isinstance(obj, Microlecture):
        return ("microlectures", str(obj.id)) if obj.id is not None else None
    if isinstance(obj, Question):
        return ("questions", str(obj.id)) if obj.id is not None else None
    if isinstance(obj, QuestionVersion):
        return ("questions", str(obj.question_id))
    return None


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    keys = set()
    for obj in list(session.new) + list(session.deleted):
        if (key := _key(obj)) is not None:
            keys.add(key)
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False) and (key := _key(obj)):
            keys.add(key)
    _add(session, keys)


def _after_flush(session: Session, _context: Any) -> None:
    # Objects new in this flush have their ids only now: record them for the next flush.
    keys = set()
    for obj in session.new:
        if isinstance(obj, Course | Microlecture | Question) and (key := _key(obj)):
            keys.add(key)
    if keys:
        session.info.setdefault("jiangyun.outbox_late", set()).update(keys)


def _add(session: Session, keys: set[tuple[str, str]]) -> None:
    late = session.info.pop("jiangyun.outbox_late", set())
    for index, doc_id in keys | late:
        session.add(OutboxEntry(index=index, doc_id=doc_id))
    if keys or late:
        session.info[PENDING_KEY] = True


def _before_commit(session: Session) -> None:
    if session.info.get("jiangyun.outbox_late"):
        session.flush()  # writes the rows of records created in the last flush


def _after_commit(session: Session) -> None:
    if session.info.pop(PENDING_KEY, False):
        from search.tasks import drain_soon

        drain_soon()


def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
    session.info.pop("jiangyun.outbox_late", None)


def install() -> None:
    """Listen to every session (idempotent)."""
    for name, listener in (
        ("before_flush", _before_flush),
        ("after_flush", _after_flush),
        ("before_commit", _before_commit),
        ("after_commit", _after_commit),
        ("after_soft_rollback", lambda s, _t: _after_rollback(s)),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def record(index: str, ids: list[int] | list[str]) -> None:
    """Add outbox rows for records written with bulk statements (which skip ORM events)."""
    if ids:
        db.session.execute(
            OutboxEntry.__table__.insert(),
            [
                {"index": index, "doc_id": str(i), "created_at": utcnow(), "attempts": 0}
                for i in ids
            ],
        )
        db.session.info[PENDING_KEY] = True


def drain(
    engine: SearchEngine,
    ensure: Callable[[str], None],
    *,
    batch: int = 500,
    rounds: int = 20,
) -> dict[str, int]:
    """Apply due outbox rows to the engine; on failure they wait with back-off.

    ``ensure(index)`` creates an index that does not exist yet.
    """
    applied = failed = 0
    more = False
    for round_number in range(rounds):
        now = utcnow()
        rows = list(
            db.session.scalars(
                select(OutboxEntry)
                .where(
                    OutboxEntry.done_at.is_(None),
                    (OutboxEntry.next_attempt_at.is_(None)) | (OutboxEntry.next_attempt_at <= now),
                )
                .order_by(OutboxEntry.id)
                .limit(batch)
            )
        )
        if not rows:
            break
        by_index: dict[str, list[OutboxEntry]] = {}
        for row in rows:
            by_index.setdefault(row.index, []).append(row)
        for index, entries in by_index.items():
            ids = list(dict.fromkeys(e.doc_id for e in entries))
            try:
                found = documents(index, ids)
                present = [d for d in found.values() if d is not None]
                absent = [i for i, d in found.items() if d is None]
                try:
                    engine.upsert(index, present)
                    engine.delete(index, absent)
                except IndexMissing:
                    ensure(index)
                    engine.upsert(index, present)
                    engine.delete(index, absent)
            except SearchError as exc:
                failed += len(entries)
                for entry in entries:
                    entry.attempts += 1
                    delay = min(MAX_BACKOFF_SECONDS, 2**entry.attempts)
                    entry.next_attempt_at = now + timedelta(seconds=delay)
                    entry.last_error = str(exc)[:1000]
                log.warning("search outbox: %s entries of %s wait: %s", len(entries), index, exc)
                continue
            for entry in entries:
                entry.done_at = now
            applied += len(entries)
        db.session.commit()
        if failed:
            break
        more = round_number == rounds - 1 and len(rows) == batch
    return {"applied": applied, "failed": failed, "more": int(more)}


def lag() -> dict[str, Any]:
    from sqlalchemy import func

    pending = select(OutboxEntry).where(OutboxEntry.done_at.is_(None)).subquery()
    count, oldest = db.session.execute(
        select(func.count(), func.min(pending.c.created_at)).select_from(pending)
    ).one()
    return {"pending": int(count), "oldest": oldest}


def replay_since(moment: Any) -> int:
    """Make rows done since ``moment`` pending again (after a rebuild swapped the index)."""
    result = db.session.execute(
        update(OutboxEntry)
        .where(OutboxEntry.done_at >= moment)
        .values(done_at=None, next_attempt_at=None)
    )
    db.session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def purge_done(older_than: timedelta = timedelta(days=1)) -> int:
    from sqlalchemy import delete

    result = db.session.execute(
        delete(OutboxEntry).where(OutboxEntry.done_at < utcnow() - older_than)
    )
    db.session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
