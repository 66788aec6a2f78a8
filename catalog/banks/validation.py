"""What makes a question valid, and its fingerprint; shared by the editor API and the importers.

A question arrives as a plain dict (``type``, ``stem``, ``options``, ``answer``, ``explanation``,
``difficulty``, ``knowledge_points``, ``tags``, ``source``, ``usage``). ``check`` returns the
normalised question and the problems, field by field, in Chinese and English.

Answer keys by type:
- single_choice / multiple_choice: ``{"correct": ["A", "C"]}``
- true_false: ``{"correct": true}``
- fill_blank: ``{"blanks": [{"accepted": ["4", "四"], "tolerance": 0.1}], "ordered": true}``
- short_answer: ``{"keywords": [{"word": "接地", "weight": 2}], "reference": "…", "manual": false}``
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from catalog.banks.models import QuestionType, QuestionUsage
from ingest.questions import common
from search.text import squeeze

OPTION_LABELS = "ABCDEFGHIJ"
MIN_OPTIONS, MAX_OPTIONS = 2, 10
MAX_STEM = 5000
BLANK_MARKER = common.BLANK_MARKER  # one rule for readers and the bank

Problems = dict[str, list[str]]


MAX_OPTION = 1000
MAX_EXPLANATION = 5000
COMPARED = 1000  # near-duplicate similarity reads this much: its cost stays bounded
TEXT_FORMATS = ("plain", "markdown")  # HTML is read into plain text, never stored
MAX_NUMBER = 1e9  # a tolerance beyond this is no tolerance: refused, as NaN and 1e308 are


def _add(problems: Problems, field: str, zh: str, en: str) -> None:
    problems.setdefault(field, []).append(f"{zh} / {en}")


def _clean_list(values: Any, field: str, problems: Problems, *, limit: int, size: int) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        _add(problems, field, "应为文字列表", "expected a list of strings")
        return []
    cleaned = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    if len(cleaned) > limit:
        _add(problems, field, f"最多 {limit} 个", f"at most {limit}")
    if any(len(v) > size for v in cleaned):
        _add(problems, field, f"每项最多 {size} 个字", f"each at most {size} characters")
    return cleaned


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# Control characters a text may hold after Word or Excel (Shift+Enter is \x0b): line breaks
# become line breaks, the rest go — no export format can hold them (XML refuses them outright)
_LINE_BREAKS = re.compile(r"[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")


def without_controls(value: Any) -> Any:
    """``value`` with every text in it free of control characters (dicts and lists walked)."""
    if isinstance(value, str):
        return _CONTROLS.sub("", _LINE_BREAKS.sub("\n", value))
    if isinstance(value, dict):
        return {key: without_controls(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_controls(item) for item in value]
    return value


def check(data: dict[str, Any]) -> tuple[dict[str, Any], Problems]:
    """The question normalised, and its problems by field (empty when valid)."""
    problems: Problems = {}
    data = without_controls(data)
    try:
        qtype = QuestionType(str(data.get("type")))
    except ValueError:
        _add(problems, "type", "题型无效", f"unknown question type {data.get('type')!r}")
        return data, problems
    stem = str(data.get("stem") or "").strip()
    if not stem:
        _add(problems, "stem", "题干不能为空", "the stem is empty")
    elif len(stem) > MAX_STEM:
        _add(problems, "stem", f"题干最多 {MAX_STEM} 字", f"the stem exceeds {MAX_STEM} characters")
    if len(str(data.get("explanation") or "")) > MAX_EXPLANATION:
        _add(
            problems,
            "explanation",
            f"解析最多 {MAX_EXPLANATION} 字",
            f"the explanation exceeds {MAX_EXPLANATION} characters",
        )
    difficulty = data.get("difficulty", 3)
    if difficulty is None:
        difficulty = 3
    if not isinstance(difficulty, int) or isinstance(difficulty, bool) or not 1 <= difficulty <= 5:
        _add(problems, "difficulty", "难度应为 1–5 的整数", "difficulty is a whole number 1–5")
    try:
        usage = QuestionUsage(data.get("usage") or QuestionUsage.BOTH)
    except ValueError:
        _add(problems, "usage", "用途应为 practice/exam/both", "usage is practice, exam or both")
        usage = QuestionUsage.BOTH
    text_format = data.get("text_format") or "plain"
    if text_format not in TEXT_FORMATS:
        _add(problems, "text_format", "文本格式应为 plain 或 markdown", "plain or markdown")
        text_format = "plain"
    clean: dict[str, Any] = {
        "type": qtype,
        "stem": stem,
        "text_format": text_format,
        "stem_images": list(data.get("stem_images") or []),
        "explanation": str(data.get("explanation") or "").strip(),
        "difficulty": difficulty,
        "knowledge_points": _clean_list(
            data.get("knowledge_points"), "knowledge_points", problems, limit=20, size=60
        ),
        "tags": _clean_list(data.get("tags"), "tags", problems, limit=20, size=40),
        "source": str(data.get("source") or "").strip()[:200],
        "usage": usage,
        "options": [],
    }
    answer = data.get("answer")
    if qtype in {QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE}:
        clean["options"], clean["answer"] = _check_choice(
            qtype, data.get("options"), answer, problems
        )
    elif qtype is QuestionType.TRUE_FALSE:
        clean["answer"] = _check_true_false(answer, problems)
    elif qtype is QuestionType.FILL_BLANK:
        clean["answer"] = _check_fill_blank(stem, answer, problems)
    else:
        clean["answer"] = _check_short_answer(answer, problems)
    return clean, problems


def _check_choice(
    qtype: QuestionType, options: Any, answer: Any, problems: Problems
) -> tuple[list[dict[str, str]], dict[str, Any]]:
    if not isinstance(options, list):
        _add(problems, "options", "选择题需要选项", "a choice question needs options")
        return [], {"correct": []}
    if len(options) > MAX_OPTIONS:  # refused before any work: the rest is proportional
        _add(
            problems,
            "options",
            f"选项应为 {MIN_OPTIONS}–{MAX_OPTIONS} 个",
            f"{MIN_OPTIONS}–{MAX_OPTIONS} options, not {len(options)}",
        )
        return [], {"correct": []}
    cleaned = []
    for option in options:
        if not isinstance(option, dict):
            _add(problems, "options", "选项格式不正确", "each option is {label, text}")
            continue
        label = str(option.get("label") or "").strip().upper()
        text = str(option.get("text") or "").strip()
        if not text:
            _add(problems, "options", f"选项 {label} 内容为空", f"option {label} is empty")
        elif len(text) > MAX_OPTION:
            _add(
                problems,
                "options",
                f"选项 {label[:2]} 超过 {MAX_OPTION} 字",
                f"option {label[:2]} exceeds {MAX_OPTION} characters",
            )
        feedback = str(option.get("feedback") or "").strip()
        if len(feedback) > MAX_OPTION:
            _add(
                problems,
                "options",
                f"选项 {label[:2]} 的反馈超过 {MAX_OPTION} 字",
                f"option {label[:2]}'s feedback exceeds {MAX_OPTION} characters",
            )
        # what a learner who chose the option is told, once the feedback policy allows
        cleaned.append(
            {"label": label, "text": text, **({"feedback": feedback} if feedback else {})}
        )
    labels = [o["label"] for o in cleaned]
    if not MIN_OPTIONS <= len(cleaned) <= MAX_OPTIONS:
        _add(
            problems,
            "options",
            f"选项应为 {MIN_OPTIONS}–{MAX_OPTIONS} 个",
            f"{MIN_OPTIONS}–{MAX_OPTIONS} options, not {len(cleaned)}",
        )
    if len(set(labels)) != len(labels):
        _add(problems, "options", "选项标签重复", "option labels must be unique")
    seen: dict[str, str] = {}
    for option in cleaned:  # two options a learner cannot tell apart (width, spaces, script)
        same = seen.setdefault(squeeze(option["text"]), option["label"])
        if same != option["label"] and option["text"]:
            _add(
                problems,
                "options",
                f"选项 {same[:2]} 与 {option['label'][:2]} 内容相同",
                f"options {same[:2]} and {option['label'][:2]} read the same",
            )
    if any(label not in OPTION_LABELS for label in labels):
        _add(problems, "options", "选项标签应为 A–J", "option labels are A–J")
    correct = answer.get("correct") if isinstance(answer, dict) else None
    if not isinstance(correct, list) or not all(isinstance(c, str) for c in correct):
        _add(problems, "answer", "答案应为选项标签", "the answer lists option labels")
        return cleaned, {"correct": []}
    keys = sorted({c.strip().upper() for c in correct if c.strip()})
    unknown = [k for k in keys if k not in labels]
    if unknown:
        _add(
            problems,
            "answer",
            f"答案 {''.join(unknown)} 不在选项中",
            f"answer {''.join(unknown)} is not an option",
        )
    if qtype is QuestionType.SINGLE_CHOICE and len(keys) != 1:
        _add(
            problems,
            "answer",
            "单选题必须恰有一个正确选项",
            "a single-choice question has exactly one correct option",
        )
    if qtype is QuestionType.MULTIPLE_CHOICE and not keys:
        _add(
            problems,
            "answer",
            "多选题至少一个正确选项",
            "a multiple-choice question needs a correct option",
        )
    return cleaned, {"correct": keys}


def _check_true_false(answer: Any, problems: Problems) -> dict[str, Any]:
    correct = answer.get("correct") if isinstance(answer, dict) else None
    if not isinstance(correct, bool):
        _add(problems, "answer", "判断题答案应为对或错", "a true/false answer is true or false")
        return {"correct": False}
    return {"correct": correct}


def _check_fill_blank(stem: str, answer: Any, problems: Problems) -> dict[str, Any]:
    blanks = answer.get("blanks") if isinstance(answer, dict) else None
    if not isinstance(blanks, list) or not blanks:
        _add(problems, "answer", "填空题需要每空的答案", "a fill-in-the-blank needs answers")
        return {"blanks": [], "ordered": True}
    cleaned = []
    for index, blank in enumerate(blanks, start=1):
        accepted = blank.get("accepted") if isinstance(blank, dict) else None
        if not isinstance(accepted, list) or not [a for a in accepted if str(a).strip()]:
            _add(problems, "answer", f"第 {index} 空没有答案", f"blank {index} has no answer")
            accepted = []
        tolerance = blank.get("tolerance") if isinstance(blank, dict) else None
        values = [str(a).strip() for a in accepted if str(a).strip()]
        if tolerance is not None and (
            not isinstance(tolerance, int | float)
            or isinstance(tolerance, bool)
            or not 0 <= tolerance <= MAX_NUMBER
            or not all(_is_number(v) for v in values)
        ):
            _add(
                problems,
                "answer",
                f"第 {index} 空的误差只用于数字答案",
                f"blank {index}: a tolerance needs numeric answers",
            )
        cleaned.append({"accepted": values, "tolerance": tolerance})
    markers = len(BLANK_MARKER.findall(stem))
    if markers and markers != len(cleaned):
        _add(
            problems,
            "answer",
            f"题干有 {markers} 个空，答案有 {len(cleaned)} 个",
            f"the stem has {markers} blanks but {len(cleaned)} answers",
        )
    if not markers and len(cleaned) > 1:
        _add(
            problems,
            "stem",
            "多空题的题干需要标出空位（如 ____ 或（ ））",
            "mark each blank in the stem (____ or （ ）)",
        )
    ordered = answer.get("ordered", True) if isinstance(answer, dict) else True
    return {"blanks": cleaned, "ordered": bool(ordered)}


def _check_short_answer(answer: Any, problems: Problems) -> dict[str, Any]:
    if not isinstance(answer, dict):
        answer = {}
    keywords = []
    for item in answer.get("keywords") or []:
        if not isinstance(item, dict) or not str(item.get("word") or "").strip():
            _add(problems, "answer", "关键词格式不正确", "each keyword is {word, weight}")
            continue
        weight = item.get("weight", 1)
        if not isinstance(weight, int | float) or isinstance(weight, bool) or not 0 < weight <= 100:
            _add(problems, "answer", "关键词权重应在 0–100 之间", "keyword weights are 0–100")
            weight = 1
        synonyms = [str(s).strip() for s in item.get("synonyms") or [] if str(s).strip()]
        keywords.append({"word": str(item["word"]).strip(), "weight": weight, "synonyms": synonyms})
    manual = bool(answer.get("manual", False))
    if not keywords and not manual:
        _add(
            problems,
            "answer",
            "简答题需要评分关键词，或设为人工评分",
            "a short answer needs keywords, or manual grading",
        )
    return {
        "keywords": keywords,
        "reference": str(answer.get("reference") or "").strip(),
        "manual": manual,
    }


def fingerprint(question: dict[str, Any]) -> str:
    """Equal for questions that differ only in width, spaces, punctuation or script."""
    options = sorted(squeeze(o["text"]) for o in question.get("options") or [])
    raw = "\x1f".join([str(question["type"]), squeeze(question["stem"]), *options])
    return hashlib.sha1(raw.encode("utf-8"), usedforsecurity=False).hexdigest()


def comparable_text(question: dict[str, Any]) -> str:
    """What near-duplicate detection compares: the squeezed stem and options."""
    options = " ".join(squeeze(o["text"]) for o in question.get("options") or [])
    return f"{squeeze(question['stem'])} {options}".strip()[:COMPARED]
