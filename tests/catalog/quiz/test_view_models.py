"""What a learner sees of a session: keys only when the feedback policy allows, time left."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, fields
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from catalog.accounts.models import Organisation, Role, User
from catalog.banks import questions
from catalog.banks import services as banks
from catalog.clock import utcnow
from catalog.database import db
from catalog.quiz import answering, sessions, submission, templates
from catalog.quiz.models import FeedbackPolicy, QuizMode, QuizSession, SessionItem
from catalog.quiz.view_models import LABELS, ItemView


@pytest.fixture
def people(make_org: Callable[..., Organisation], make_user: Callable[..., User]) -> Any:
    org = make_org(code="quiz-org")
    return SimpleNamespace(
        editor=make_user(Role.EDITOR, organisation=org),
        learner=make_user(Role.LEARNER, organisation=org),
    )


@pytest.fixture
def question_ids(people: Any) -> list[int]:
    """Two single-choice questions: 断开电源 (B) is right."""
    return new_questions(people)


def new_questions(people: Any, name: str = "安全题库") -> list[int]:
    bank = banks.create_bank(people.editor, {"name": name})
    ids = [
        questions.create_question(
            people.editor,
            bank.id,
            {
                "type": "single_choice",
                "stem": f"第{n}题：停电检修时首先？",
                "options": [
                    {"label": "A", "text": "验电"},
                    {"label": "B", "text": "断开电源"},
                    {"label": "C", "text": "挂接地线"},
                    {"label": "D", "text": "悬挂标示牌"},
                ],
                "answer": {"correct": ["B"]},
                "explanation": f"解析{n}",
            },
        ).question.id
        for n in range(2)
    ]
    questions.bulk(people.editor, bank.id, ids, "publish", None)
    return ids


def template(people: Any, question_ids: list[int], **options: Any) -> int:
    now = utcnow()
    data = {
        "title": "停电作业测试",
        "mode": QuizMode.EXAM,
        "opens_at": now - timedelta(minutes=5),
        "closes_at": now + timedelta(hours=1),
        "sections": [{"points": 2, "question_ids": question_ids}],
        **options,
    }
    return int(templates.create_template(people.editor, data).id)


def right_label(item: ItemView) -> str:
    return next(o["label"] for o in item.options if o["text"] == "断开电源")


def shown(item: ItemView) -> bool:
    """Whether anything of the key reached the learner; all of it must, or none."""
    parts = (item.answer, item.explanation, item.score)
    assert item.revealed is (parts[0] is not None)
    assert all(p is None for p in parts) or all(p is not None for p in parts), item
    return item.revealed


# Revealed? (answered item, unanswered item): while running, once submitted, after the close.
POLICIES = {
    FeedbackPolicy.AFTER_EACH: [(True, False), (True, True), (True, True)],
    FeedbackPolicy.AFTER_SUBMIT: [(False, False), (True, True), (True, True)],
    FeedbackPolicy.AFTER_CLOSE: [(False, False), (False, False), (True, True)],
    FeedbackPolicy.NEVER: [(False, False), (False, False), (False, False)],
}


def closes_at(session_id: str) -> datetime:
    session = db.session.get(QuizSession, session_id)
    assert session is not None and session.template is not None
    assert session.template.closes_at is not None
    return session.template.closes_at


def seen(view: Any) -> tuple[bool, bool]:
    answered, unanswered = view.items
    return shown(answered), shown(unanswered)


def test_keys_show_only_when_the_feedback_policy_allows(
    people: Any, question_ids: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    observed: dict[FeedbackPolicy, list[tuple[bool, bool]]] = {}
    taken: dict[FeedbackPolicy, str] = {}
    for policy in POLICIES:
        # Questions of their own: an exam holds its questions until it closes, which would
        # hide their keys in the other exams too (tested in test_visibility).
        own = question_ids if policy is FeedbackPolicy.AFTER_EACH else new_questions(people, policy)
        tid = template(people, own, feedback_policy=policy)
        sid = sessions.start(people.learner, tid).id
        first = submission.view(people.learner, sid).items[0]
        saved = answering.save_answer(
            people.learner, sid, 1, {"selected": [right_label(first)]}, "a1", None
        )
        running = submission.view(people.learner, sid)
        shown = {f.name: getattr(saved, f.name) for f in fields(ItemView)}
        assert shown == asdict(running.items[0]), policy  # the answer's reply shows no more
        observed[policy] = [seen(running), seen(submission.submit(people.learner, sid))]
        taken[policy] = sid
    closes = max(closes_at(sid) for sid in taken.values())
    after = closes + timedelta(seconds=1)
    for module in ("catalog.quiz.view_models", "catalog.banks.visibility"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: after)
    for policy, sid in taken.items():
        final = submission.view(people.learner, sid)
        observed[policy].append(seen(final))
        if final.items[0].revealed:
            assert final.items[0].explanation is not None, policy
            assert final.items[0].explanation.startswith("解析"), policy
            assert final.items[0].score == 2, policy
    assert observed == POLICIES


def test_keys_are_shown_in_the_option_order_the_session_froze(
    people: Any, question_ids: list[int]
) -> None:
    tid = template(
        people,
        question_ids[:1],
        mode=QuizMode.PRACTICE,
        shuffle_options=True,
        feedback_policy=FeedbackPolicy.AFTER_EACH,
    )
    for _ in range(30):  # until the shuffle has moved the right option off its own label
        sid = sessions.start(people.learner, tid).id
        item = db.session.scalars(db.select(SessionItem).where(SessionItem.session_id == sid)).one()
        if item.option_order[1] != "B":
            break
    else:
        pytest.fail("thirty shuffles left B in place")
    [before] = submission.view(people.learner, sid).items
    assert [o["text"] for o in before.options] == [
        {"A": "验电", "B": "断开电源", "C": "挂接地线", "D": "悬挂标示牌"}[label]
        for label in item.option_order
    ]
    displayed = right_label(before)
    assert displayed == LABELS[item.option_order.index("B")] != "B"
    graded = answering.save_answer(people.learner, sid, 1, {"selected": [displayed]}, "x", None)
    assert (graded.answer, graded.score) == ({"correct": [displayed]}, 2)


def test_a_running_session_shows_its_time_left_and_no_result(
    people: Any, question_ids: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    tid = template(people, question_ids, time_limit_seconds=600)
    started = sessions.start(people.learner, tid)
    sid, began = started.id, started.started_at
    monkeypatch.setattr("catalog.quiz.view_models.utcnow", lambda: began + timedelta(seconds=100))
    running = submission.view(people.learner, sid)
    assert (running.remaining_seconds, running.result) == (500, None)
    assert running.server_time == began + timedelta(seconds=100)
    done = submission.submit(people.learner, sid)
    assert (done.remaining_seconds, done.result is not None) == (None, True)
