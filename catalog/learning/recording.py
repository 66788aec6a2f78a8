"""Recording statements: idempotent batches from offline phones, each stored, a duplicate or
rejected with its reason; heartbeats merged into honest progress and the completions it earns."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import marshmallow as ma
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from catalog.accounts.models import User
from catalog.clock import local_day, utcnow
from catalog.courses import catalogue
from catalog.courses.enrolment import learner_course_ids
from catalog.database import db, upsert
from catalog.errors import Conflict, Invalid, translate
from catalog.learning import progress, statements
from catalog.learning.completion import complete_course_if_done
from catalog.learning.models import (
    LectureProgress,
    Statement,
    StudyTime,
    TrainingActivity,
    WatchClock,
)
from catalog.learning.schemas import StatementInSchema
from catalog.lectures.models import Microlecture
from catalog.runtime import runtime

IN_SCHEMA = StatementInSchema()


@dataclass
class Outcome:
    id: str | None
    status: str  # stored, duplicate or rejected
    reason: Any = None
    clash: bool = False  # rejected because the id holds other content


@dataclass
class _Accepted:
    index: int
    data: dict[str, Any]
    digest: str


def record_batch(user: User, raw: list[Any]) -> list[Outcome]:
    """Store each new statement once; answer for each (one bad one spoils no other)."""
    settings = runtime().settings
    latest = utcnow() + timedelta(seconds=settings.statement_future_seconds)
    earliest = utcnow() - timedelta(days=settings.statement_past_days)
    outcomes: list[Outcome | None] = [None] * len(raw)
    accepted: dict[str, _Accepted] = {}
    for index, item in enumerate(raw):
        given_id = item.get("id") if isinstance(item, dict) else None
        try:
            data = IN_SCHEMA.load(item if isinstance(item, dict) else {})
        except ma.ValidationError as error:
            outcomes[index] = Outcome(_text(given_id), "rejected", translate(error.messages))
            continue
        if data["timestamp"] > latest:
            outcomes[index] = Outcome(
                data["id"], "rejected", "时间在未来 / timestamp in the future"
            )
            continue
        if data["timestamp"] < earliest:
            outcomes[index] = Outcome(
                data["id"],
                "rejected",
                f"时间早于 {settings.statement_past_days} 天前 / timestamp more than "
                f"{settings.statement_past_days} days ago",
            )
            continue
        digest = statements.digest(data)
        earlier = accepted.get(data["id"])
        if earlier is not None:  # the same statement twice in one batch
            outcomes[index] = _repeat(data["id"], earlier.digest, digest)
            continue
        accepted[data["id"]] = _Accepted(index, data, digest)

    lectures = _lectures({a.data["object"]["id"] for a in accepted.values()})
    skew = timedelta(seconds=settings.statement_future_seconds)  # device clocks run fast or slow
    for statement_id, entry in list(accepted.items()):
        lecture = lectures.get(entry.data["object"]["id"])
        if lecture is None:
            outcomes[entry.index] = Outcome(
                statement_id, "rejected", "没有这个已发布的微课 / no such published microlecture"
            )
            del accepted[statement_id]
            continue
        began = max(user.created_at, lecture.published_at or lecture.created_at)
        if entry.data["timestamp"] < began - skew:
            outcomes[entry.index] = Outcome(
                statement_id,
                "rejected",
                "时间早于账号创建或微课发布 / timestamp before the account or the microlecture "
                "existed",
            )
            del accepted[statement_id]

    stored = _insert(user, list(accepted.values()))
    if len(stored) < len(accepted):  # stored before (a retry), or by a concurrent upload
        rows = db.session.execute(
            select(Statement.statement_id, Statement.content_hash).where(
                Statement.user_id == user.id,
                Statement.statement_id.in_([i for i in accepted if i not in stored]),
            )
        )
        known = {statement_id: digest for statement_id, digest in rows}
        for statement_id, entry in accepted.items():
            if statement_id not in stored:
                outcomes[entry.index] = _repeat(statement_id, known.get(statement_id), entry.digest)
    beats = [
        Beat(
            progress.Heartbeat(**accepted[i].data["result"]),
            accepted[i].data["timestamp"],
            i,
            accepted[i].data["object"]["id"],
        )
        for i in stored
    ]
    for statement_id in stored:
        outcomes[accepted[statement_id].index] = Outcome(statement_id, "stored")
    counted = _spend_watch_clock(user, beats, lectures)
    courses = _courses_by_lecture(user, set(counted))
    for lecture_id, lecture_beats in counted.items():
        _advance(user, lectures[lecture_id], lecture_beats, courses.get(lecture_id, set()))
    db.session.commit()
    return [o if o is not None else Outcome(None, "rejected", "?") for o in outcomes]


def record_one(user: User, statement: dict[str, Any]) -> Outcome:
    """One statement: stored or a harmless repeat; a clash with its id is 409, a bad one 422."""
    [outcome] = record_batch(user, [statement])
    if outcome.status == "rejected":
        if outcome.clash:
            raise Conflict(outcome.reason, code="statement_conflict")
        details = outcome.reason if isinstance(outcome.reason, dict) else {"reason": outcome.reason}
        raise Invalid("记录不合格 / The statement was refused", details={"json": details})
    return outcome


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _repeat(statement_id: str, stored_digest: str | None, digest: str) -> Outcome:
    if stored_digest == digest:
        return Outcome(statement_id, "duplicate")
    return Outcome(
        statement_id,
        "rejected",
        "同一 id 的记录内容不同 / a different statement already has this id (409)",
        clash=True,
    )


def _lectures(ids: set[int]) -> dict[int, Microlecture]:
    if not ids:
        return {}
    found = db.session.scalars(
        select(Microlecture)
        .options(lazyload(Microlecture.instructor), lazyload(Microlecture.organisation))
        .where(
            Microlecture.id.in_(ids),
            Microlecture.is_published.is_(True),
            Microlecture.duration_seconds > 0,
        )
    )  # a heartbeat needs neither the instructor (nor their roles) nor the organisation
    return {lecture.id: lecture for lecture in found}


def _insert(user: User, entries: list[_Accepted]) -> set[str]:
    """Insert what is new; the ids actually stored (a unique key settles races)."""
    if not entries:
        return set()
    now = utcnow()
    rows = [
        {
            "statement_id": e.data["id"],
            "user_id": user.id,
            "verb": e.data["verb"],
            "object_type": e.data["object"]["type"],
            "object_id": str(e.data["object"]["id"]),
            "result": e.data["result"],
            "context": e.data["context"],
            "timestamp": e.data["timestamp"],
            "stored": now,
            "content_hash": e.digest,
        }
        for e in entries
    ]
    table = Statement.__table__
    statement = (
        upsert(Statement)
        .on_conflict_do_nothing(index_elements=["user_id", "statement_id"])
        .returning(table.c.statement_id)
    )
    return set(db.session.scalars(statement, rows))


@dataclass(frozen=True)
class Beat:
    heartbeat: progress.Heartbeat
    when: datetime
    statement_id: str
    lecture_id: int


Counted = tuple[tuple[float, float] | None, progress.Heartbeat, datetime]


def _spend_watch_clock(
    user: User, beats: list[Beat], lectures: dict[int, Microlecture]
) -> dict[int, list[Counted]]:
    """What each new heartbeat earns, by lecture: its own countable stretch, cut to twice the
    device time it spends that no earlier heartbeat spent (the learner's watch clock, row
    locked, so two phones uploading at once take turns)."""
    settings = runtime().settings
    gap = settings.heartbeat_max_gap_seconds
    db.session.execute(
        upsert(WatchClock)
        .values(user_id=user.id, spent=[])
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    clock = db.session.scalar(
        select(WatchClock)
        .where(WatchClock.user_id == user.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert clock is not None
    since = (utcnow() - timedelta(days=settings.statement_past_days, seconds=gap)).timestamp()
    spent: list[list[float]] = [list(i) for i in clock.spent]
    counted: dict[int, list[Counted]] = defaultdict(list)
    # Oldest first (then by id: the same order on every retry), so an offline batch earns what
    # it would have earned had each heartbeat been sent as it was recorded.
    for beat in sorted(beats, key=lambda b: (b.when, b.statement_id)):
        duration = float(lectures[beat.lecture_id].duration_seconds or 0)
        span = progress.wall_span(beat.heartbeat, beat.when.timestamp(), gap)
        spent, fresh = progress.spend(spent, span, since)
        own = progress.countable(beat.heartbeat, duration, gap)
        interval = progress.within(own, fresh * progress.MAX_RATE) if own else None
        counted[beat.lecture_id].append((interval, beat.heartbeat, beat.when))
    clock.spent = spent
    return counted


def _advance(
    user: User,
    lecture: Microlecture,
    beats: list[Counted],
    course_ids: set[int],
) -> None:
    """Merge the counted stretches into the learner's progress (row locked), completing it
    once; ``course_ids``: the learner's courses that hold the microlecture."""
    settings = runtime().settings
    duration = float(lecture.duration_seconds or 0)
    db.session.execute(
        upsert(LectureProgress)
        .values(
            user_id=user.id,
            microlecture_id=lecture.id,
            intervals=[],
            seconds_watched=0.0,
            duration_seconds=duration,
            last_position=0.0,
            updated_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["user_id", "microlecture_id"])
    )
    row = db.session.scalar(
        select(LectureProgress)
        .where(LectureProgress.user_id == user.id, LectureProgress.microlecture_id == lecture.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    before = row.seconds_watched
    intervals = [list(i) for i in row.intervals]
    for interval, _, _ in beats:
        if interval is not None:
            intervals = progress.merge(intervals, interval)
    row.intervals = intervals
    row.seconds_watched = progress.covered(intervals)
    latest = max(beats, key=lambda b: b[2])
    row.last_position = min(max(latest[1].position_to, 0.0), duration)
    row.updated_at = utcnow()
    gained = row.seconds_watched - before
    if gained > 0:
        _count_activity(user, lecture.id, course_ids, gained, latest[2])
    if row.completed_at is None and row.share_watched >= settings.lecture_completion_share:
        row.completed_at = latest[2]
        statements.record(
            user.id,
            "completed",
            "microlecture",
            lecture.id,
            when=row.completed_at,
            result={"completion": True, "share_watched": row.share_watched},
        )
        for course_id in course_ids:
            complete_course_if_done(user.id, course_id, row.completed_at)


def _courses_by_lecture(user: User, lecture_ids: set[int]) -> dict[int, set[int]]:
    """For each microlecture, the learner's courses (enrolled or assigned) whose published
    release holds it."""
    course_ids = learner_course_ids(user) if lecture_ids else set()
    found: dict[int, set[int]] = defaultdict(set)
    for course_id, lectures in catalogue.released_lectures(course_ids).items():
        for lecture in lectures:
            if lecture.id in lecture_ids:
                found[lecture.id].add(course_id)
    return found


def _count_activity(
    user: User, lecture_id: int, course_ids: set[int], seconds: float, when: datetime
) -> None:
    """Add newly earned seconds to the day's study of the microlecture and to the day's
    person-time of each course of the learner's that holds it (atomic increments: concurrent
    uploads add up)."""
    day = local_day(when)
    study = upsert(StudyTime)
    db.session.execute(
        study.values(
            user_id=user.id,
            microlecture_id=lecture_id,
            day=day,
            organisation_id=user.organisation_id,
            seconds_watched=round(seconds, 3),
        ).on_conflict_do_update(
            index_elements=["user_id", "microlecture_id", "day"],
            set_={
                "seconds_watched": StudyTime.__table__.c.seconds_watched
                + study.excluded.seconds_watched
            },
        )
    )
    table = TrainingActivity.__table__
    rows = [
        {
            "user_id": user.id,
            "course_id": course_id,
            "day": day,
            "organisation_id": user.organisation_id,
            "seconds_watched": round(seconds, 3),
        }
        for course_id in sorted(course_ids)
    ]
    if rows:
        statement = upsert(TrainingActivity)
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id", "course_id", "day"],
                set_={
                    "seconds_watched": table.c.seconds_watched + statement.excluded.seconds_watched
                },
            ),
            rows,
        )
