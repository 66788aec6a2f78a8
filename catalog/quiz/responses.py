"""What an answer must look like for the question it answers, checked before anything is
saved: the labels the session showed, one label for a single choice, a set for a multiple
choice, a boolean for true/false, as many blanks as the question has, text for a short answer.
A malformed answer is a 422 naming the field; it is never stored, graded or allowed to lock a
question."""

from __future__ import annotations

from typing import Any, NoReturn

from catalog.errors import Invalid
from catalog.quiz.view_models import LABELS

MAX_BLANK_CHARS = 200
MAX_TEXT_CHARS = 5000

# The one field each type answers with.
FIELDS = {
    "single_choice": "selected",
    "multiple_choice": "selected",
    "true_false": "value",
    "fill_blank": "blanks",
    "short_answer": "text",
}


def checked(
    question_type: str, key: dict[str, Any], option_count: int, response: Any
) -> dict[str, Any]:
    """The response in canonical form (labels upper-case and sorted), or :class:`Invalid`.

    ``option_count``: how many options the session shows (labels A, B, … in its order).
    """
    expected = FIELDS[question_type]
    if not isinstance(response, dict) or set(response) != {expected}:
        _refuse(
            expected,
            f"应只含 {expected} / the answer to a {question_type} is {{{expected!r}: …}} only",
        )
    value = response[expected]
    if question_type in ("single_choice", "multiple_choice"):
        return {"selected": _labels(question_type, value, option_count)}
    if question_type == "true_false":
        if not isinstance(value, bool):
            _refuse("value", "应为 true 或 false / must be true or false")
        return {"value": value}
    if question_type == "fill_blank":
        return {"blanks": _blanks(key, value)}
    if not isinstance(value, str) or len(value) > MAX_TEXT_CHARS:
        _refuse("text", f"应为不超过 {MAX_TEXT_CHARS} 字的文字 / text of {MAX_TEXT_CHARS} or fewer")
    return {"text": value}


def _labels(question_type: str, value: Any, option_count: int) -> list[str]:
    shown = LABELS[:option_count]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        _refuse("selected", "应为选项字母列表 / a list of option letters")
    labels = [v.strip().upper() for v in value]
    unknown = [v for v in labels if v not in shown]
    if unknown:
        _refuse("selected", f"没有选项 {'、'.join(unknown)} / no option {', '.join(unknown)}")
    if len(set(labels)) != len(labels):
        _refuse("selected", "选项重复 / an option is chosen twice")
    if question_type == "single_choice" and len(labels) != 1:
        _refuse("selected", "单选题只能选一个选项 / a single choice takes exactly one option")
    if not labels:
        _refuse("selected", "至少选择一个选项 / choose at least one option")
    return sorted(labels)


def _blanks(key: dict[str, Any], value: Any) -> list[str]:
    """One text per blank (a number may come as a JSON number). Whether a blank takes a number
    is not checked here: the refusal would tell what kind of key it holds."""
    blanks = key.get("blanks") or []
    if not isinstance(value, list) or not all(
        isinstance(v, str) or (isinstance(v, int | float) and not isinstance(v, bool))
        for v in value
    ):
        _refuse("blanks", "应为文字列表，每空一项 / a list of texts, one per blank")
    if len(value) != len(blanks):
        _refuse("blanks", f"本题有 {len(blanks)} 个空 / this question has {len(blanks)} blanks")
    texts = [v if isinstance(v, str) else repr(v) for v in value]
    for number, given in enumerate(texts, start=1):
        if len(given) > MAX_BLANK_CHARS:
            _refuse("blanks", f"第 {number} 空过长 / blank {number} is too long")
    return texts


def _refuse(field: str, message: str) -> NoReturn:
    raise Invalid(
        "答案格式不符合题目要求 / The answer does not fit the question",
        code="invalid_answer",
        details={"json": {"response": {field: [message]}}},
    )
