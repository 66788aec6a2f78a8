"""Submitting and reaching a session: one result however often, overdue grading, privacy."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from catalog.accounts.models import Organisation, Role, User
from catalog.banks import questions
from catalog.banks import services as banks
from catalog.clock import utcnow
from catalog.credits.models import Certificate
from catalog.database import db
from catalog.errors import Conflict, NotFound
from catalog.learning.models import Statement
from catalog.quiz import answering, results, sessions, submission, templates
from catalog.quiz.models import QuizMode, QuizSession, SessionStatus


@pytest.fixture
def people(make_org: Callable[..., Organisation], make_user: Callable[..., User]) -> Any:
    org = make_org(code="quiz-org")
    return SimpleNamespace(
        editor=make_user(Role.EDITOR, organisation=org),
        learner=make_user(Role.LEARNER, organisation=org),
        colleague=make_user(Role.LEARNER, organisation=org),
    )


def exam(people: Any, **options: Any) -> int:
    """An exam of two true/false questions (true is right), five points each."""
    bank = banks.create_bank(people.editor, {"name": "判断题库"})
    ids = [
        questions.create_question(
            people.editor,
            bank.id,
            {
                "type": "true_false",
                "stem": f"第{n}题：停电后必须验电。",
                "answer": {"correct": True},
            },
        ).question.id
        for n in range(2)
    ]
    questions.bulk(people.editor, bank.id, ids, "publish", None)
    data = {
        "title": "安规考试",
        "mode": QuizMode.EXAM,
        "sections": [{"points": 5, "question_ids": ids}],
        **options,
    }
    return int(templates.create_template(people.editor, data).id)


def statements_of(user: User, verb: str) -> int:
    query = select(func.count()).where(Statement.user_id == user.id, Statement.verb == verb)
    return int(db.session.scalar(query) or 0)


def test_submitting_twice_returns_the_same_result(people: Any) -> None:
    sid = sessions.start(people.learner, exam(people)).id
    answering.save_answer(people.learner, sid, 1, {"value": True}, "one", None)
    first = submission.submit(people.learner, sid)
    stored = db.session.get(QuizSession, sid)
    assert stored is not None
    submitted_at = stored.submitted_at
    second = submission.submit(people.learner, sid)
    assert first.status is second.status is SessionStatus.SUBMITTED
    assert first.result == second.result
    assert first.result is not None and (first.result["score"], first.result["passed"]) == (
        5,
        False,
    )
    assert first.items == second.items
    db.session.refresh(stored)
    assert stored.submitted_at == submitted_at  # graded once
    assert statements_of(people.learner, "failed") == 1
    with pytest.raises(Conflict):
        answering.save_answer(people.learner, sid, 2, {"value": True}, "two", None)


def test_an_overdue_session_is_graded_when_next_reached(
    people: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = sessions.start(people.learner, exam(people, time_limit_seconds=60)).id
    answering.save_answer(people.learner, sid, 2, {"value": True}, "saved", None)
    later = utcnow() + timedelta(seconds=60 + 5 + 1)
    monkeypatch.setattr("catalog.quiz.results.utcnow", lambda: later)
    reached = submission.view(people.learner, sid)
    assert reached.status is SessionStatus.EXPIRED
    assert reached.result is not None and reached.result["score"] == 5  # what was saved counts
    assert submission.submit(people.learner, sid).result == reached.result
    assert results.expire_overdue() == 0  # nothing left for the periodic task


def test_only_its_learner_reaches_a_session(people: Any) -> None:
    sid = sessions.start(people.learner, exam(people)).id
    for reach in (submission.view, submission.submit):
        with pytest.raises(NotFound):
            reach(people.colleague, sid)
    with pytest.raises(NotFound):
        answering.save_answer(people.colleague, sid, 1, {"value": True}, "x", None)
    with pytest.raises(NotFound):
        answering.save_batch(
            people.colleague,
            sid,
            [{"position": 1, "response": {"value": True}, "client_answer_id": "y"}],
        )
    stored = db.session.get(QuizSession, sid)
    assert stored is not None and stored.status is SessionStatus.IN_PROGRESS
    assert [i.response for i in stored.items] == [None, None]


def test_two_submits_at_once_return_the_same_result_and_one_certificate(
    app: Flask, people: Any, make_industry: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_industry("power", "电力", occupation="6-28-01-14")
    tid = exam(people, occupation="6-28-01-14", skill_level=4)
    sid = sessions.start(people.learner, tid).id
    for position in (1, 2):
        answering.save_answer(people.learner, sid, position, {"value": True}, "p", None)
    learner_id = people.learner.id
    # Both phones have read the running session before either grades it (when submit
    # serialises them, the first stops waiting after two seconds and goes on alone).
    both_read = threading.Barrier(2)
    grade = results.grade_session

    def grade_together(*args: Any) -> Any:
        with contextlib.suppress(threading.BrokenBarrierError):
            both_read.wait(timeout=2)
        return grade(*args)

    monkeypatch.setattr(results, "grade_session", grade_together)
    outcomes: list[Any] = [None, None]

    def phone(index: int) -> None:
        with app.app_context():
            try:
                learner = db.session.get(User, learner_id)
                outcomes[index] = submission.submit(learner, sid).result
            except Exception as error:  # reported below, not lost in the thread
                outcomes[index] = error

    threads = [threading.Thread(target=phone, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert isinstance(outcomes[0], dict) and outcomes[0] == outcomes[1], outcomes
    count = select(func.count()).select_from(Certificate)
    assert db.session.scalar(count) == 1
