"""Property tests of grading: whatever a phone sends as an answer, the score stays within the
question's points, and grading it again gives the same result."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.quiz.grading import ChoicePolicy, grade

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
RESPONSES = st.one_of(
    st.none(),
    st.dictionaries(
        st.sampled_from(["selected", "value", "blanks", "text", "other"]), JSON, max_size=4
    ),
    st.fixed_dictionaries({"selected": st.lists(st.sampled_from(list("ABCDabcd")), max_size=5)}),
    st.fixed_dictionaries({"blanks": st.lists(st.text(max_size=10), max_size=3)}),
)


@settings(max_examples=400, deadline=None)
@given(
    question_type=st.sampled_from(sorted(KEYS)),
    response=RESPONSES,
    points=st.sampled_from([0.5, 1, 2, 5, 10]),
    partial=st.booleans(),
    share=st.floats(min_value=0, max_value=1),
)
def test_scores_stay_within_the_points_and_grading_is_repeatable(
    question_type: str, response: Any, points: float, partial: bool, share: float
) -> None:
    policy = ChoicePolicy(partial=partial, share=share)
    first = grade(question_type, KEYS[question_type], response, points=points, policy=policy)
    again = grade(question_type, KEYS[question_type], response, points=points, policy=policy)
    assert 0 <= first.score <= points
    assert first == again
    assert not first.correct or first.score == points
