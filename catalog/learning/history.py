"""A learner's own record: history, progress per course and microlecture, mastery per
knowledge point, and the export of all of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from catalog.accounts.models import User
from catalog.banks.models import QuestionKnowledgePoint
from catalog.clock import utcnow
from catalog.courses.enrolment import learner_course_ids
from catalog.courses.models import Course
from catalog.credits import certificates, ledger
from catalog.credits.models import CreditTransaction
from catalog.database import db
from catalog.learning.completion import passed_any, required_exams, required_lectures
from catalog.learning.models import LectureProgress, Statement
from catalog.quiz.models import QuizSession, SessionItem


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
        required = required_lectures(course.id)
        done = {m for m in required if m in rows and rows[m].completed_at is not None}
        exams = required_exams(course.id)
        courses.append(
            CourseProgress(
                course_id=course.id,
                title=course.title,
                required_lectures=len(required),
                completed_lectures=len(done),
                exam_required=bool(exams),
                exam_passed=bool(exams) and passed_any(user.id, exams),
                completed=str(course.id) in completed_courses,
                lectures=[rows[m] for m in sorted(required) if m in rows],
            )
        )
    return {"courses": courses, "lectures": sorted(rows.values(), key=lambda p: p.microlecture_id)}


def mastery_of(user: User) -> list[dict[str, Any]]:
    """Per knowledge point, the share of the points earned in graded quiz answers."""
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

    def plain(row: Any, *names: str) -> dict[str, Any]:
        return {n: _json_value(getattr(row, n)) for n in names}

    history = db.session.scalars(history_query(user).order_by(Statement.timestamp, Statement.id))
    sessions = db.session.scalars(
        select(QuizSession).where(QuizSession.user_id == user.id).order_by(QuizSession.started_at)
    )
    transactions = db.session.scalars(
        ledger.ledger_query(user.id).order_by(CreditTransaction.created_at)
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
            for c in certificates.certificates_of(user)
        ],
        "credits": {
            "balance": ledger.balance(user.id),
            "ledger": [
                plain(t, "id", "kind", "credits", "source_type", "source_id", "reason")
                | plain(t, "created_at")
                for t in transactions
            ],
        },
    }


def _json_value(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    return value
