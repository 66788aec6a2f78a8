"""Completions: a course completes once its required microlectures are complete and any exam
it requires is passed, whichever comes last; recorded once, with its credits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select

from catalog.accounts.models import User
from catalog.courses import catalogue
from catalog.credits import ledger
from catalog.database import db, upsert
from catalog.learning import statements
from catalog.learning.models import LectureProgress, StudyTime, TrainingActivity
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


def complete_course_if_done(
    user_id: int, course_id: int, when: datetime, required: set[int] | None = None
) -> None:
    """A course completes once its required microlectures are complete and, if it requires
    an exam, the exam is passed; the completion and its credits are recorded once.
    ``required``: the course's required microlectures, when the caller has read them."""
    required = required_lectures(course_id) if required is None else required
    if not required or not required <= completed_lectures_of(user_id):
        return
    exams = required_exams(course_id)
    if exams and not passed_any(user_id, exams):
        return
    statements.record(
        user_id, "completed", "course", course_id, when=when, result={"completion": True}
    )
    release = catalogue.current_release(course_id)  # the reviewed version, not a draft
    if release is not None and release.credits > 0:
        ledger.earn(user_id, release.credits, "course", course_id, reason=release.title)


def completed_lectures_of(user_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(LectureProgress.microlecture_id).where(
                LectureProgress.user_id == user_id, LectureProgress.completed_at.is_not(None)
            )
        )
    )


def required_lectures(course_id: int) -> set[int]:
    """The microlectures the course's current release requires."""
    lectures = catalogue.released_lectures([course_id]).get(course_id, [])
    return {lecture.id for lecture in lectures if lecture.required}


def catch_up(
    course_id: int, *, user_ids: Iterable[int] = (), organisation_id: int | None = None
) -> None:
    """A course just taken (enrolled in, or assigned to users or a whole organisation) counts
    what its learners did before: their days of study of its microlectures in the training
    reports, and, when its required microlectures are done (and any exam passed), its
    completion and credits, once. Order does not matter: the same as had they taken it first."""
    released = catalogue.released_lectures([course_id]).get(course_id, [])
    lectures = {lecture.id for lecture in released}
    if not lectures:
        return
    required = {lecture.id for lecture in released if lecture.required}
    learners = set(user_ids)
    if organisation_id is not None:
        learners |= set(
            db.session.scalars(
                select(StudyTime.user_id)
                .distinct()
                .join(User, User.id == StudyTime.user_id)
                .where(
                    StudyTime.microlecture_id.in_(lectures),
                    User.organisation_id == organisation_id,
                )
            )
        )
        learners |= set(
            db.session.scalars(
                select(LectureProgress.user_id)
                .distinct()
                .join(User, User.id == LectureProgress.user_id)
                .where(
                    LectureProgress.microlecture_id.in_(lectures),
                    LectureProgress.completed_at.is_not(None),
                    User.organisation_id == organisation_id,
                )
            )
        )
    for user_id in sorted(learners):
        _count_past_days(user_id, course_id, lectures)
        finished = db.session.scalar(
            select(func.max(LectureProgress.completed_at)).where(
                LectureProgress.user_id == user_id,
                LectureProgress.microlecture_id.in_(required),
            )
        )
        if finished is not None:
            complete_course_if_done(user_id, course_id, finished, required)
    db.session.commit()


def _count_past_days(user_id: int, course_id: int, lectures: set[int]) -> None:
    """The course's person-time on each day the learner studied its microlectures: the sum of
    those days' study (what it would hold had the course been theirs all along)."""
    days = db.session.execute(
        select(
            StudyTime.day,
            func.max(StudyTime.organisation_id),
            func.sum(StudyTime.seconds_watched),
        )
        .where(StudyTime.user_id == user_id, StudyTime.microlecture_id.in_(lectures))
        .group_by(StudyTime.day)
    ).all()
    if not days:
        return
    statement = upsert(TrainingActivity)
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id", "course_id", "day"],
            set_={"seconds_watched": statement.excluded.seconds_watched},
        ),
        [
            {
                "user_id": user_id,
                "course_id": course_id,
                "day": day,
                "organisation_id": organisation,
                "seconds_watched": round(float(seconds or 0), 3),
            }
            for day, organisation, seconds in days
        ],
    )
