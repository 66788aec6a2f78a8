"""Drawing questions: unseen first then least seen, the cache of eligible ids never serving a
withdrawn question, and newly published questions joining the draw."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import update

from catalog.accounts.models import Organisation, Role, User
from catalog.banks.models import Question, QuestionStatus
from catalog.database import db
from catalog.quiz.drawing import Seen, _pick, _sample
from tests.support.quizzing import start, template


def _seen(counts: dict[int, int]) -> Seen:
    seen = Seen(None)
    seen.everything = counts
    return seen


def test_unseen_questions_first_then_the_least_seen() -> None:
    ids = list(range(1000))
    counts = {i: 1 + i % 3 for i in range(990)}  # ten never seen: 990..999
    rng = random.Random(1)
    chosen = _pick(ids, 20, _seen(counts), set(), rng, _sample(ids, 20, rng))
    assert set(range(990, 1000)) <= set(chosen) and len(set(chosen)) == 20
    assert all(counts[i] == 1 for i in chosen if i < 990)  # then those seen once
    few = _pick(ids, 5, _seen({}), {1, 2, 3}, rng, _sample(ids, 5, rng))
    assert len(few) == 5 and not {1, 2, 3} & set(few)
    assert _pick(list(range(4)), 5, _seen({}), set(), rng, None) == []


def test_a_withdrawn_question_is_never_drawn_from_a_stale_cache(
    client: FlaskClient, setup: dict[str, Any]
) -> None:
    tid = template(client, setup).get_json()["id"]
    assert start(client, setup, tid).status_code == 201  # the cache now lists all six
    withdrawn = setup["ids"][:3]
    # Retired without moving updated_at, as a server with a slow clock might.
    db.session.execute(
        update(Question)
        .where(Question.id.in_(withdrawn))
        .values(status=QuestionStatus.RETIRED, updated_at=Question.updated_at)
    )
    db.session.commit()
    for _ in range(4):
        session = start(client, setup, tid).get_json()
        assert not {i["question_id"] for i in session["items"]} & set(withdrawn)


def test_newly_published_questions_join_the_draw(
    client: FlaskClient,
    setup: dict[str, Any],
    make_user: Callable[..., User],
    login: Callable[[User], dict],
) -> None:
    tid = template(client, setup).get_json()["id"]
    first = start(client, setup, tid).get_json()
    second = start(client, setup, tid).get_json()
    seen = {i["question_id"] for s in (first, second) for i in s["items"]}
    assert seen == set(setup["ids"])
    body = {
        "type": "single_choice",
        "stem": "新题：验电前应先？",
        "options": [{"label": "A", "text": "检查验电器"}, {"label": "B", "text": "直接验电"}],
        "answer": {"correct": ["A"]},
        "difficulty": 2,
    }
    new = [
        client.post(
            f"/api/v1/banks/{setup['bank']}/questions",
            json={**body, "stem": f"{body['stem']}{n}"},
            headers=setup["editor"],
        ).get_json()["id"]
        for n in range(3)
    ]
    client.post(
        f"/api/v1/banks/{setup['bank']}/questions/bulk",
        json={"ids": new, "action": "publish"},
        headers=setup["editor"],
    )
    third = start(client, setup, tid).get_json()
    assert {i["question_id"] for i in third["items"]} == set(new)  # unseen, and new
    org = db.session.get(Organisation, setup["org"])
    newcomer = login(make_user(Role.LEARNER, organisation=org))
    fresh = client.post(f"/api/v1/quiz-templates/{tid}/sessions", headers=newcomer).get_json()
    assert len(fresh["items"]) == 3
