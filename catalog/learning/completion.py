"""Completions: a course completes once its required microlectures are complete and any exam
it requires is passed, whichever comes last; recorded once, with its credits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from catalog.courses.models import Chapter, ChapterItem, Course
from catalog.credits import ledger
from catalog.database import db
from catalog.learning import statements
from catalog.learning.models import LectureProgress
from catalog.quiz.models import QuizMode, QuizSession, QuizTemplate


def required_exams(course_id: int) -> list[int]:
    """The exams a course requires (an exam template naming the course)."""
    return list(
        db.session.scalars(
            select(QuizTemplate.id).where(
                QuizTemplate.course_id == course_id, QuizTemplate.mode == QuizMode.EXAM
            )
        )
    )


def passed_any(user_id: int, template_ids: list[int]) -> bool:
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
    required = required_lectures(course_id)
    if not required or not required <= completed_lectures_of(user_id):
        return
    exams = required_exams(course_id)
    if exams and not passed_any(user_id, exams):
        return
    statements.record(
        user_id, "completed", "course", course_id, when=when, result={"completion": True}
    )
    course = db.session.get(Course, course_id)
    if course is not None and course.credits > 0:
        ledger.earn(user_id, course.credits, "course", course_id, reason=course.title)


def completed_lectures_of(user_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(LectureProgress.microlecture_id).where(
                LectureProgress.user_id == user_id, LectureProgress.completed_at.is_not(None)
            )
        )
    )


def required_lectures(course_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(ChapterItem.microlecture_id)
            .join(Chapter, Chapter.id == ChapterItem.chapter_id)
            .where(Chapter.course_id == course_id, ChapterItem.required.is_(True))
        )
    )
