"""Draining the outbox: due rows become document upserts and deletes, in order and in
batches, each document rebuilt from the database as it is then. While the engine is down the
rows wait with growing back-off; the rest of the API keeps working.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, update

from catalog.clock import utcnow
from catalog.database import db, single_flight
from catalog.indexing.documents import documents
from catalog.indexing.models import OutboxEntry
from search.interfaces import IndexMissing, SearchEngine, SearchError

log = logging.getLogger("jiangyun.search")

MAX_BACKOFF_SECONDS = 300


def drain(
    engine: SearchEngine,
    ensure: Callable[[str], None],
    *,
    batch: int = 500,
    rounds: int = 20,
) -> dict[str, int]:
    """Apply due outbox rows to the engine; on failure they wait with back-off.

    ``ensure(index)`` creates an index that does not exist yet. One drain runs at a time: one
    that finds another running returns ``busy`` and leaves the rows to it (the running drain
    reads again until none is due; the schedule catches a row committed as it finishes).
    """
    with single_flight("search-drain") as held:
        if not held:
            return {"applied": 0, "failed": 0, "more": 0, "busy": 1}
        return _drain(engine, ensure, batch=batch, rounds=rounds)


def _drain(
    engine: SearchEngine, ensure: Callable[[str], None], *, batch: int, rounds: int
) -> dict[str, int]:
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
    result = db.session.execute(
        delete(OutboxEntry).where(OutboxEntry.done_at < utcnow() - older_than)
    )
    db.session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
