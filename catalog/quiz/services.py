"""Quiz sessions: starting them in every mode, saving answers, submitting, grading, expiry."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from catalog.accounts.models import User
from catalog.banks.models import Question, QuestionType, QuestionVersion, bank_courses
from catalog.columns import new_id, utcnow
from catalog.courses.services import learner_course_ids
from catalog.credits import services as credits
from catalog.credits.models import Certificate
from catalog.days import end_of, local_day
from catalog.errors import Conflict, NotFound
from catalog.extensions import db
from catalog.learning import services as learning
from catalog.learning import statements
from catalog.quiz import drawing, review, statistics
from catalog.quiz.grading import ChoicePolicy, grade
from catalog.quiz.models import (
    FeedbackPolicy,
    QuizMode,
    QuizSession,
    SessionItem,
    SessionStatus,
)
from catalog.quiz.templates import get_template
from catalog.registry import services

LABELS = "ABCDEFGHIJ"

# --- starting --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """A question chosen for a new session (its version too, when already fixed)."""

    question_id: int
    points: float
    version_id: int | None = None


def start(user: User, template_id: int) -> QuizSession:
    """Open a session of a template: versions, question order and option order are frozen."""
    template = get_template(user, template_id)
    now = utcnow()
    if (template.opens_at and now < template.opens_at) or (
        template.closes_at and now > template.closes_at
    ):
        raise Conflict(
            "不在答题时间内 / The quiz is not open now",
            code="closed",
            details={"opens_at": str(template.opens_at), "closes_at": str(template.closes_at)},
        )
    earlier = db.session.execute(
        select(QuizSession.id, QuizSession.status).where(
            QuizSession.user_id == user.id, QuizSession.template_id == template.id
        )
    ).all()
    attempts = len(earlier)
    running = [sid for sid, status in earlier if status is SessionStatus.IN_PROGRESS]
    active = (
        list(
            db.session.scalars(
                select(QuizSession)
                .options(lazyload(QuizSession.items))  # loaded only if it must be graded now
                .where(QuizSession.id.in_(running))
            )
        )
        if running
        else []
    )
    for session in active:
        _expire_if_due(session)
    active = [s for s in active if s.status is SessionStatus.IN_PROGRESS]
    if template.mode in (QuizMode.EXAM, QuizMode.CONTEST) and active:
        return active[0]  # one active attempt: a retry from the phone resumes it
    if template.attempts_allowed is not None and attempts >= template.attempts_allowed:
        raise Conflict(
            "答题次数已用完 / No attempts left",
            code="no_attempts_left",
            details={"attempts_allowed": template.attempts_allowed},
        )
    deadline = None
    if template.time_limit_seconds:
        deadline = now + timedelta(seconds=template.time_limit_seconds)
        if template.closes_at is not None:
            deadline = min(deadline, template.closes_at)  # nobody answers after the close
    session = QuizSession(
        id=new_id(),
        user_id=user.id,
        template_id=template.id,
        mode=template.mode,
        attempt=attempts + 1,
        started_at=now,
        deadline_at=deadline,
    )
    rng = random.Random(session.id)
    if template.paper:
        drafts = [Draft(int(q), float(p), int(v)) for q, v, p in template.paper]
    else:
        drafts = [
            Draft(qid, points)
            for qid, points in drawing.draw_template(template, drawing.Seen(user.id), rng)
        ]
    if template.shuffle_questions:
        rng.shuffle(drafts)
    return _open(session, drafts, rng, shuffle_options=template.shuffle_options)


def _open(
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
        _expire_if_due(existing)
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
    criteria = drawing.Criteria(tuple(bank_ids), drawing.PRACTICE_USAGE)
    available = len(drawing.eligible_ids(criteria)) if bank_ids else 0
    if not available:
        raise Conflict(
            "所选和分配的课程还没有练习题 / Your courses have no practice questions yet",
            code="no_daily_questions",
        )
    # Seeded by learner and day: a repeated draw (two phones at once) picks the same set.
    rng = random.Random(f"daily:{user.id}:{today.isoformat()}")
    count = min(services().settings.daily_practice_questions, available)
    (chosen,) = drawing.draw([(criteria, count)], drawing.Seen(user.id), rng)
    session = QuizSession(
        id=new_id(),
        user_id=user.id,
        mode=QuizMode.DAILY,
        started_at=now,
        deadline_at=end_of(today),
        day=today,
    )
    try:
        return _open(session, [Draft(q, 1.0) for q in chosen], rng, shuffle_options=False)
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
    active: QuizSession | None = db.session.scalar(
        select(QuizSession).where(
            QuizSession.user_id == user.id,
            QuizSession.mode == QuizMode.REVIEW,
            QuizSession.status == SessionStatus.IN_PROGRESS,
        )
    )
    if active is not None:
        return active
    due = review.due_question_ids(user.id, services().settings.review_session_questions)
    if not due:
        upcoming = review.next_due(user.id)
        raise Conflict(
            "暂无需要重练的错题 / No mistakes are due for review",
            code="nothing_due",
            details={"next_due_at": upcoming.isoformat() if upcoming else None},
        )
    session = QuizSession(id=new_id(), user_id=user.id, mode=QuizMode.REVIEW, started_at=utcnow())
    rng = random.Random(session.id)
    return _open(session, [Draft(q, 1.0) for q in due], rng, shuffle_options=True)


# --- reading ---------------------------------------------------------------------------------


def _own(user: User, session_id: str, *, items: bool = True) -> QuizSession:
    query = select(QuizSession).where(QuizSession.id == session_id)
    if not items:
        query = query.options(lazyload(QuizSession.items))  # loaded only if it expires now
    session: QuizSession | None = db.session.scalar(query)
    if session is None or session.user_id != user.id:
        raise NotFound("答题记录不存在 / No such quiz session", details={"id": session_id})
    _expire_if_due(session)
    return session


def _grace() -> timedelta:
    return timedelta(seconds=services().settings.quiz_deadline_grace_seconds)


def _expire_if_due(session: QuizSession) -> None:
    """A session past its deadline is graded with what was saved."""
    if (
        session.status is SessionStatus.IN_PROGRESS
        and session.deadline_at is not None
        and utcnow() > session.deadline_at + _grace()
    ):
        session_id = session.id
        _grade(session, SessionStatus.EXPIRED)
        db.session.commit()
        follow_up(session_id)


@dataclass(frozen=True)
class ItemView:
    """A question as the learner may see it now (plain values: safe to read after commit)."""

    position: int
    question_id: int
    version: int
    type: str
    stem: str
    options: list[dict[str, str]]
    points: float
    response: dict[str, Any] | None
    client_answer_id: str | None
    revealed: bool
    answer: dict[str, Any] | None
    explanation: str | None
    score: float | None  # once revealed


@dataclass(frozen=True)
class SessionView:
    """A session as its learner may see it now (plain values: safe to read after commit)."""

    id: str
    template_id: int | None
    day: date | None
    mode: QuizMode
    status: SessionStatus
    attempt: int
    started_at: datetime
    deadline_at: datetime | None
    max_score: float
    result: dict[str, Any] | None  # once graded
    items: list[ItemView]
    server_time: datetime
    remaining_seconds: float | None


def _to_display(item: SessionItem, labels: list[str]) -> list[str]:
    return sorted(
        LABELS[item.option_order.index(label)] for label in labels if label in item.option_order
    )


def _to_original(item: SessionItem, labels: list[str]) -> list[str]:
    return [
        item.option_order[LABELS.index(label)]
        for label in labels
        if label in LABELS[: len(item.option_order)]
    ]


def _revealed(session: QuizSession, item: SessionItem) -> bool:
    rules = session.rules
    if rules.feedback_policy is FeedbackPolicy.NEVER:
        return False
    if rules.feedback_policy is FeedbackPolicy.AFTER_EACH:
        return item.response is not None or session.status is not SessionStatus.IN_PROGRESS
    if rules.feedback_policy is FeedbackPolicy.AFTER_SUBMIT:
        return session.status is not SessionStatus.IN_PROGRESS
    return (
        session.status is not SessionStatus.IN_PROGRESS
        and rules.closes_at is not None
        and utcnow() > rules.closes_at
    )


def _item_view(session: QuizSession, item: SessionItem, version: Frozen) -> ItemView:
    texts = {o["label"]: o["text"] for o in version.options}
    options = [
        {"label": LABELS[i], "text": texts[label]} for i, label in enumerate(item.option_order)
    ]
    revealed = _revealed(session, item)
    answer = None
    if revealed:
        answer = dict(version.answer)
        if "correct" in answer and isinstance(answer["correct"], list):
            answer["correct"] = _to_display(item, answer["correct"])
    return ItemView(
        position=item.position,
        question_id=item.question_id,
        version=version.version,
        type=version.type.value,
        stem=version.stem,
        options=options,
        points=item.points,
        response=item.response,
        client_answer_id=item.client_answer_id,
        revealed=revealed,
        answer=answer,
        explanation=version.explanation if revealed else None,
        score=item.score if revealed else None,
    )


class Frozen(Protocol):
    """What a session reads of a question version it froze (an ORM object or a row)."""

    id: int
    version: int
    type: QuestionType
    stem: str
    options: list[dict[str, str]]
    answer: dict[str, Any]
    explanation: str
    knowledge_points: list[str]


FROZEN_COLUMNS = [getattr(QuestionVersion, name) for name in Frozen.__annotations__]


def _versions(session: QuizSession) -> dict[int, Frozen]:
    """The session's question versions, read as plain rows (no ORM objects to track)."""
    ids = [i.version_id for i in session.items]
    rows = db.session.execute(select(*FROZEN_COLUMNS).where(QuestionVersion.id.in_(ids)))
    return {row.id: cast(Frozen, row) for row in rows}


def view_of(session: QuizSession, versions: dict[int, Frozen] | None = None) -> SessionView:
    versions = versions or _versions(session)
    now = utcnow()
    running = session.status is SessionStatus.IN_PROGRESS
    remaining = None
    if session.deadline_at is not None and running:
        remaining = max(0.0, (session.deadline_at - now).total_seconds())
    return SessionView(
        id=session.id,
        template_id=session.template_id,
        day=session.day,
        mode=session.mode,
        status=session.status,
        attempt=session.attempt,
        started_at=session.started_at,
        deadline_at=session.deadline_at,
        max_score=session.max_score,
        result=None if running else session.result,
        items=[_item_view(session, i, versions[i.version_id]) for i in session.items],
        server_time=now,
        remaining_seconds=remaining,
    )


def view(user: User, session_id: str) -> SessionView:
    return view_of(_own(user, session_id))


# --- answering -------------------------------------------------------------------------------


def save_answer(
    user: User,
    session_id: str,
    position: int,
    response: dict[str, Any],
    client_answer_id: str,
    client_answered_at: datetime | None,
) -> ItemView:
    """Save one answer; the same answer id again changes nothing; past the deadline, 409.

    When two devices answer the same question, the answer given last on the device (by
    ``client_answered_at``) stands, whichever reaches the server last.
    """
    session = _own(user, session_id, items=False)
    found = db.session.execute(
        select(SessionItem, QuestionVersion)
        .join(QuestionVersion, QuestionVersion.id == SessionItem.version_id)
        .where(SessionItem.session_id == session.id, SessionItem.position == position)
    ).first()
    if found is None:
        raise NotFound(f"没有第 {position} 题 / No question {position}")
    item, version = found
    if item.client_answer_id == client_answer_id:
        return _item_view(session, item, version)  # a retry from a flaky network
    now = utcnow()
    if session.status is not SessionStatus.IN_PROGRESS or (
        session.deadline_at is not None and now > session.deadline_at + _grace()
    ):
        raise Conflict(
            "答题已结束 / The session is over",
            code="session_closed",
            details={"server_time": now.isoformat(), "status": session.status.value},
        )
    after_each = session.rules.feedback_policy is FeedbackPolicy.AFTER_EACH
    # One conditional UPDATE decides between racing devices, on every database engine.
    conditions = [SessionItem.id == item.id]
    if after_each:
        conditions.append(SessionItem.client_answer_id.is_(None))  # keys shown: no changes
    elif client_answered_at is not None:
        conditions.append(
            or_(
                SessionItem.client_answered_at.is_(None),
                SessionItem.client_answered_at <= client_answered_at,
            )
        )
    result: CursorResult[Any] = db.session.execute(  # type: ignore[assignment]
        update(SessionItem)
        .where(*conditions)
        .values(
            response=response,
            client_answer_id=client_answer_id,
            client_answered_at=client_answered_at,
            saved_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    changed = result.rowcount
    if changed:  # the row now holds these values; no need to read it back
        for name, value in (
            ("response", response),
            ("client_answer_id", client_answer_id),
            ("client_answered_at", client_answered_at),
            ("saved_at", now),
        ):
            set_committed_value(item, name, value)
    else:
        db.session.refresh(item)  # another device's newer answer
    if not changed and after_each and item.client_answer_id != client_answer_id:
        db.session.rollback()
        raise Conflict(
            "本题已作答并已公布答案 / This question is answered and its key shown",
            code="already_answered",
            details={"position": position},
        )
    if changed and after_each:
        _grade_item(session, item, version)  # practice: the verdict comes at once
        review.record(session.user_id, [item])
    saved = _item_view(session, item, version)  # unchanged: a newer answer from elsewhere
    db.session.commit()
    return saved


def _score(item: SessionItem, version: Frozen, policy: ChoicePolicy) -> tuple[float, bool, bool]:
    """(score, correct, pending) of one answer; selections are read back in the question's
    own option labels."""
    response = dict(item.response) if item.response else None
    if response and isinstance(response.get("selected"), list):
        response["selected"] = _to_original(item, [str(x).upper() for x in response["selected"]])
    result = grade(version.type.value, version.answer, response, points=item.points, policy=policy)
    return result.score, result.correct, result.pending


def _policy(session: QuizSession) -> ChoicePolicy:
    rules = session.rules
    return ChoicePolicy(partial=rules.choice_partial, share=rules.choice_share)


def _grade_item(session: QuizSession, item: SessionItem, version: Frozen) -> None:
    if item.graded_by_id is None:  # a person's mark is never overridden
        item.score, item.correct, item.pending = _score(item, version, _policy(session))


def _grade(session: QuizSession, status: SessionStatus) -> dict[int, Frozen]:
    """Grade every answer and total the session; the items' grades go out in one executemany."""
    versions = _versions(session)
    policy = _policy(session)
    grades = []
    for item in session.items:
        if item.graded_by_id is not None:
            continue
        score, correct, pending = _score(item, versions[item.version_id], policy)
        for name, value in (("score", score), ("correct", correct), ("pending", pending)):
            set_committed_value(item, name, value)  # written below, not by the unit of work
        grades.append({"item": item.id, "score": score, "correct": correct, "pending": pending})
    if grades:
        table = SessionItem.__table__
        db.session.execute(
            update(table)
            .where(table.c.id == bindparam("item"))
            .values(score=bindparam("score"), correct=bindparam("correct"))
            .values(pending=bindparam("pending")),
            grades,
        )
    session.status = status
    session.submitted_at = utcnow()
    session.time_used_seconds = round(
        (session.submitted_at - session.started_at).total_seconds(), 1
    )
    total_up(session, versions)
    if session.passed is not None:
        conclude(session)
    return versions


def total_up(session: QuizSession, versions: dict[int, Frozen] | None = None) -> None:
    """Score, pass (none while answers wait for a person) and result from the items' grades."""
    versions = versions or _versions(session)
    points: dict[str, list[float]] = {}
    for item in session.items:
        for point in versions[item.version_id].knowledge_points:
            earned = points.setdefault(point, [0.0, 0.0])
            earned[0] += item.score or 0.0
            earned[1] += item.points
    pending = sum(1 for i in session.items if i.pending)
    session.score = round(sum(i.score or 0 for i in session.items), 2)
    session.passed = (
        None
        if pending
        else session.max_score > 0
        and 100 * session.score / session.max_score >= session.rules.pass_mark
    )
    session.result = {
        "score": session.score,
        "max_score": session.max_score,
        "passed": session.passed,
        "time_used_seconds": session.time_used_seconds,
        "knowledge_points": {p: round(e / m, 3) if m else 0.0 for p, (e, m) in points.items()},
        "pending_manual": pending,
    }


def after_grading(session_id: str) -> None:
    """The graded answers review the learner's cards; a final session counts once for item
    statistics. Runs in the background: the learner waits only for their grade."""
    session = db.session.get(QuizSession, session_id)
    if session is None or session.status is SessionStatus.IN_PROGRESS:
        return
    review.record(session.user_id, session.items)
    if session.passed is not None and not session.statistics_counted:
        statistics.count_session(session)
        session.statistics_counted = True
    db.session.commit()


def follow_up(session_id: str) -> None:
    """Queue :func:`after_grading` (call after the grade is committed)."""
    from catalog.quiz.tasks import after_grading_task  # the tasks module imports this one

    after_grading_task(session_id)


def submit(user: User, session_id: str) -> SessionView:
    """Grade the session; submitting again returns the same result."""
    session = _own(user, session_id)
    if session.status is not SessionStatus.IN_PROGRESS:
        return view_of(session)
    versions = _grade(session, SessionStatus.SUBMITTED)
    graded = view_of(session, versions)  # read before the commit expires what it holds
    db.session.commit()
    follow_up(session_id)
    return graded


def conclude(session: QuizSession) -> None:
    """A final grade: the passed or failed statement; a passed level exam's certificate (once
    per session), which earns credits."""
    statements.record(
        session.user_id,
        "passed" if session.passed else "failed",
        "quiz_session",
        session.id,
        when=session.submitted_at,
        result={
            "score": session.score,
            "max_score": session.max_score,
            "template_id": session.template_id,
            "mode": session.mode.value,
        },
    )
    template = session.template
    if template is not None and template.course_id is not None and session.passed:
        learning.complete_course_if_done(session.user_id, template.course_id, utcnow())
    if (
        template is None
        or not session.passed
        or (template.occupation_id is None and template.skill_level is None)
    ):
        return
    certificate = Certificate(
        user_id=session.user_id,
        occupation_id=template.occupation_id,
        skill_level=template.skill_level,
        score=session.score or 0.0,
        verification_code=credits.new_verification_code(),
        session_id=session.id,
    )
    db.session.add(certificate)
    db.session.flush()
    credits.credit_certificate(certificate)


@dataclass
class BatchOutcome:
    position: int
    client_answer_id: str
    status: str  # saved, duplicate, stale or rejected
    reason: str | None = None


def save_batch(user: User, session_id: str, answers: list[dict[str, Any]]) -> list[BatchOutcome]:
    """Save many answers at once (after a stretch offline); one bad answer spoils no other."""
    known = {i.position: i.client_answer_id for i in _own(user, session_id).items}
    outcomes = []
    for entry in answers:
        position, client_id = entry["position"], entry["client_answer_id"]
        if known.get(position) == client_id:
            outcomes.append(BatchOutcome(position, client_id, "duplicate"))
            continue
        try:
            saved = save_answer(
                user,
                session_id,
                position,
                entry["response"],
                client_id,
                entry.get("client_answered_at"),
            )
        except (Conflict, NotFound) as exc:
            db.session.rollback()
            outcomes.append(BatchOutcome(position, client_id, "rejected", exc.message))
            continue
        known[position] = saved.client_answer_id
        if saved.client_answer_id != client_id:
            outcomes.append(
                BatchOutcome(position, client_id, "stale", "另一台设备的作答更新 / newer elsewhere")
            )
            continue
        outcomes.append(BatchOutcome(position, client_id, "saved"))
    return outcomes


def expire_overdue() -> int:
    """Grade every timed session whose deadline (and grace) has passed."""
    overdue = list(
        db.session.scalars(
            select(QuizSession).where(
                QuizSession.status == SessionStatus.IN_PROGRESS,
                QuizSession.deadline_at < utcnow() - _grace(),
            )
        )
    )
    for session in overdue:
        _grade(session, SessionStatus.EXPIRED)
    db.session.commit()
    for session in overdue:
        after_grading(session.id)  # this already runs in the background
    return len(overdue)
