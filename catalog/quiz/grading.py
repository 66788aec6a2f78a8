"""Grading one answer on the server, by question type.

Answer keys are those of ``catalog.banks.validation``; responses are:
- single_choice / multiple_choice: ``{"selected": ["A", "C"]}``
- true_false: ``{"value": true}``
- fill_blank: ``{"blanks": ["50", "火线"]}``
- short_answer: ``{"text": "先验电，再挂接地线"}``

Multiple choice follows the template's policy: all-or-nothing, or partial — a selection with
no wrong option but missing some right ones earns ``share`` of the points, any wrong option
earns nothing (少选得一半、错选不得分). Blanks are compared after folding case, width, spaces,
punctuation and Traditional script; a numeric key is compared as a number, within its
tolerance. Short answers score the weights of the keywords (or their synonyms) they contain,
unless the question is marked for manual grading.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from search.text import fold, squeeze


@dataclass(frozen=True)
class ChoicePolicy:
    partial: bool = False
    share: float = 0.5  # of the points, for a right but incomplete selection


@dataclass(frozen=True)
class Grade:
    score: float
    max_score: float
    correct: bool  # full marks
    pending: bool = False  # waits for a person (manual short answers)
    detail: dict[str, Any] = field(default_factory=dict)


def grade(
    question_type: str,
    key: dict[str, Any],
    response: dict[str, Any] | None,
    *,
    points: float,
    policy: ChoicePolicy = ChoicePolicy(),
) -> Grade:
    """The score of ``response`` (None: unanswered) to a question worth ``points``."""
    if question_type == "short_answer" and key.get("manual"):
        return Grade(0.0, points, False, pending=response is not None)
    if not response:
        return Grade(0.0, points, False, detail={"answered": False})
    if question_type == "single_choice":
        chosen = _labels(response)
        right = chosen == set(key["correct"])
        return Grade(points if right else 0.0, points, right)
    if question_type == "multiple_choice":
        return _multiple(set(key["correct"]), _labels(response), points, policy)
    if question_type == "true_false":
        value = response.get("value")
        right = isinstance(value, bool) and value == key["correct"]
        return Grade(points if right else 0.0, points, right)
    if question_type == "fill_blank":
        return _fill(key, response, points)
    return _keywords(key, response, points)


def _labels(response: dict[str, Any]) -> set[str]:
    selected = response.get("selected")
    if not isinstance(selected, list):
        return set()
    return {str(label).strip().upper() for label in selected if str(label).strip()}


def _multiple(right: set[str], chosen: set[str], points: float, policy: ChoicePolicy) -> Grade:
    if chosen == right:
        return Grade(points, points, True)
    if policy.partial and chosen and chosen < right:
        return Grade(
            _round(points * policy.share), points, False, detail={"missing": sorted(right - chosen)}
        )
    return Grade(0.0, points, False, detail={"wrong": sorted(chosen - right)})


def _number(text: str) -> float | None:
    try:
        # Width and spaces folded, but not punctuation: the decimal point matters.
        value = float(fold(text).replace(" ", "").replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _blank_matches(given: str, blank: dict[str, Any]) -> bool:
    tolerance = blank.get("tolerance")
    for accepted in blank["accepted"]:
        key_number, given_number = _number(accepted), _number(given)
        if key_number is not None and given_number is not None:
            if abs(key_number - given_number) <= (tolerance or 0) + 1e-9:
                return True
            continue
        if squeeze(given) and squeeze(given) == squeeze(accepted):
            return True
    return False


def _fill(key: dict[str, Any], response: dict[str, Any], points: float) -> Grade:
    blanks = key["blanks"]
    given = response.get("blanks")
    if not isinstance(given, list):
        given = []
    given = [str(g) for g in given]
    right = [False] * len(blanks)
    if key.get("ordered", True):
        for index, blank in enumerate(blanks):
            right[index] = index < len(given) and _blank_matches(given[index], blank)
    else:  # each given answer may fill one blank, in any order
        unused = list(given)
        for index, blank in enumerate(blanks):
            match = next((g for g in unused if _blank_matches(g, blank)), None)
            if match is not None:
                unused.remove(match)
                right[index] = True
    share = sum(right) / len(blanks) if blanks else 0.0
    return Grade(_round(points * share), points, all(right), detail={"blanks": right})


def _keywords(key: dict[str, Any], response: dict[str, Any], points: float) -> Grade:
    text = squeeze(str(response.get("text") or ""))
    keywords = key.get("keywords") or []
    total = sum(float(k["weight"]) for k in keywords)
    if not text or not total:
        return Grade(0.0, points, False, detail={"matched": []})
    matched = [
        k["word"]
        for k in keywords
        if any(squeeze(w) and squeeze(w) in text for w in [k["word"], *k.get("synonyms", [])])
    ]
    earned = sum(float(k["weight"]) for k in keywords if k["word"] in matched)
    return Grade(
        _round(points * earned / total), points, earned == total, detail={"matched": matched}
    )


def _round(value: float) -> float:
    return round(value, 2)
