"""Grading rules, type by type, with their edges."""

from __future__ import annotations

import random

import pytest

from catalog.quiz.grading import ChoicePolicy, grade

MULTI = {"correct": ["A", "B", "D"]}
PARTIAL = ChoicePolicy(partial=True, share=0.5)


@pytest.mark.parametrize(
    ("selected", "score", "correct"),
    [(["B"], 2, True), (["b"], 2, True), (["A"], 0, False), ([], 0, False), (["A", "B"], 0, False)],
)
def test_single_choice(selected: list[str], score: float, correct: bool) -> None:
    result = grade("single_choice", {"correct": ["B"]}, {"selected": selected}, points=2)
    assert (result.score, result.correct) == (score, correct)


@pytest.mark.parametrize(
    ("selected", "all_or_nothing", "partial"),
    [
        (["A", "B", "D"], 4, 4),
        (["D", "B", "A"], 4, 4),
        (["A", "B"], 0, 2),
        (["A"], 0, 2),
        (["A", "B", "C"], 0, 0),
        (["C"], 0, 0),
        ([], 0, 0),
        (["A", "B", "C", "D"], 0, 0),
    ],
)
def test_multiple_choice_policies(
    selected: list[str], all_or_nothing: float, partial: float
) -> None:
    assert grade("multiple_choice", MULTI, {"selected": selected}, points=4).score == all_or_nothing
    assert (
        grade("multiple_choice", MULTI, {"selected": selected}, points=4, policy=PARTIAL).score
        == partial
    )


def test_partial_share_is_configurable() -> None:
    result = grade(
        "multiple_choice",
        MULTI,
        {"selected": ["A"]},
        points=3,
        policy=ChoicePolicy(partial=True, share=1 / 3),
    )
    assert result.score == 1.0
    assert result.detail == {"missing": ["B", "D"]}


@pytest.mark.parametrize(("value", "score"), [(False, 1), (True, 0), ("false", 0), (None, 0)])
def test_true_false(value: object, score: float) -> None:
    assert grade("true_false", {"correct": False}, {"value": value}, points=1).score == score


FILL = {
    "blanks": [
        {"accepted": ["火线", "相线"], "tolerance": None},
        {"accepted": ["Neutral"], "tolerance": None},
    ],
    "ordered": True,
}


@pytest.mark.parametrize(
    ("given", "score", "flags"),
    [
        (["火线", "neutral"], 2, [True, True]),
        (["相線 ", "ＮＥＵＴＲＡＬ"], 2, [True, True]),  # Traditional, width, case, spaces
        (["火线", "地线"], 1, [True, False]),
        (["neutral", "火线"], 0, [False, False]),  # ordered: places matter
        (["火线"], 1, [True, False]),
    ],
)
def test_fill_blank_ordered(given: list[str], score: float, flags: list[bool]) -> None:
    result = grade("fill_blank", FILL, {"blanks": given}, points=2)
    assert (result.score, result.detail["blanks"]) == (score, flags)


def test_fill_blank_unordered() -> None:
    key = {**FILL, "ordered": False}
    assert grade("fill_blank", key, {"blanks": ["neutral", "火线"]}, points=2).score == 2
    # One answer fills one blank only.
    assert grade("fill_blank", key, {"blanks": ["火线", "火线"]}, points=2).score == 1


@pytest.mark.parametrize(
    ("given", "right"),
    [
        ("50", True),
        ("50.0", True),
        ("49.6", True),
        ("50.6", False),
        ("５０", True),
        ("fifty", False),
    ],
)
def test_numeric_blanks_use_the_tolerance(given: str, right: bool) -> None:
    key = {"blanks": [{"accepted": ["50"], "tolerance": 0.5}], "ordered": True}
    assert grade("fill_blank", key, {"blanks": [given]}, points=1).correct is right


def test_a_numeric_key_without_tolerance_compares_numbers() -> None:
    key = {"blanks": [{"accepted": ["220"], "tolerance": None}], "ordered": True}
    assert grade("fill_blank", key, {"blanks": ["220.0"]}, points=1).correct
    assert not grade("fill_blank", key, {"blanks": ["221"]}, points=1).correct


def test_short_answer_by_weighted_keywords() -> None:
    key = {
        "keywords": [
            {"word": "验电", "weight": 2, "synonyms": ["驗電"]},
            {"word": "接地线", "weight": 1, "synonyms": ["地线"]},
            {"word": "监护", "weight": 1, "synonyms": []},
        ],
        "manual": False,
    }
    full = grade("short_answer", key, {"text": "先驗電，再装设接地线，全程有人监护。"}, points=8)
    assert (full.score, full.correct) == (8, True)
    part = grade("short_answer", key, {"text": "要挂地线"}, points=8)
    assert part.score == 2.0
    assert part.detail == {"matched": ["接地线"]}
    assert grade("short_answer", key, {"text": ""}, points=8).score == 0


def test_manual_short_answers_wait_for_a_person() -> None:
    key = {"keywords": [], "manual": True}
    result = grade("short_answer", key, {"text": "我的理解是……"}, points=10)
    assert result.pending and result.score == 0
    assert not grade("short_answer", key, None, points=10).pending


def test_unanswered_scores_zero() -> None:
    assert grade("single_choice", {"correct": ["A"]}, None, points=2).score == 0
    assert grade("fill_blank", FILL, {}, points=2).score == 0


def test_scores_stay_within_bounds_and_grading_is_repeatable() -> None:
    rng = random.Random(6)
    for _ in range(2000):
        points = rng.choice([1, 2, 2.5, 5])
        selected = rng.sample("ABCDE", rng.randint(0, 5))
        policy = ChoicePolicy(partial=rng.random() < 0.5, share=rng.random())
        first = grade(
            "multiple_choice", MULTI, {"selected": selected}, points=points, policy=policy
        )
        again = grade(
            "multiple_choice", MULTI, {"selected": selected}, points=points, policy=policy
        )
        assert 0 <= first.score <= points
        assert first == again
        blanks = [rng.choice(["火线", "相线", "地线", "", "neutral"]) for _ in range(2)]
        fill = grade("fill_blank", FILL, {"blanks": blanks}, points=points)
        assert 0 <= fill.score <= points
