"""The transactional outbox: every flush that changes an indexed record adds an outbox row in
the same transaction, and a commit that added some asks for a drain (``catalog.indexing.drain``
applies them). Search can be down without losing anything.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from catalog.banks.models import Question, QuestionVersion
from catalog.clock import utcnow
from catalog.courses.models import Course, CourseRelease
from catalog.database import db
from catalog.indexing.models import OutboxEntry
from catalog.indexing.tasks import drain_soon
from catalog.lectures.models import Microlecture

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
