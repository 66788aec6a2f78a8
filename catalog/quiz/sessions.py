"""Starting quiz sessions in every mode: a template's paper (fixed or drawn, least seen
first), today's daily practice, a review of due mistakes. Versions, question order and option
order are frozen when a session opens."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from catalog.accounts.models import User
from catalog.banks import visibility
from catalog.banks.models import Question, QuestionVersion, bank_courses
from catalog.banks.visibility import PRACTICE_USAGE
from catalog.clock import end_of, local_day, utcnow
from catalog.courses.enrolment import learner_course_ids
from catalog.database import db, new_id
from catalog.errors import Conflict
from catalog.learning import statements
from catalog.quiz import drawing, review
from catalog.quiz.models import QuizMode, QuizSession, QuizTemplate, SessionItem, SessionStatus
from catalog.quiz.submission import settle_if_overdue
from catalog.quiz.templates import get_template
from catalog.runtime import runtime


@dataclass(frozen=True)
class Draft:
    """A question chosen for a new session (its version too, when already fixed)."""

    question_id: int
    points: float
    version_id: int | None = None


def start(user: User, template_id: int, *, admitted: bool = False) -> QuizSession:
    """Open a session of a template: versions, question order and option order are frozen.
    An evaluation plan's theory exam opens only for an approved application (``admitted``,
    which only the evaluation's own start gives)."""
    template = get_template(user, template_id)
    if template.for_evaluation and not admitted:
        raise Conflict(
            "该考试须通过技能等级申报参加 / Sit this exam through an approved evaluation "
            "application",
            code="evaluation_only",
        )
    now = utcnow()
    if (template.opens_at and now < template.opens_at) or (
        template.closes_at and now > template.closes_at
    ):
        raise Conflict(
            "不在答题时间内 / The quiz is not open now",
            code="closed",
            details={"opens_at": str(template.opens_at), "closes_at": str(template.closes_at)},
        )
    _settle_overdue(user, template.id)  # an attempt whose time is up is graded first
    lock_starts(user)  # this learner's starts one at a time, whatever the phones do at once
    earlier = db.session.execute(
        select(QuizSession.id, QuizSession.status).where(
            QuizSession.user_id == user.id, QuizSession.template_id == template.id
        )
    ).all()
    attempts = len(earlier)
    running = [sid for sid, status in earlier if status is SessionStatus.IN_PROGRESS]
    if template.mode in (QuizMode.EXAM, QuizMode.CONTEST) and running:
        resumed = db.session.get(QuizSession, running[0])
        assert resumed is not None
        return resumed  # one active attempt: a retry from the phone resumes it
    if template.attempts_allowed is not None and attempts >= template.attempts_allowed:
        raise Conflict(
            "答题次数已用完 / No attempts left",
            code="no_attempts_left",
            details={"attempts_allowed": template.attempts_allowed},
        )
    deadline = template.closes_at  # nobody answers after the close, timed or not
    if template.time_limit_seconds:
        limit = now + timedelta(seconds=template.time_limit_seconds)
        deadline = min(limit, deadline) if deadline is not None else limit
    session = QuizSession(
        id=new_id(),
        user_id=user.id,
        template_id=template.id,
        mode=template.mode,
        attempt=attempts + 1,
        started_at=now,
        deadline_at=deadline,
    )
    _check_fixed_questions(template)
    rng = random.Random(session.id)
    if template.paper:
        drafts = [Draft(int(q), float(p), int(v)) for q, v, p in template.paper]
    else:
        drafts = [
            Draft(qid, points)
            for qid, points in drawing.draw_template(template, drawing.Seen(user.id), rng)
        ]
    if template.holds_questions:  # what it drew stays out of practice until it closes
        assert template.closes_at is not None
        visibility.hold(
            template.id,
            template.organisation_id,
            [d.question_id for d in drafts],
            template.closes_at,
        )
    if template.shuffle_questions:
        rng.shuffle(drafts)
    return open_session(session, drafts, rng, shuffle_options=template.shuffle_options)


def _check_fixed_questions(template: QuizTemplate) -> None:
    """The questions a template fixed (its sections' lists, a contest's paper) may all still
    be asked; one retired, unshared or (in practice) held since makes the paper unusable: 409,
    and its editors see it listed as outdated."""
    if outdated_questions(template):
        raise Conflict(
            "本试卷有试题已停用，请联系出卷老师 / This paper holds questions no longer in use; "
            "its editors have been told",
            code="template_outdated",
        )


def outdated_questions(template: QuizTemplate) -> list[int]:
    """The template's fixed questions that it may no longer ask."""
    fixed = {int(q) for section in template.sections for q in section.question_ids}
    fixed |= {int(row[0]) for row in template.paper or []}
    usable = visibility.servable_ids(
        template.organisation_id,
        fixed,
        drawing.USAGE[template.mode],
        except_template=template.id,
    )
    return sorted(fixed - usable)


def lock_starts(user: User) -> None:
    """Serialise the learner's session starts until this transaction ends, so two phones
    starting at once cannot both take the last attempt: a row lock on the learner (a no-op
    write on SQLite, whose one writer at a time does the same)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    else:
        db.session.execute(update(User).where(User.id == user.id).values(id=User.id))


def _settle_overdue(user: User, template_id: int) -> None:
    """Grade the learner's sessions of this template whose time is up."""
    query = (
        select(QuizSession)
        .options(lazyload(QuizSession.items))  # loaded only if it must be graded now
        .where(
            QuizSession.user_id == user.id,
            QuizSession.status == SessionStatus.IN_PROGRESS,
            QuizSession.deadline_at.is_not(None),
        )
    )
    query = query.where(QuizSession.template_id == template_id)
    for session in db.session.scalars(query).all():
        settle_if_overdue(session)


def open_session(
    session: QuizSession, drafts: list[Draft], rng: random.Random, *, shuffle_options: bool
) -> QuizSession:
    """Freeze the drafted questions into the session and save it."""
    fixed = [d.version_id for d in drafts if d.version_id is not None]
    loose = [d.question_id for d in drafts if d.version_id is None]
    columns = (QuestionVersion.question_id, QuestionVersion.id, QuestionVersion.options)
    by_version, by_question = {}, {}
    if fixed:
        rows = db.session.execute(select(*columns).where(QuestionVersion.id.in_(fixed)))
        by_version = {vid: (vid, options) for _, vid, options in rows}
    if loose:
        rows = db.session.execute(
            select(*columns)
            .join(
                Question,
                (Question.id == QuestionVersion.question_id)
                & (Question.version == QuestionVersion.version),
            )
            .where(Question.id.in_(loose))
        )
        by_question = {qid: (vid, options) for qid, vid, options in rows}
    db.session.add(session)
    session.max_score = sum(d.points for d in drafts)
    db.session.flush()
    items = []
    for position, draft in enumerate(drafts, start=1):
        version_id, options = (
            by_version[draft.version_id]
            if draft.version_id is not None
            else by_question[draft.question_id]
        )
        order = [o["label"] for o in options]
        if shuffle_options:
            rng.shuffle(order)
        items.append(
            {
                "session_id": session.id,
                "position": position,
                "question_id": draft.question_id,
                "version_id": version_id,
                "points": draft.points,
                "option_order": order,
            }
        )
    db.session.execute(insert(SessionItem.__table__), items)  # one executemany, no ORM
    statements.record(
        session.user_id,
        "attempted",
        "quiz_session",
        session.id,
        when=session.started_at,
        result={"template_id": session.template_id, "mode": session.mode.value},
    )
    drawing.mark_seen(session.user_id, [d.question_id for d in drafts])
    db.session.commit()
    return session


def start_daily(user: User) -> QuizSession:
    """Today's daily practice (每日一练): the same questions all day, one session a day."""
    now = utcnow()
    today = local_day(now)
    existing = _daily_of(user, today)
    if existing is not None:
        settle_if_overdue(existing)
        return existing
    course_ids = learner_course_ids(user)
    bank_ids = (
        sorted(
            set(
                db.session.scalars(
                    select(bank_courses.c.bank_id).where(bank_courses.c.course_id.in_(course_ids))
                )
            )
        )
        if course_ids
        else []
    )
    # Only banks the learner practises count (their organisation's, shared with it, or offered
    # by a course's own organisation), whoever linked them to the course.
    usable = sorted(visibility.practisable_bank_ids(user, bank_ids))
    criteria = drawing.Criteria(tuple(usable), PRACTICE_USAGE)
    held = set(visibility.held_in_banks(usable, user.organisation_id)) if usable else set()
    available = len(set(drawing.eligible_ids(criteria)) - held) if usable else 0
    if not available:
        raise Conflict(
            "所选和分配的课程还没有练习题 / Your courses have no practice questions yet",
            code="no_daily_questions",
        )
    # Seeded by learner and day: a repeated draw (two phones at once) picks the same set.
    rng = random.Random(f"daily:{user.id}:{today.isoformat()}")
    count = min(runtime().settings.daily_practice_questions, available)
    (chosen,) = drawing.draw(
        [(criteria, count)], drawing.Seen(user.id), rng, organisation_id=user.organisation_id
    )
    session = QuizSession(
        id=new_id(),
        user_id=user.id,
        mode=QuizMode.DAILY,
        started_at=now,
        deadline_at=end_of(today),
        day=today,
    )
    try:
        return open_session(session, [Draft(q, 1.0) for q in chosen], rng, shuffle_options=False)
    except IntegrityError:
        db.session.rollback()  # the other phone opened it first
        found = _daily_of(user, today)
        assert found is not None
        return found


def _daily_of(user: User, day: date) -> QuizSession | None:
    return db.session.scalar(
        select(QuizSession).where(QuizSession.user_id == user.id, QuizSession.day == day)
    )


def start_review(user: User) -> QuizSession:
    """A review of the mistakes FSRS says are due (错题重练); an unfinished one resumes."""
    lock_starts(user)
    active: QuizSession | None = db.session.scalar(
        select(QuizSession).where(
            QuizSession.user_id == user.id,
            QuizSession.mode == QuizMode.REVIEW,
            QuizSession.status == SessionStatus.IN_PROGRESS,
        )
    )
    if active is not None:
        return active
    due = review.due_question_ids(user, runtime().settings.review_session_questions)
    if not due:
        upcoming = review.next_due(user)
        raise Conflict(
            "暂无需要重练的错题 / No mistakes are due for review",
            code="nothing_due",
            details={"next_due_at": upcoming.isoformat() if upcoming else None},
        )
    session = QuizSession(id=new_id(), user_id=user.id, mode=QuizMode.REVIEW, started_at=utcnow())
    rng = random.Random(session.id)
    return open_session(session, [Draft(q, 1.0) for q in due], rng, shuffle_options=True)
