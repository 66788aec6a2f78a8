"""A learner's own record: history, progress per course and microlecture, mastery per
knowledge point, and the export of all of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from catalog.accounts.models import User
from catalog.banks.models import QuestionKnowledgePoint
from catalog.clock import utcnow
from catalog.courses import catalogue, enrolment
from catalog.courses.enrolment import MyCourse, learner_course_ids
from catalog.courses.models import Course
from catalog.credits import certificates, ledger
from catalog.credits import rules as credit_rules
from catalog.credits.models import CreditTransaction
from catalog.database import db
from catalog.learning.completion import passed_any, required_exams
from catalog.learning.models import LectureProgress, Statement
from catalog.lectures.models import Microlecture
from catalog.quiz.models import QuizSession, QuizTemplate, SessionItem


def history_query(user: User, *, heartbeats: bool = True) -> Select[Any]:
    query = select(Statement).where(Statement.user_id == user.id)
    if not heartbeats:
        query = query.where(Statement.verb != "progressed")
    return query


@dataclass
class Titled:
    """A statement of the learner's timeline with the title of what it is about."""

    statement: Statement
    title: str | None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.statement, name)


def titled(items: list[Statement]) -> list[Titled]:
    """Each statement with its object's title: the microlecture, course, quiz, certificate or
    what a credit was earned for (looked up once per kind for the page)."""
    wanted: dict[str, set[int]] = {}
    for item in items:
        if item.object_type in TITLES and item.object_id.isdigit():
            wanted.setdefault(item.object_type, set()).add(int(item.object_id))
    sessions = {i.object_id for i in items if i.object_type == "quiz_session"}
    titles: dict[tuple[str, str], str] = {}
    for kind, ids in wanted.items():
        id_column, title_column = TITLES[kind]
        for found, name in db.session.execute(
            select(id_column, title_column).where(id_column.in_(ids))
        ):
            titles[(kind, str(found))] = name
    if sessions:
        for session_id, paper, mode in db.session.execute(
            select(QuizSession.id, QuizTemplate.title, QuizSession.mode)
            .outerjoin(QuizTemplate, QuizTemplate.id == QuizSession.template_id)
            .where(QuizSession.id.in_(sessions))
        ):
            titles[("quiz_session", session_id)] = paper or MODE_TITLES.get(mode.value, "")
    result = []
    for item in items:
        title = titles.get((item.object_type, item.object_id))
        if item.object_type == "credit" and item.result:
            title = str(item.result.get("reason") or "") or None
        if item.object_type == "certificate" and title is None and item.result:
            title = credit_rules.LABELS.get(item.result.get("kind", ""))
        if item.object_type == "evaluation_application" and item.result:
            title = str(item.result.get("plan") or "") or None  # the plan's title, as applied
        if item.object_type == "apprenticeship":
            title = "学徒培养"  # 新型学徒制
        result.append(Titled(item, title))
    return result


TITLES = {
    "microlecture": (Microlecture.id, Microlecture.title),
    "course": (Course.id, Course.title),
}
MODE_TITLES = {"daily": "每日一练", "review": "错题重练", "practice": "离线练习"}


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
    completed_courses = _completed_courses(user)
    courses = []
    course_ids = learner_course_ids(user)
    released = catalogue.released_lectures(course_ids)  # every release read once
    for course in db.session.scalars(
        select(Course).where(Course.id.in_(course_ids)).order_by(Course.title_sort, Course.id)
    ):
        required = {lecture.id for lecture in released.get(course.id, []) if lecture.required}
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


@dataclass
class MyCourseProgress:
    """A course of the learner's (enrolment and assignment) with where they are in it."""

    mine: MyCourse
    status: str  # not_started, in_progress, done or overdue
    lectures_done: int
    lectures_total: int
    share: float
    next_lecture: dict[str, Any] | None

    def __getattr__(self, name: str) -> Any:  # the course, enrolment and due date fields
        return getattr(self.mine, name)


def my_courses(user: User) -> list[MyCourseProgress]:
    """The learner's courses with their real progress: done when completed (never overdue
    then), overdue when due before today and not done, in progress once anything of it was
    watched, and the next required microlecture to watch."""
    mine = enrolment.my_courses(user)
    ids = [m.course.course_id for m in mine]
    if not ids:
        return []
    released = catalogue.released_lectures(ids)
    required = {
        course_id: [lecture for lecture in lectures if lecture.required]
        for course_id, lectures in released.items()
    }
    progress = {
        p.microlecture_id: p
        for p in db.session.scalars(
            select(LectureProgress).where(
                LectureProgress.user_id == user.id,
                LectureProgress.microlecture_id.in_(
                    {lecture.id for lectures in required.values() for lecture in lectures}
                ),
            )
        )
    }
    done_courses = _completed_courses(user)
    result = []
    for course in mine:
        course_id = course.course.course_id
        lectures = required.get(course_id, [])
        finished = [i for i in lectures if _done(progress.get(i.id))]
        following = next((i for i in lectures if not _done(progress.get(i.id))), None)
        started = any(i.id in progress for i in lectures)
        done = str(course_id) in done_courses
        if done:
            status = "done"
        elif course.overdue:
            status = "overdue"
        else:
            status = "in_progress" if started else "not_started"
        course.overdue = status == "overdue"
        result.append(
            MyCourseProgress(
                mine=course,
                status=status,
                lectures_done=len(finished),
                lectures_total=len(lectures),
                share=round(len(finished) / len(lectures), 3) if lectures else 0.0,
                next_lecture=(
                    {"id": following.id, "title": following.title}
                    if following is not None and not done
                    else None
                ),
            )
        )
    return result


def _done(row: LectureProgress | None) -> bool:
    return row is not None and row.completed_at is not None


def _completed_courses(user: User) -> set[str]:
    return set(
        db.session.scalars(
            select(Statement.object_id).where(
                Statement.user_id == user.id,
                Statement.verb == "completed",
                Statement.object_type == "course",
            )
        )
    )


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
