"""Recording statements (idempotently, in batches from offline phones) and the progress,
completions and history that follow from them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import marshmallow as ma
from sqlalchemy import Select, func, select

from catalog.accounts.models import User
from catalog.columns import upsert, utcnow
from catalog.courses.models import Chapter, ChapterItem, Course
from catalog.courses.services import learner_course_ids
from catalog.credits import services as credits
from catalog.days import local_day
from catalog.errors import Conflict, Invalid
from catalog.extensions import db
from catalog.learning import progress, statements
from catalog.learning.models import LectureProgress, Statement, TrainingActivity
from catalog.learning.schemas import StatementInSchema
from catalog.lectures.models import Microlecture
from catalog.registry import services

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
    settings = services().settings
    latest = utcnow() + timedelta(seconds=settings.statement_future_seconds)
    outcomes: list[Outcome | None] = [None] * len(raw)
    accepted: dict[str, _Accepted] = {}
    for index, item in enumerate(raw):
        given_id = item.get("id") if isinstance(item, dict) else None
        try:
            data = IN_SCHEMA.load(item if isinstance(item, dict) else {})
        except ma.ValidationError as error:
            outcomes[index] = Outcome(_text(given_id), "rejected", error.messages)
            continue
        if data["timestamp"] > latest:
            outcomes[index] = Outcome(
                data["id"], "rejected", "时间在未来 / timestamp in the future"
            )
            continue
        digest = statements.digest(data)
        earlier = accepted.get(data["id"])
        if earlier is not None:  # the same statement twice in one batch
            outcomes[index] = _repeat(data["id"], earlier.digest, digest)
            continue
        accepted[data["id"]] = _Accepted(index, data, digest)

    lectures = _lectures({a.data["object"]["id"] for a in accepted.values()})
    for statement_id, entry in list(accepted.items()):
        if entry.data["object"]["id"] not in lectures:
            outcomes[entry.index] = Outcome(
                statement_id, "rejected", "没有这个已发布的微课 / no such published microlecture"
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
    beats: dict[int, list[tuple[progress.Heartbeat, datetime]]] = defaultdict(list)
    for statement_id in stored:
        entry = accepted[statement_id]
        outcomes[entry.index] = Outcome(statement_id, "stored")
        beat = progress.Heartbeat(**entry.data["result"])
        beats[entry.data["object"]["id"]].append((beat, entry.data["timestamp"]))
    courses = _courses_by_lecture(user, set(beats))
    for lecture_id, lecture_beats in beats.items():
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
        select(Microlecture).where(
            Microlecture.id.in_(ids),
            Microlecture.is_published.is_(True),
            Microlecture.duration_seconds > 0,
        )
    )
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


def _advance(
    user: User,
    lecture: Microlecture,
    beats: list[tuple[progress.Heartbeat, datetime]],
    course_ids: set[int],
) -> None:
    """Merge heartbeats into the learner's progress (row locked), completing it once;
    ``course_ids``: the learner's courses that hold the microlecture."""
    settings = services().settings
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
    for beat, _ in sorted(beats, key=lambda b: b[1]):
        counted = progress.countable(beat, duration, settings.heartbeat_max_gap_seconds)
        if counted is not None:
            intervals = progress.merge(intervals, counted)
    row.intervals = intervals
    row.seconds_watched = progress.covered(intervals)
    row.last_position = max(beats, key=lambda b: b[1])[0].position_to
    row.updated_at = utcnow()
    gained = row.seconds_watched - before
    if gained > 0:
        _count_activity(user, course_ids, gained, max(when for _, when in beats))
    if row.completed_at is None and row.share_watched >= settings.lecture_completion_share:
        row.completed_at = max(when for _, when in beats)
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
    """For each microlecture, the learner's courses (enrolled or assigned) that hold it."""
    course_ids = learner_course_ids(user) if lecture_ids else set()
    found: dict[int, set[int]] = defaultdict(set)
    if course_ids:
        rows = db.session.execute(
            select(ChapterItem.microlecture_id, Chapter.course_id)
            .join(Chapter, Chapter.id == ChapterItem.chapter_id)
            .where(ChapterItem.microlecture_id.in_(lecture_ids), Chapter.course_id.in_(course_ids))
        )
        for lecture_id, course_id in rows:
            found[lecture_id].add(course_id)
    return found


def _count_activity(user: User, course_ids: set[int], seconds: float, when: datetime) -> None:
    """Add newly watched seconds to the day's person-time of each course they serve (an
    atomic increment: concurrent uploads add up)."""
    table = TrainingActivity.__table__
    rows = [
        {
            "user_id": user.id,
            "course_id": course_id,
            "day": local_day(when),
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


def required_exams(course_id: int) -> list[int]:
    """The exams a course requires (an exam template naming the course)."""
    from catalog.quiz.models import QuizMode, QuizTemplate

    return list(
        db.session.scalars(
            select(QuizTemplate.id).where(
                QuizTemplate.course_id == course_id, QuizTemplate.mode == QuizMode.EXAM
            )
        )
    )


def _passed_any(user_id: int, template_ids: list[int]) -> bool:
    from catalog.quiz.models import QuizSession

    return (
        db.session.scalar(
            select(QuizSession.id)
            .where(
                QuizSession.user_id == user_id,
                QuizSession.template_id.in_(template_ids),
                QuizSession.passed.is_(True),
            )
            .limit(1)
        )
        is not None
    )


def complete_course_if_done(user_id: int, course_id: int, when: datetime) -> None:
    """A course completes once its required microlectures are complete and, if it requires
    an exam, the exam is passed; the completion and its credits are recorded once."""
    required = _required_lectures(course_id)
    if not required or not required <= _completed_lectures_of(user_id):
        return
    exams = required_exams(course_id)
    if exams and not _passed_any(user_id, exams):
        return
    statements.record(
        user_id, "completed", "course", course_id, when=when, result={"completion": True}
    )
    course = db.session.get(Course, course_id)
    if course is not None and course.credits > 0:
        credits.earn(user_id, course.credits, "course", course_id, reason=course.title)


def _completed_lectures_of(user_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(LectureProgress.microlecture_id).where(
                LectureProgress.user_id == user_id, LectureProgress.completed_at.is_not(None)
            )
        )
    )


def _required_lectures(course_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(ChapterItem.microlecture_id)
            .join(Chapter, Chapter.id == ChapterItem.chapter_id)
            .where(Chapter.course_id == course_id, ChapterItem.required.is_(True))
        )
    )


def history_query(user: User) -> Select[Any]:
    return select(Statement).where(Statement.user_id == user.id)


@dataclass
class CourseProgress:
    course_id: int
    title: str
    required_lectures: int
    completed_lectures: int
    exam_required: bool
    exam_passed: bool
    completed: bool
    lectures: list[LectureProgress]


def progress_of(user: User) -> dict[str, Any]:
    """Per course of the learner (required microlectures) and per microlecture started."""
    rows = {
        p.microlecture_id: p
        for p in db.session.scalars(
            select(LectureProgress).where(LectureProgress.user_id == user.id)
        )
    }
    completed_courses = set(
        db.session.scalars(
            select(Statement.object_id).where(
                Statement.user_id == user.id,
                Statement.verb == "completed",
                Statement.object_type == "course",
            )
        )
    )
    courses = []
    for course in db.session.scalars(
        select(Course).where(Course.id.in_(learner_course_ids(user))).order_by(Course.title)
    ):
        required = _required_lectures(course.id)
        done = {m for m in required if m in rows and rows[m].completed_at is not None}
        exams = required_exams(course.id)
        courses.append(
            CourseProgress(
                course_id=course.id,
                title=course.title,
                required_lectures=len(required),
                completed_lectures=len(done),
                exam_required=bool(exams),
                exam_passed=bool(exams) and _passed_any(user.id, exams),
                completed=str(course.id) in completed_courses,
                lectures=[rows[m] for m in sorted(required) if m in rows],
            )
        )
    return {"courses": courses, "lectures": sorted(rows.values(), key=lambda p: p.microlecture_id)}


def mastery_of(user: User) -> list[dict[str, Any]]:
    """Per knowledge point, the share of the points earned in graded quiz answers."""
    from catalog.banks.models import QuestionKnowledgePoint
    from catalog.quiz.models import QuizSession, SessionItem

    rows = db.session.execute(
        select(
            QuestionKnowledgePoint.point,
            func.sum(SessionItem.score),
            func.sum(SessionItem.points),
            func.count(),
        )
        .join(SessionItem, SessionItem.question_id == QuestionKnowledgePoint.question_id)
        .join(QuizSession, QuizSession.id == SessionItem.session_id)
        .where(
            QuizSession.user_id == user.id,
            SessionItem.score.is_not(None),
            SessionItem.pending.is_(False),
        )
        .group_by(QuestionKnowledgePoint.point)
        .order_by(QuestionKnowledgePoint.point)
    )
    return [
        {
            "knowledge_point": point,
            "mastery": round(float(earned or 0) / float(possible), 3) if possible else 0.0,
            "answers": int(answers),
        }
        for point, earned, possible, answers in rows
    ]


def export_of(user: User) -> dict[str, Any]:
    """Everything the platform holds about the learner's own learning, as plain JSON."""
    from catalog.credits import services as credit_bank
    from catalog.credits.models import CreditTransaction
    from catalog.quiz.models import QuizSession

    def plain(row: Any, *names: str) -> dict[str, Any]:
        return {n: _json_value(getattr(row, n)) for n in names}

    history = db.session.scalars(history_query(user).order_by(Statement.timestamp, Statement.id))
    sessions = db.session.scalars(
        select(QuizSession).where(QuizSession.user_id == user.id).order_by(QuizSession.started_at)
    )
    ledger = db.session.scalars(
        credit_bank.ledger_query(user.id).order_by(CreditTransaction.created_at)
    )
    lectures = db.session.scalars(select(LectureProgress).where(LectureProgress.user_id == user.id))
    return {
        "exported_at": utcnow().isoformat(),
        "user": plain(user, "id", "username", "display_name", "organisation_id", "created_at"),
        "statements": [
            plain(s, "statement_id", "verb", "object_type", "object_id", "result", "context")
            | {"timestamp": s.timestamp.isoformat(), "stored": s.stored.isoformat()}
            for s in history
        ],
        "progress": [
            plain(p, "microlecture_id", "seconds_watched", "duration_seconds", "completed_at")
            for p in lectures
        ],
        "quiz_sessions": [
            plain(s, "id", "template_id", "mode", "status", "started_at", "submitted_at", "result")
            for s in sessions
        ],
        "mastery": mastery_of(user),
        "certificates": [
            plain(c, "id", "kind", "status", "skill_level", "number", "issuer", "issued_on")
            | plain(c, "expires_on", "verification_code")
            for c in credit_bank.certificates_of(user)
        ],
        "credits": {
            "balance": credit_bank.balance(user.id),
            "ledger": [
                plain(t, "id", "kind", "credits", "source_type", "source_id", "reason")
                | plain(t, "created_at")
                for t in ledger
            ],
        },
    }


def _json_value(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    return value
