"""Answers are checked against their question before anything is saved: whatever a phone
sends, a malformed answer is refused (422 naming the field) and changes nothing; a well-formed
one is graded within the question's points."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.errors import Invalid
from catalog.quiz.grading import ChoicePolicy, grade
from catalog.quiz.responses import checked
from catalog.quiz.view_models import LABELS

OPTIONS = 4
KEYS = {
    "single_choice": {"correct": ["B"]},
    "multiple_choice": {"correct": ["A", "C"]},
    "true_false": {"correct": True},
    "fill_blank": {
        "blanks": [{"accepted": ["接地线", "地线"]}, {"accepted": ["10"], "tolerance": 0.5}],
        "ordered": True,
    },
    "short_answer": {"keywords": [{"word": "验电", "weight": 2}, {"word": "接地", "weight": 1}]},
}
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=12,
)
ANYTHING = st.one_of(
    JSON,
    st.dictionaries(
        st.sampled_from(["selected", "value", "blanks", "text", "other"]), JSON, max_size=3
    ),
    st.fixed_dictionaries({"selected": st.lists(st.sampled_from(list("ABCDEZabcd")), max_size=5)}),
    st.fixed_dictionaries({"blanks": st.lists(st.text(max_size=10), max_size=3)}),
    st.fixed_dictionaries({"value": st.booleans()}),
    st.fixed_dictionaries({"text": st.text(max_size=30)}),
)
WELL_FORMED = {
    "single_choice": st.fixed_dictionaries(
        {"selected": st.sampled_from(LABELS[:OPTIONS]).map(lambda label: [label])}
    ),
    "multiple_choice": st.fixed_dictionaries(
        {"selected": st.lists(st.sampled_from(LABELS[:OPTIONS]), min_size=1, unique=True)}
    ),
    "true_false": st.fixed_dictionaries({"value": st.booleans()}),
    "fill_blank": st.fixed_dictionaries(
        {
            "blanks": st.tuples(
                st.text(max_size=10),
                st.one_of(st.just(""), st.integers(-1000, 1000).map(str), st.just("10.2")),
            ).map(list)
        }
    ),
    "short_answer": st.fixed_dictionaries({"text": st.text(max_size=50)}),
}


@settings(max_examples=500, deadline=None)
@given(question_type=st.sampled_from(sorted(KEYS)), response=ANYTHING)
def test_anything_is_refused_or_canonical_and_gradable(question_type: str, response: Any) -> None:
    try:
        clean = checked(question_type, KEYS[question_type], OPTIONS, response)
    except Invalid as refusal:
        assert refusal.code == "invalid_answer"
        (field,) = refusal.details["json"]["response"]
        assert field in {"selected", "value", "blanks", "text"}
        return
    assert checked(question_type, KEYS[question_type], OPTIONS, clean) == clean  # canonical
    result = grade(question_type, KEYS[question_type], clean, points=2, policy=ChoicePolicy())
    assert 0 <= result.score <= 2


@settings(max_examples=300, deadline=None)
@given(data=st.data(), question_type=st.sampled_from(sorted(KEYS)))
def test_well_formed_answers_are_accepted_and_graded_within_the_points(
    data: st.DataObject, question_type: str
) -> None:
    response = data.draw(WELL_FORMED[question_type])
    clean = checked(question_type, KEYS[question_type], OPTIONS, response)
    for partial in (False, True):
        policy = ChoicePolicy(partial=partial, share=0.5)
        result = grade(question_type, KEYS[question_type], clean, points=5, policy=policy)
        assert 0 <= result.score <= 5


@pytest.mark.parametrize(
    ("question_type", "response", "field"),
    [
        ("single_choice", {"selected": ["Z"]}, "selected"),  # seen: saved and locked the item
        ("single_choice", {"selected": ["A", "B"]}, "selected"),
        ("multiple_choice", {"value": True}, "selected"),  # seen: saved, 200
        ("multiple_choice", {"selected": ["A", "A"]}, "selected"),
        ("fill_blank", {"blanks": ["接地线", "10", "多余"]}, "blanks"),  # seen: full marks
        ("fill_blank", {"selected": ["A"]}, "blanks"),  # seen: 0 without a word
        ("true_false", {"value": "true"}, "value"),
        ("short_answer", {"text": 5}, "text"),
    ],
)
def test_the_refusals_seen_on_make_run(question_type: str, response: Any, field: str) -> None:
    with pytest.raises(Invalid) as refusal:
        checked(question_type, KEYS[question_type], OPTIONS, response)
    assert set(refusal.value.details["json"]["response"]) == {field}


def test_a_blank_is_never_refused_for_its_kind() -> None:
    """Refusing "十" where the key is 10 would tell that the key is a number: blanks take any
    text (or a JSON number), and grading compares numbers as numbers."""
    assert checked("fill_blank", KEYS["fill_blank"], OPTIONS, {"blanks": ["地线", "十"]})
    clean = checked("fill_blank", KEYS["fill_blank"], OPTIONS, {"blanks": ["地线", 10]})
    assert grade("fill_blank", KEYS["fill_blank"], clean, points=2).score == 2


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(response=ANYTHING)
def test_a_malformed_answer_changes_nothing(
    client: FlaskClient, setup: dict, response: Any, start_practice: Callable[[], dict]
) -> None:
    session = start_practice()
    item = session["items"][0]
    url = f"/api/v1/quiz-sessions/{session['id']}/answers/{item['position']}"
    sent = client.put(
        url, json={"response": response, "client_answer_id": "x1"}, headers=setup["learner"]
    )
    after = client.get(f"/api/v1/quiz-sessions/{session['id']}", headers=setup["learner"])
    first = after.get_json()["items"][0]
    if sent.status_code in (400, 422):  # 400: no strict parser takes it (a NUL, say)
        assert sent.get_json()["error"]["code"] in {
            "invalid_answer",
            "validation_error",
            "bad_request",
        }
        assert first["response"] is None and not first["revealed"]  # nothing saved, not locked
        right = next(o["label"] for o in item["options"] if o["text"] == "断开电源")
        retry = {"response": {"selected": [right]}, "client_answer_id": "x2"}
        assert client.put(url, json=retry, headers=setup["learner"]).status_code == 200
    else:
        assert sent.status_code == 200, sent.get_json()
        assert first["response"] is not None


@pytest.fixture
def start_practice(client: FlaskClient, setup: dict) -> Callable[[], dict]:
    """A fresh practice session of one single-choice question, feedback after each answer."""
    body = {
        "title": "单选练习",
        "mode": "practice",
        "sections": [{"points": 2, "question_ids": setup["ids"][:1]}],
    }
    made = client.post("/api/v1/quiz-templates", json=body, headers=setup["editor"])
    assert made.status_code == 201, made.get_json()
    url = f"/api/v1/quiz-templates/{made.get_json()['id']}/sessions"

    def start() -> dict:
        started = client.post(url, headers=setup["learner"])
        assert started.status_code == 201, started.get_json()
        return dict(started.get_json())

    return start
