"""Saving answers: idempotence, two devices, the deadline's grace, practice feedback, batches."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from catalog.accounts.models import Organisation, Role, User
from catalog.banks import questions
from catalog.banks import services as banks
from catalog.clock import utcnow
from catalog.database import db
from catalog.errors import Conflict, NotFound
from catalog.quiz import answering, sessions, submission, templates
from catalog.quiz.models import QuizMode, QuizSession, QuizTemplate, SessionStatus


@pytest.fixture
def people(make_org: Callable[..., Organisation], make_user: Callable[..., User]) -> Any:
    org = make_org(code="quiz-org")
    return SimpleNamespace(
        editor=make_user(Role.EDITOR, organisation=org),
        learner=make_user(Role.LEARNER, organisation=org),
        colleague=make_user(Role.LEARNER, organisation=org),
    )


def start(people: Any, **options: Any) -> str:
    """A session of three true/false questions (true is right), two points each."""
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
        for n in range(3)
    ]
    questions.bulk(people.editor, bank.id, ids, "publish", None)
    data = {
        "title": "安规判断",
        "mode": QuizMode.EXAM,
        "sections": [{"points": 2, "question_ids": ids}],
        **options,
    }
    return str(sessions.start(people.learner, templates.create_template(people.editor, data).id).id)


def save(people: Any, sid: str, position: int, value: bool, client_id: str, at: Any = None) -> Any:
    return answering.save_answer(people.learner, sid, position, {"value": value}, client_id, at)


def responses(people: Any, sid: str) -> list[Any]:
    return [i.response for i in submission.view(people.learner, sid).items]


def test_saving_the_same_client_answer_id_twice_changes_nothing(people: Any) -> None:
    sid = start(people)
    first = save(people, sid, 1, False, "phone-1")
    replay = save(people, sid, 1, False, "phone-1")  # a retry of the same answer
    assert replay == first
    with pytest.raises(Conflict) as reused:  # another answer under the same id is no retry
        save(people, sid, 1, True, "phone-1")
    assert reused.value.code == "answer_id_reused"
    assert responses(people, sid) == [{"value": False}, None, None]
    submission.submit(people.learner, sid)
    assert save(people, sid, 1, False, "phone-1").response == {"value": False}  # even now
    with pytest.raises(Conflict):
        save(people, sid, 1, True, "phone-2")


def test_between_two_devices_the_later_client_answered_at_wins(people: Any) -> None:
    sid = start(people)
    # Device times count within what the server can vouch for: after the session started and
    # no further ahead of the server's clock than the skew allowed (5 minutes).
    morning = utcnow() + timedelta(seconds=1)
    later = morning + timedelta(minutes=2)
    save(people, sid, 1, True, "tablet", later)
    stale = save(people, sid, 1, False, "phone", morning)  # answered earlier, arrives later
    assert (stale.response, stale.client_answer_id) == ({"value": True}, "tablet")
    save(people, sid, 2, False, "phone", morning)
    save(people, sid, 2, True, "tablet", later)  # answered later, arrives later
    assert responses(people, sid)[:2] == [{"value": True}, {"value": True}]
    save(people, sid, 3, False, "phone")  # without device times, the last save stands
    save(people, sid, 3, True, "tablet")
    assert responses(people, sid)[2] == {"value": True}


def test_a_save_after_the_deadline_and_its_grace_raises_conflict(
    people: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = start(people, time_limit_seconds=60)
    session = db.session.get(QuizSession, sid)
    assert session is not None and session.deadline_at is not None
    deadline = session.deadline_at

    def at(moment: Any) -> None:
        for module in ("answering", "results"):
            monkeypatch.setattr(f"catalog.quiz.{module}.utcnow", lambda: moment)

    at(deadline + timedelta(seconds=5))  # the last moment of the grace (5 s)
    save(people, sid, 1, True, "in-time")
    at(deadline + timedelta(seconds=5, microseconds=1))
    with pytest.raises(Conflict) as late:
        save(people, sid, 2, True, "late")
    assert late.value.code == "session_closed"
    assert late.value.details["status"] == "expired"  # graded with what was saved
    ended = db.session.get(QuizSession, sid)
    assert ended is not None and (ended.status, ended.score) == (SessionStatus.EXPIRED, 2)


def test_practice_grades_each_answer_at_once_and_it_then_stands(people: Any) -> None:
    sid = start(people, mode=QuizMode.PRACTICE)
    graded = save(people, sid, 1, False, "first")
    assert (graded.revealed, graded.score, graded.answer) == (True, 0, {"correct": True})
    with pytest.raises(Conflict) as fixed:
        save(people, sid, 1, True, "second thoughts")
    assert (fixed.value.code, fixed.value.details) == ("already_answered", {"position": 1})
    assert responses(people, sid)[0] == {"value": False}


def test_a_batch_saves_each_answer_on_its_own(people: Any) -> None:
    sid = start(people)
    now = utcnow()
    save(people, sid, 1, True, "sent-before")
    save(people, sid, 3, True, "newer-elsewhere", now)
    outcomes = answering.save_batch(
        people.learner,
        sid,
        [
            {"position": 1, "response": {"value": True}, "client_answer_id": "sent-before"},
            {"position": 2, "response": {"value": False}, "client_answer_id": "offline-2"},
            {"position": 9, "response": {"value": True}, "client_answer_id": "offline-9"},
            {
                "position": 3,
                "response": {"value": False},
                "client_answer_id": "offline-3",
                "client_answered_at": now - timedelta(minutes=1),
            },
        ],
    )
    assert [(o.position, o.status) for o in outcomes] == [
        (1, "duplicate"),
        (2, "saved"),
        (9, "rejected"),
        (3, "stale"),
    ]
    assert responses(people, sid) == [{"value": True}, {"value": False}, {"value": True}]
    with pytest.raises(NotFound):  # one at a time, the missing question is an error
        save(people, sid, 9, True, "offline-9")


def test_a_device_clock_ahead_of_the_server_does_not_lock_the_answer(
    people: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = start(people)
    ahead = save(people, sid, 1, False, "phone-a-day-ahead", utcnow() + timedelta(days=1))
    assert ahead.stands
    # The phone's time counts no further than the skew allowed (5 minutes) past its arrival:
    # an answer given after that, on a correct device, stands.
    later = utcnow() + timedelta(minutes=6)
    monkeypatch.setattr("catalog.quiz.answering.utcnow", lambda: later)
    corrected = save(people, sid, 1, True, "tablet", later)
    assert corrected.stands and corrected.response == {"value": True}


def test_no_answer_is_saved_after_the_close_of_an_untimed_session(
    people: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = utcnow()
    sid = start(
        people,
        mode=QuizMode.CONTEST,
        opens_at=now - timedelta(minutes=5),
        closes_at=now + timedelta(hours=1),
    )
    session = db.session.get(QuizSession, sid)
    assert session is not None and session.template_id is not None
    template = db.session.get(QuizTemplate, session.template_id)
    assert template is not None
    assert session.deadline_at == template.closes_at  # untimed: the close is the deadline
    after = template.closes_at + timedelta(seconds=10)
    for module in ("answering", "results"):
        monkeypatch.setattr(f"catalog.quiz.{module}.utcnow", lambda: after)
    with pytest.raises(Conflict):
        save(people, sid, 1, True, "after-the-close")
