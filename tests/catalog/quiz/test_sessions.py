"""Starting quiz sessions: frozen questions, attempts, window and deadline, daily, review."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from catalog.accounts.models import Organisation, Role, User
from catalog.banks import questions
from catalog.banks import services as banks
from catalog.clock import end_of, utcnow
from catalog.courses import enrolment
from catalog.database import db
from catalog.errors import Conflict
from catalog.quiz import answering, sessions, submission, templates
from catalog.quiz.models import QuizMode, QuizSession, SessionItem, SessionStatus

OPTIONS = [
    {"label": "A", "text": "验电"},
    {"label": "B", "text": "断开电源"},
    {"label": "C", "text": "挂接地线"},
    {"label": "D", "text": "悬挂标示牌"},
]


@pytest.fixture
def people(make_org: Callable[..., Organisation], make_user: Callable[..., User]) -> Any:
    org = make_org(code="quiz-org")
    return SimpleNamespace(
        org=org,
        editor=make_user(Role.EDITOR, organisation=org),
        learner=make_user(Role.LEARNER, organisation=org),
    )


@pytest.fixture
def bank(people: Any) -> Any:
    """A bank of three published single-choice questions (B is right)."""
    made = banks.create_bank(people.editor, {"name": "安全题库"})
    ids = [
        questions.create_question(
            people.editor,
            made.id,
            {
                "type": "single_choice",
                "stem": f"第{n}题：停电检修时首先？",
                "options": OPTIONS,
                "answer": {"correct": ["B"]},
                "explanation": f"解析{n}",
            },
        ).question.id
        for n in range(3)
    ]
    questions.bulk(people.editor, made.id, ids, "publish", None)
    return SimpleNamespace(id=made.id, ids=ids)


def template(people: Any, question_ids: list[int], **options: Any) -> int:
    data = {
        "title": "停电作业测试",
        "mode": QuizMode.EXAM,
        "sections": [{"points": 2, "question_ids": question_ids}],
        **options,
    }
    return int(templates.create_template(people.editor, data).id)


def frozen(session_id: str) -> list[tuple[int, int, int, list[str]]]:
    query = select(SessionItem).where(SessionItem.session_id == session_id)
    return [
        (i.position, i.question_id, i.version_id, list(i.option_order))
        for i in db.session.scalars(query.order_by(SessionItem.position))
    ]


def test_questions_versions_and_option_order_are_frozen_at_start(people: Any, bank: Any) -> None:
    tid = template(people, bank.ids, shuffle_questions=True, shuffle_options=True)
    session = sessions.start(people.learner, tid)
    before = frozen(session.id)
    shown = submission.view(people.learner, session.id).items
    assert sorted(q for _, q, _, _ in before) == sorted(bank.ids)
    assert all(sorted(order) == ["A", "B", "C", "D"] for *_, order in before)
    edited, retired = before[0][1], before[1][1]
    questions.update_question(
        people.editor,
        edited,
        {
            "stem": "改过的题干：停电检修时首先？",
            "options": [{"label": "A", "text": "先断开电源"}, {"label": "B", "text": "先验电"}],
            "answer": {"correct": ["A"]},
        },
    )
    questions.bulk(people.editor, bank.id, [retired], "retire", None)
    assert frozen(session.id) == before
    assert submission.view(people.learner, session.id).items == shown
    # The edit is real: a session started now asks the new version.
    later = sessions.start(people.learner, template(people, [edited]))
    [item] = submission.view(people.learner, later.id).items
    assert (item.version, item.stem, len(item.options)) == (2, "改过的题干：停电检修时首先？", 2)


def test_an_exam_resumes_its_running_attempt_and_counts_attempts(people: Any, bank: Any) -> None:
    tid = template(people, bank.ids[:2], attempts_allowed=2)
    first = sessions.start(people.learner, tid)
    assert sessions.start(people.learner, tid).id == first.id  # a retry resumes it
    submission.submit(people.learner, first.id)
    second = sessions.start(people.learner, tid)
    assert (second.attempt, second.id != first.id) == (2, True)
    submission.submit(people.learner, second.id)
    with pytest.raises(Conflict) as refused:
        sessions.start(people.learner, tid)
    assert (refused.value.code, refused.value.details) == (
        "no_attempts_left",
        {"attempts_allowed": 2},
    )
    practice = template(people, bank.ids[:2], mode=QuizMode.PRACTICE)
    assert (
        sessions.start(people.learner, practice).id != sessions.start(people.learner, practice).id
    )


def test_a_template_opens_within_its_window_and_no_deadline_falls_after_the_close(
    people: Any, bank: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    monkeypatch.setattr("catalog.quiz.sessions.utcnow", lambda: now)
    early = template(people, bank.ids[:1], opens_at=now + timedelta(hours=1))
    late = template(
        people, bank.ids[:1], opens_at=now - timedelta(hours=2), closes_at=now - timedelta(hours=1)
    )
    for tid in (early, late):
        with pytest.raises(Conflict) as closed:
            sessions.start(people.learner, tid)
        assert closed.value.code == "closed"
    assert db.session.scalar(select(QuizSession.id)) is None
    limited = template(people, bank.ids[:1], time_limit_seconds=1200)
    closing = template(
        people,
        bank.ids[:1],
        time_limit_seconds=3600,
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(minutes=10),
    )
    assert sessions.start(people.learner, limited).deadline_at == now + timedelta(minutes=20)
    assert sessions.start(people.learner, closing).deadline_at == now + timedelta(minutes=10)
    untimed = sessions.start(people.learner, template(people, bank.ids[:1]))
    assert untimed.deadline_at is None


def test_an_overdue_attempt_is_graded_before_the_next_one_starts(
    people: Any, bank: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    tid = template(people, bank.ids[:2], time_limit_seconds=60)
    first = sessions.start(people.learner, tid)
    answering.save_answer(people.learner, first.id, 1, {"selected": ["B"]}, "one", None)
    later = utcnow() + timedelta(seconds=60 + 5 + 1)  # past the deadline and its grace
    for module in ("sessions", "results"):
        monkeypatch.setattr(f"catalog.quiz.{module}.utcnow", lambda: later)
    second = sessions.start(people.learner, tid)
    assert (second.id != first.id, second.attempt) == (True, 2)
    settled = db.session.get(QuizSession, first.id)
    assert settled is not None
    db.session.refresh(settled)
    assert (settled.status, settled.score) == (SessionStatus.EXPIRED, 2)


def test_daily_practice_is_one_session_a_day_and_a_review_needs_due_mistakes(
    people: Any, bank: Any, make_course: Callable[..., int]
) -> None:
    with pytest.raises(Conflict) as nothing:
        sessions.start_daily(people.learner)
    assert nothing.value.code == "no_daily_questions"
    course = make_course(people.org)
    banks.update_bank(people.editor, bank.id, {"course_ids": [course]})
    enrolment.enrol(people.learner, course)
    daily = sessions.start_daily(people.learner)
    assert (daily.mode, daily.template_id) == (QuizMode.DAILY, None)
    assert daily.day is not None and daily.deadline_at == end_of(daily.day)
    assert sorted(q for _, q, _, _ in frozen(daily.id)) == sorted(
        bank.ids
    )  # three, though ten are asked
    assert sessions.start_daily(people.learner).id == daily.id
    with pytest.raises(Conflict) as nothing_due:
        sessions.start_review(people.learner)
    assert (nothing_due.value.code, nothing_due.value.details) == (
        "nothing_due",
        {"next_due_at": None},
    )
