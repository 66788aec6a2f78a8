"""Quiz results: partial credit, the pass mark, answers waiting for a person, overdue grading."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from catalog.accounts.models import Organisation, Role, User
from catalog.banks import questions
from catalog.banks import services as banks
from catalog.clock import utcnow
from catalog.database import db
from catalog.learning.models import Statement
from catalog.quiz import answering, marking, results, sessions, submission, templates
from catalog.quiz.models import QuizMode, QuizSession, SessionStatus


@pytest.fixture
def people(make_org: Callable[..., Organisation], make_user: Callable[..., User]) -> Any:
    org = make_org(code="quiz-org")
    return SimpleNamespace(
        editor=make_user(Role.EDITOR, organisation=org),
        learner=make_user(Role.LEARNER, organisation=org),
    )


@pytest.fixture
def bank(people: Any) -> Any:
    """A multiple choice (A and B right), a true/false and a short answer graded by hand."""
    made = banks.create_bank(people.editor, {"name": "综合题库"})
    specs = {
        "multi": {
            "type": "multiple_choice",
            "stem": "哪些是安全工器具？",
            "options": [
                {"label": "A", "text": "绝缘手套"},
                {"label": "B", "text": "验电器"},
                {"label": "C", "text": "扳手"},
            ],
            "answer": {"correct": ["A", "B"]},
            "knowledge_points": ["工器具"],
        },
        "true_false": {
            "type": "true_false",
            "stem": "停电后必须验电。",
            "answer": {"correct": True},
            "knowledge_points": ["停电作业"],
        },
        "manual": {
            "type": "short_answer",
            "stem": "简述停电作业的安全技术措施。",
            "answer": {"reference": "停电、验电、接地、悬挂标示牌和装设遮栏", "manual": True},
        },
    }
    ids = {
        name: questions.create_question(people.editor, made.id, spec).question.id
        for name, spec in specs.items()
    }
    questions.bulk(people.editor, made.id, list(ids.values()), "publish", None)
    return SimpleNamespace(**ids)


def taken(people: Any, question_ids: list[int], answers: list[Any], **options: Any) -> Any:
    """Start a session of the questions (10 points each), save the answers, submit."""
    data = {
        "title": "安规考试",
        "mode": QuizMode.EXAM,
        "sections": [{"points": 10, "question_ids": question_ids}],
        **options,
    }
    tid = templates.create_template(people.editor, data).id
    sid = sessions.start(people.learner, tid).id
    for position, response in enumerate(answers, start=1):
        if response is not None:
            answering.save_answer(people.learner, sid, position, response, f"a{position}", None)
    return submission.submit(people.learner, sid)


def statements(user: User, verb: str) -> int:
    query = select(func.count()).where(Statement.user_id == user.id, Statement.verb == verb)
    return int(db.session.scalar(query) or 0)


def test_multiple_choice_earns_partial_credit_only_when_the_template_allows(
    people: Any, bank: Any
) -> None:
    partial = {"choice_partial": True, "choice_share": 0.4}
    for selected, options, score in (
        (["A"], partial, 4),  # right but incomplete: the share
        (["A", "C"], partial, 0),  # a wrong option: nothing
        (["B", "A"], partial, 10),
        (["A"], {}, 0),  # all or nothing
    ):
        graded = taken(people, [bank.multi], [{"selected": selected}], **options)
        assert graded.result is not None and graded.result["score"] == score, (selected, options)
        assert graded.items[0].score == score


def test_the_pass_mark_is_a_share_of_the_points(people: Any, bank: Any) -> None:
    half = [{"selected": ["C"]}, {"value": True}]  # 10 of 20 points
    reached = taken(people, [bank.multi, bank.true_false], half, pass_mark=50)
    assert reached.result is not None
    assert (reached.result["score"], reached.result["max_score"], reached.result["passed"]) == (
        10,
        20,
        True,
    )
    assert reached.result["knowledge_points"] == {"工器具": 0.0, "停电作业": 1.0}
    missed = taken(people, [bank.multi, bank.true_false], half, pass_mark=50.5)
    assert missed.result is not None and missed.result["passed"] is False
    unanswered = taken(people, [bank.true_false], [None])
    assert unanswered.result is not None
    assert (unanswered.result["score"], unanswered.result["passed"]) == (0, False)
    assert (statements(people.learner, "passed"), statements(people.learner, "failed")) == (1, 2)


def test_answers_waiting_for_a_person_leave_passed_undecided(people: Any, bank: Any) -> None:
    answers = [{"value": True}, {"text": "先停电，再验电，然后装设接地线"}]
    waiting = taken(people, [bank.true_false, bank.manual], answers)
    assert waiting.result is not None
    assert (waiting.result["passed"], waiting.result["pending_manual"]) == (None, 1)
    assert waiting.result["score"] == 10  # what is graded so far
    assert statements(people.learner, "passed") + statements(people.learner, "failed") == 0
    marked = marking.grade_by_hand(people.editor, waiting.id, 2, 6, "措施不全")
    assert (marked.item.score, marked.item.pending) == (6, False)
    final = submission.view(people.learner, waiting.id)
    assert final.result is not None
    assert (final.result["score"], final.result["passed"], final.result["pending_manual"]) == (
        16,
        True,
        0,
    )
    assert statements(people.learner, "passed") == 1


def test_expire_overdue_grades_timed_sessions_with_what_was_saved(
    people: Any, bank: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def timed(seconds: int) -> int:
        data = {
            "title": "限时考试",
            "mode": QuizMode.EXAM,
            "time_limit_seconds": seconds,
            "sections": [{"points": 10, "question_ids": [bank.true_false, bank.multi]}],
        }
        return int(templates.create_template(people.editor, data).id)

    short, long = timed(60), timed(3600)
    overdue = sessions.start(people.learner, short).id
    running = sessions.start(people.learner, long).id
    answering.save_answer(people.learner, overdue, 1, {"value": True}, "saved", None)
    later = utcnow() + timedelta(seconds=60 + 5 + 1)
    monkeypatch.setattr("catalog.quiz.results.utcnow", lambda: later)
    assert results.expire_overdue() == 1
    graded = db.session.get(QuizSession, overdue)
    assert graded is not None
    db.session.refresh(graded)
    assert (graded.status, graded.score, graded.passed) == (SessionStatus.EXPIRED, 10, False)
    assert db.session.get(QuizSession, running).status is SessionStatus.IN_PROGRESS
    assert results.expire_overdue() == 0
