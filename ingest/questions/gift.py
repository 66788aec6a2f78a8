"""Moodle GIFT: read (categories, titles, comments, escapes, formats, feedback, weights,
true/false, short answer, missing word, numerical) and write.

Types we do not hold (matching, descriptions) are reported per question, never dropped silently.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ingest.questions.common import (
    Candidate,
    FileRefused,
    Location,
    category_tag,
    decode_text,
    encoding_note,
)
from ingest.questions.markup import html_to_text, image_sources, looks_like_html

SPECIALS = "~=#{}:"
BLANK = "____"
MAX_ANSWERS = 100  # the bank holds 10 options; a block with more markers is not a question


@dataclass
class _Block:
    text: str
    line: int
    tags: list[str]
    idnumber: str | None


_COMMENT_TAG = re.compile(r"\[(tag|id):([^\]]+)\]")


def _blocks(text: str) -> Iterator[_Block]:
    """Questions are separated by blank lines; whole-line comments (//) are not text, but the
    ``[tag:…]`` and ``[id:…]`` they hold (Moodle 3.x+) belong to the question that follows."""
    lines: list[str] = []
    start = 0
    tags: list[str] = []
    idnumber: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("//"):
            for kind, value in _COMMENT_TAG.findall(stripped):
                if kind == "tag":
                    tags.append(value.strip())
                else:
                    idnumber = value.strip()
            continue
        if not stripped:
            if lines:
                yield _Block("\n".join(lines), start, tags, idnumber)
                lines, tags, idnumber = [], [], None
            continue
        if not lines:
            start = number
        lines.append(raw)
    if lines:
        yield _Block("\n".join(lines), start, tags, idnumber)


def _find(text: str, target: str, start: int = 0) -> int:
    """Index of the first unescaped ``target`` at or after ``start`` (-1 if none)."""
    index = start
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text.startswith(target, index):
            return index
        index += 1
    return -1


def _rfind(text: str, target: str) -> int:
    """Index of the last unescaped ``target`` (-1 if none)."""
    found, at = -1, _find(text, target)
    while at >= 0:
        found, at = at, _find(text, target, at + 1)
    return found


def _split_unescaped(text: str, separator: str) -> list[str]:
    """``text`` split at each unescaped ``separator`` (an escaped one stays inside its part)."""
    parts, start = [], 0
    while (at := _find(text, separator, start)) >= 0:
        parts.append(text[start:at])
        start = at + len(separator)
    return [*parts, text[start:]]


def unescape(text: str) -> str:
    r"""Moodle's escapes: ``\\`` ``\~`` ``\=`` ``\#`` ``\{`` ``\}`` ``\:`` and ``\n``; a
    backslash before any other character is itself (``= \   # feedback`` answers a backslash)."""
    result = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            following = text[index + 1]
            if following == "n":
                result.append("\n")
            elif following in SPECIALS or following == "\\":
                result.append(following)
            else:
                result.append(char + following)
            index += 2
            continue
        result.append(char)
        index += 1
    return "".join(result)


def escape(text: str) -> str:
    out = text.replace("\\", "\\\\")
    for char in SPECIALS:
        out = out.replace(char, "\\" + char)
    return out.replace("\n", "\\n")


def _split_answers(body: str) -> list[tuple[str, str]]:
    """``=a#fb ~%50%b`` → [("=", "a#fb"), ("~", "%50%b")] on unescaped = and ~."""
    parts: list[tuple[str, str]] = []
    index, current, marker = 0, [], ""
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            current.append(body[index : index + 2])
            index += 2
            continue
        if char in "=~" and not (char == "=" and body[index : index + 2] == "=>"):
            if marker or "".join(current).strip():
                parts.append((marker, "".join(current)))
            marker, current = char, []
            index += 1
            continue
        current.append(char)
        index += 1
    if marker or "".join(current).strip():
        parts.append((marker, "".join(current)))
    return parts


_FORMAT = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]")


def _render(raw: str, default: str | None, *, own_marker: bool = True) -> str:
    """A GIFT text as the bank keeps it: its own format marker (else the question's) read, not
    kept; HTML (declared, or tags where no format was declared — Moodle's default format
    allows them) read into plain text. The question text's marker is read once, before it
    (``own_marker=False``): a second one is text, as in Moodle."""
    kind = default
    match = _FORMAT.match(raw) if own_marker else None
    if match:
        kind, raw = match.group(1), raw[match.end() :]
    text = unescape(raw)
    if kind == "html":
        return html_to_text(text)
    if kind == "moodle" or (kind is None and looks_like_html(text)):
        return html_to_text(text, known_tags_only=True)
    return text.strip()


_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d*)?)%")  # Moodle allows %50.%
_WILDCARD = re.compile(r"(?<!\\)\*")


def _weight_and_text(raw: str, markup: str | None) -> tuple[float | None, str, str]:
    """``%50%answer#feedback`` → (50, "answer", "feedback")."""
    raw = raw.strip()
    weight = None
    match = _WEIGHT.match(raw)
    if match:
        weight = float(match.group(1))
        raw = raw[match.end() :]
    hash_at = _find(raw, "#")
    feedback = ""
    if hash_at >= 0:
        feedback = _render(raw[hash_at + 1 :], markup)
        raw = raw[:hash_at]
    return weight, _render(raw, markup), feedback


def read(raw: bytes) -> Iterator[Candidate]:
    text, encoding = decode_text(raw, "GIFT ")
    if encoding:
        yield encoding_note(encoding)
    category = None
    found_any = False
    for number, block in enumerate(_blocks(text), start=1):
        body = block.text.strip()
        if body.startswith("$CATEGORY:"):
            first, _, rest = body.partition("\n")
            category = category_tag(first.removeprefix("$CATEGORY:"))
            body = rest.strip()
            if not body:
                continue
        found_any = True
        question = _question(body, Location(line=block.line, item=number), category)
        if question.data:
            question.data["tags"] = list(dict.fromkeys([*question.data["tags"], *block.tags]))
            if block.idnumber and not question.data.get("source"):
                question.data["source"] = block.idnumber
            elif block.idnumber:
                question.warn(
                    f"编号 [id:{block.idnumber}] 未保留（来源已记为标题） / the id "
                    f"{block.idnumber!r} is not kept: the source holds the title",
                    "source",
                )
        yield question
    if not found_any and text.strip():
        raise FileRefused("没有找到 GIFT 试题 / No GIFT questions found")


def _question(body: str, location: Location, category: str | None) -> Candidate:
    candidate = Candidate(location, {})
    title = ""
    if body.startswith("::"):
        end = _find(body, "::", 2)
        if end < 0:
            candidate.refuse("标题缺少结尾的 :: / the title lacks its closing ::", "stem")
            return candidate
        title, body = unescape(body[2:end]).strip(), body[end + 2 :].strip()
    markup: str | None = None  # undeclared: Moodle's own format, plain text unless it holds HTML
    format_match = re.match(r"^\[(html|moodle|plain|markdown)\]", body)
    if format_match:
        markup = format_match.group(1)
        body = body[format_match.end() :].lstrip()
    open_at = _find(body, "{")
    if open_at < 0:
        candidate.refuse(
            "没有答案部分 { }，是说明而非试题，已跳过 / no answer block: a description, "
            "not a question (skipped)"
        )
        return candidate
    close_at = _find(body, "}", open_at + 1)
    if close_at < 0:
        candidate.refuse("答案部分缺少 } / the answer block lacks its closing }")
        return candidate
    before, answers, after = body[:open_at], body[open_at + 1 : close_at], body[close_at + 1 :]
    if _find(after, "{") >= 0:
        # Moodle keeps the second block as text: two questions without the blank line between
        # them, or one question with two blanks — either way not what its writer meant
        candidate.refuse(
            "答案块之后还有一个 { }：可能缺少分隔试题的空行，或一题写了两个答案块 / a second "
            "answer block follows the first: a blank line between questions may be missing"
        )
        return candidate
    markers = sum(answers.count(c) - answers.count("\\" + c) for c in "=~")
    if markers > MAX_ANSWERS:  # counted before anything is built: 15 million options took 2 GB
        candidate.refuse(
            f"答案部分有 {markers} 个 = 或 ~ 选项，超过 {MAX_ANSWERS} 个 / {markers} answers: more "
            f"than {MAX_ANSWERS}"
        )
        return candidate
    if re.match(r"\s*[＝～]", answers) and not re.search(r"(?<!\\)[=~]", answers):
        candidate.refuse(
            "答案标记用了全角的 ＝ 或 ～，应为半角 = 或 ~ / the answers are marked with "
            "full-width ＝ or ～: GIFT needs = and ~"
        )
        return candidate
    if re.search(r"(?<!\\)[=~]", answers) and re.search(r"(^|\s)[＝～]", answers):
        candidate.warn(
            "答案中有前面是空格的全角 ＝ 或 ～，按文字读取；如果它是答案标记，应为半角 = 或 ~，否则"
            "几个选项被读成了一个 / a full-width ＝ or ～ after a space is read as text: if it "
            "marks an answer, write = or ~, else two options were read as one"
        )

    def text_of(part: str) -> str:
        return _render(part, markup)

    stem = _render(before, markup, own_marker=False)
    if after.strip():
        # Missing word: the blank stands where the answers were, with the text's own spacing.
        rich = markup in {"html", "moodle"} or (
            markup is None and looks_like_html(unescape(before + after))
        )
        if rich:
            stem = f"{stem} {BLANK} {text_of(after)}"
        else:
            stem = f"{unescape(before).lstrip()}{BLANK}{unescape(after).rstrip()}"
    general = ""
    general_at = _rfind(answers, "####")  # Moodle: the last #### starts it
    if general_at >= 0:
        general = text_of(answers[general_at + 4 :])
        answers = answers[:general_at]
    data: dict[str, Any] = {
        "stem": stem,
        # the format remembered: markdown is kept as written; HTML became plain text above
        "text_format": "markdown" if markup == "markdown" else "plain",
        "explanation": general,
        "tags": [],
        "source": title,
    }
    if category:
        data["tags"] = [category]  # the path whole, as Moodle XML's
    candidate.data = data
    linked = image_sources(body)
    if linked:  # GIFT embeds no files: each image is a link the bank does not keep
        candidate.warn(
            f"图片未保留：{'、'.join(linked)} / images are not kept: {', '.join(linked)}",
            "stem_images",
        )
    body_text = answers.strip()
    try:
        if body_text == "":
            data["type"] = "short_answer"
            data["answer"] = {"manual": True, "keywords": [], "reference": ""}
        elif body_text.partition("#")[0].strip().lower() in {"t", "true", "f", "false"}:
            # Moodle trims what stands before the first # and then looks for T, TRUE, F, FALSE
            verdict, *feedbacks = _split_unescaped(body_text, "#")
            written = verdict.strip()
            if written not in {"T", "TRUE", "F", "FALSE"}:
                candidate.warn(
                    f"{{{written}}} 按判断题读取；Moodle 只认大写 T/TRUE/F/FALSE，会读成简答题 / "
                    f"read as true/false; Moodle reads {written!r} as a short answer",
                    "type",
                )
            data["type"] = "true_false"
            data["answer"] = {"correct": verdict.strip().lower() in {"t", "true"}}
            said = [text_of(f) for f in feedbacks[:2] if f.strip()]
            if said:  # what a wrong answer is told, then a right one (Moodle's order)
                labels = ["答错时", "答对时"][: len(said)]
                lines = [f"{label}：{text}" for label, text in zip(labels, said, strict=True)]
                data["explanation"] = "\n".join([data["explanation"], *lines]).strip()
        elif body_text.startswith("#"):
            _numerical(candidate, body_text[1:], markup)
        else:
            _choices_or_short(candidate, body_text, markup)
    except _Unsupported as exc:
        candidate.data = {}
        candidate.refuse(str(exc), "type")
    return candidate


class _Unsupported(Exception):
    pass


def _numerical(candidate: Candidate, body: str, markup: str | None) -> None:
    """``{#3:2}``, ``{#1..5}``, ``{#=3:0 =%50%3:1 ~#feedback for anything else}``: the fully
    right answers are kept (a ``~`` branch is feedback for wrong answers); partial credit for
    a near answer cannot be held, and is said."""
    parts = [("=" if m == "" else m, raw) for m, raw in _split_answers(body)]
    wrong_at = next((i for i, (marker, _raw) in enumerate(parts) if marker == "~"), None)
    if wrong_at is not None:  # Moodle: all after the first ~ is what a wrong answer is told
        rest = parts[wrong_at][1] + "".join(m + raw for m, raw in parts[wrong_at + 1 :])
        parts = [*parts[:wrong_at], ("~", rest)]
    right: list[tuple[str, float]] = []
    partial = []
    for marker, raw in parts:
        if marker == "~":  # what any other answer is told: kept with the explanation
            told = _render(raw.strip().removeprefix("#"), markup)
            if told:
                explanation = candidate.data.get("explanation", "")
                candidate.data["explanation"] = f"{explanation}\n答错时：{told}".strip()
            continue
        weight, text, _feedback = _weight_and_text(raw, markup)
        if weight is not None and not 0 <= weight <= 100:
            raise _Unsupported(
                f"数值题答案权重 {weight:g}% 超出 0%–100% / weight {weight:g}% is outside 0..100"
            )
        if weight is not None and weight < 100:
            partial.append(f"{text}（{weight:g}%）")
            continue
        value, spread = _numeric_value(text)
        if value is None:
            raise _Unsupported(
                f"数值题答案无法识别：{text}（应为数字、数字:误差 或 下限..上限，误差不能为负）/ "
                f"unreadable numerical answer {text!r}"
            )
        right.append((value, spread))
    if not right:
        raise _Unsupported("数值题没有完全正确的答案 / a numerical question without a right answer")
    if len({spread for _value, spread in right}) > 1:
        raise _Unsupported(
            "数值题的几个完全正确答案误差不同，本题库一个空只有一个误差 / several fully right "
            "numerical answers with different tolerances: a blank of the bank has one"
        )
    if partial:
        candidate.warn(
            f"部分得分答案未保留：{'、'.join(partial)} / partial-credit answers not kept",
            "answer",
        )
    candidate.data["type"] = "fill_blank"
    candidate.data["answer"] = {
        "blanks": [{"accepted": [value for value, _s in right], "tolerance": right[0][1]}],
        "ordered": True,
    }


# a number as Moodle's is_numeric reads one: no 1_000, 0x10 or "nan"
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _numeric_value(text: str) -> tuple[str | None, float]:
    """``3.14:0.01`` → ("3.14", 0.01); ``1..5`` → ("3", 2); ``42`` → ("42", 0)."""
    text = text.strip()
    if ".." in text:
        low, _, high = (part.strip() for part in text.partition(".."))
        if not (_NUMBER.fullmatch(low) and _NUMBER.fullmatch(high)):
            return None, 0
        # decimal: 3.141..3.142 is 3.1415 ± 0.0005, not 3.1414999999999997
        a, b = Decimal(low), Decimal(high)
        middle, half = (a + b) / 2, abs(b - a) / 2
        if not (math.isfinite(float(middle)) and math.isfinite(float(half))):
            return None, 0
        shown = str(int(middle)) if middle == middle.to_integral() else str(middle.normalize())
        return shown, float(half)
    value, _, spread = (part.strip() for part in text.partition(":"))
    if not _NUMBER.fullmatch(value) or (spread and not _NUMBER.fullmatch(spread)):
        return None, 0
    number, margin = float(value), float(spread) if spread else 0.0
    if not (math.isfinite(number) and math.isfinite(margin)) or margin < 0:  # {#1e999}, {#3:-1}
        return None, 0
    return _number(number), margin


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _score(marker: str, weight: float | None) -> float:
    """Moodle's credit for an answer: ``=`` is full marks unless weighted, ``~`` nothing
    unless weighted."""
    if weight is not None:
        return weight
    return 100.0 if marker == "=" else 0.0


def _choices_or_short(candidate: Candidate, body: str, markup: str | None) -> None:
    parts = _split_answers(body)
    if "->" in body and not any(marker == "~" for marker, _raw in parts):
        # Moodle: = and -> without any ~ make a matching question
        raise _Unsupported("暂不支持匹配题 / matching questions are not supported")
    if parts and parts[0][0] == "" and all(marker == "=" for marker, _raw in parts[1:]):
        # {One} and {One =Two}: Moodle splits a short answer at =, the first needs none
        parts = [("=", parts[0][1]), *parts[1:]]
    if not parts or any(marker == "" for marker, _ in parts):
        raise _Unsupported("答案部分无法识别 / the answer block cannot be read")
    choices = any(marker == "~" for marker, _raw in parts)
    weighted_equals = [raw.strip() for m, raw in parts if m == "=" and _WEIGHT.match(raw.strip())]
    if choices and weighted_equals:
        # Moodle's multiple choice reads no weight after =: full marks, "%50%" in the text
        raise _Unsupported(
            f"选择题中 = 后的权重（{weighted_equals[0][:20]}）Moodle 不读：该答案满分，权重成为答案"
            f"文字；部分得分请写 ~%50%… / Moodle reads no weight after = in a multiple-choice "
            "question: that answer earns full marks with the weight in its text; write ~%50%…"
        )
    rights = [(m, *_weight_and_text(raw, markup)) for m, raw in parts]
    outside = [w for _m, w, _t, _f in rights if w is not None and not -100 <= w <= 100]
    if outside:
        raise _Unsupported(
            f"权重 {outside[0]:g}% 超出 -100%–100%（Moodle 拒绝） / weight {outside[0]:g}% is "
            "outside -100%..100% (Moodle refuses it)"
        )
    if all(marker == "=" for marker, *_ in rights):
        _short_answer(candidate, rights)
        return
    options, full, partial = [], [], []
    for index, (marker, weight, text, feedback) in enumerate(rights):
        label = "ABCDEFGHIJ"[index] if index < 10 else str(index)
        option = {"label": label, "text": text}
        if feedback:
            option["feedback"] = feedback  # shown to who chose it, when keys are shown
        options.append(option)
        score = _score(marker, weight)
        if score >= 100:
            full.append(label)
        elif score > 0:
            partial.append((label, score))
    candidate.data["options"] = options
    if len(full) > 1:
        # Moodle: several = answers, each worth full marks on its own — "any of these".
        raise _Unsupported(
            f"有多个完全正确的选项（{'、'.join(full)}，任选其一即满分），本题库的单选题只有一个"
            f"正确答案，多选题要求全选，都会改变题意 / several fully right options "
            f"({', '.join(full)}, any one earns full marks): neither a single nor a multiple "
            "choice question of this bank means that"
        )
    if not full and any(marker == "=" for marker, *_ in rights):
        # an = makes Moodle's question single-answer, and a single answer needs one worth 100%
        raise _Unsupported(
            "有 = 答案却没有得分 100% 的选项，无法得满分（Moodle 拒绝）/ One of the answers should "
            "have a score of 100% so it is possible to get full marks for this question"
        )
    if len(full) == 1:
        candidate.data["type"] = "single_choice"
        candidate.data["answer"] = {"correct": full}
        if not any(marker == "=" for marker, *_ in rights):
            candidate.warn(
                f"没有 = 答案，Moodle 读作多选题（只有 {full[0]} 得分，多选其他 0 分选项不扣分），"
                f"按单选题保存 / no = answer: Moodle reads a multiple-answer question; kept as "
                "single choice",
                "type",
            )
        if partial:
            dropped = "、".join(f"{label}（{score:g}%）" for label, score in partial)
            candidate.warn(
                f"部分得分选项按错误选项保存：{dropped} / partial-credit options kept as wrong",
                "answer",
            )
        penalties = [
            f"{o['label']}（{_score(m, w):g}%）"
            for (m, w, _t, _f), o in zip(rights, options, strict=True)
            if _score(m, w) < 0
        ]
        if penalties:
            candidate.warn(
                f"选错扣分未保留：{'、'.join(penalties)}，本题库选错得 0 分 / penalties for wrong "
                "options are not kept: a wrong choice scores 0 here",
                "answer",
            )
    elif partial:
        # Multiple answers by weights: the options with credit are the right ones.
        candidate.data["type"] = "multiple_choice"
        candidate.data["answer"] = {"correct": [label for label, _ in partial]}
        scores = {score for _, score in partial}
        total = sum(score for _, score in partial)
        if abs(total - 100) > 0.5:  # Moodle's own check for multiple answers
            raise _Unsupported(
                f"正分选项之和为 {total:g}%，应为 100%（Moodle 拒绝） / The positive grades you "
                f"have chosen do not add up to 100% ({total:g}%)"
            )
        free = [
            o["label"]
            for (m, w, _t, _f), o in zip(rights, options, strict=True)
            if _score(m, w) == 0
        ]
        if free:
            candidate.warn(
                f"错误选项 {'、'.join(free)} 权重为 0：Moodle 中多选它们不扣分，本题库多选即错 / "
                "wrong options weighted 0 cost nothing in Moodle; here choosing one is wrong",
                "answer",
            )
        if len(scores) > 1:
            weights = "、".join(f"{label} {score:g}%" for label, score in partial)
            candidate.warn(
                f"选项权重不等（{weights}），按全选正确计分 / unequal weights: graded as all of "
                "them right",
                "answer",
            )
    else:
        raise _Unsupported("没有正确选项 / no right option")


def _short_answer(candidate: Candidate, rights: list[tuple[str, float | None, str, str]]) -> None:
    """``{=one =two =%50%three}``: one blank, the fully right texts accepted; an answer with
    partial credit cannot be held, and is said."""
    accepted = [text for _m, weight, text, _f in rights if _score("=", weight) >= 100]
    partial = [
        f"{text}（{weight:g}%）" for _m, weight, text, _f in rights if weight and 0 < weight < 100
    ]
    unscored = [
        f"{text}（{weight:g}%{'，反馈：' + feedback if feedback else ''}）"
        for _m, weight, text, feedback in rights
        if weight is not None and weight <= 0
    ]
    if unscored:
        candidate.warn(
            f"不得分的答案按其他答案处理（其反馈未保留）：{'、'.join(unscored)} / answers worth "
            "0% or less are treated as any other wrong answer; their feedback is not kept",
            "answer",
        )
    if not accepted:
        raise _Unsupported("没有完全正确的答案 / no fully right answer")
    wild = [text for text in accepted if _WILDCARD.search(text)]
    if wild:
        raise _Unsupported(
            f"答案含通配符 *（{'、'.join(wild)}），本题库按原文比较，无法保存；"
            f"要写星号本身请用 \\* / the answer {wild[0]!r} holds Moodle's wildcard *: the "
            "bank compares texts as written (write \\* for a star)"
        )
    accepted = [text.replace("\\*", "*") for text in accepted]
    if partial:
        candidate.warn(
            f"部分得分答案未保留：{'、'.join(partial)} / partial-credit answers not kept", "answer"
        )
    candidate.data["type"] = "fill_blank"
    candidate.data["answer"] = {
        "blanks": [{"accepted": accepted, "tolerance": None}],
        "ordered": True,
    }


# --- writing ---------------------------------------------------------------------------------


def _written(text: str) -> str:
    """A text of an answer or feedback, escaped, and marked plain where it starts like a format
    marker (which the reader would take as one)."""
    return f"[plain]{escape(text)}" if _FORMAT.match(text) else escape(text)


def _feedback(option: dict[str, Any]) -> str:
    return f"#{_written(option['feedback'])}" if option.get("feedback") else ""


def _answer(marker: str, text: str, weight: str | None = None) -> str:
    """``=text``, ``~%50%text``; a text starting like a weight gets its weight written first."""
    if weight is None and text.startswith("%"):
        weight = "100" if marker == "=" else "0"
    return f"{marker}{f'%{weight}%' if weight is not None else ''}{_written(text)}"


def expressible(question: dict[str, Any]) -> str | None:
    """Why a question cannot be written as GIFT (None when it can)."""
    qtype = str(question["type"])
    if qtype == "fill_blank" and len(question["answer"]["blanks"]) != 1:
        return "GIFT 只能表达单空填空题 / GIFT holds one blank per question"
    if qtype == "short_answer" and question["answer"].get("keywords"):
        return "GIFT 的问答题不含评分关键词 / GIFT essays carry no scoring keywords"
    if qtype == "fill_blank" and any(
        "->" in accepted for blank in question["answer"]["blanks"] for accepted in blank["accepted"]
    ):
        return "答案含 ->，Moodle 会读成匹配题 / an answer holding -> reads as a matching question"
    if qtype == "single_choice" and any(
        _WEIGHT.match(o["text"])
        for o in question["options"]
        if o["label"] in question["answer"]["correct"]
    ):
        return (
            "正确选项以 %数字% 开头，Moodle 会读成别的文字 / the right option starts like a "
            "weight, which Moodle reads otherwise"
        )
    return None


def unwritten(question: dict[str, Any]) -> list[str]:
    """What GIFT writes without: an essay's reference answer, tags holding ``]``."""
    lost = []
    if str(question["type"]) == "short_answer" and question["answer"].get("reference"):
        lost.append("reference")
    if any("]" in tag for tag in question.get("tags") or []):
        lost.append("tags")
    return lost


def write(questions: Iterable[dict[str, Any]]) -> tuple[str, int]:
    out: list[str] = ["// 匠云题库导出 / exported from Jiangyun", ""]
    count = 0
    for question in questions:
        tags = " ".join(f"[tag:{tag}]" for tag in question.get("tags") or [] if "]" not in tag)
        if tags:
            out.append(f"// {tags}")  # Moodle 3.x+ reads tags from the comment before a question
        out.append(_gift(question))
        out.append("")
        count += 1
    return "\n".join(out), count


def _texts(question: dict[str, Any]) -> Iterator[str]:
    yield question["stem"]
    yield question.get("explanation") or ""
    for option in question.get("options") or []:
        yield option["text"]
        yield option.get("feedback") or ""
    for blank in question["answer"].get("blanks") or []:
        yield from blank["accepted"]


def _gift(question: dict[str, Any]) -> str:
    qtype = str(question["type"])
    stem = question["stem"]
    answer = question["answer"]
    general = f"####{_written(question['explanation'])}" if question.get("explanation") else ""
    title = f"::{escape(question['source'])}::" if question.get("source") else ""
    if question.get("text_format") == "markdown":
        title += "[markdown]"
    elif any("<" in text or "&" in text for text in _texts(question)) or stem.startswith(
        ("//", "[")
    ):
        # else Moodle's default format reads "<br>" as a line break, a line starting // is a
        # comment, and one starting [html] a format marker
        title += "[plain]"
    if qtype == "true_false":
        return f"{title}{escape(stem)}{{{'TRUE' if answer['correct'] else 'FALSE'}{general}}}"
    if qtype == "short_answer":
        return f"{title}{escape(stem)}{{{general}}}"
    if qtype == "fill_blank":
        blank = answer["blanks"][0]
        if blank.get("tolerance") is not None:
            spread = blank["tolerance"]
            if len(blank["accepted"]) == 1:
                inner = f"#{blank['accepted'][0]}:{spread}"
            else:
                inner = "#" + " ".join(f"={value}:{spread}" for value in blank["accepted"])
        else:
            inner = " ".join(  # a star as written, not Moodle's wildcard
                _answer("=", accepted).replace("*", "\\*") for accepted in blank["accepted"]
            )
        if BLANK in stem:
            before, _, after = stem.partition(BLANK)
            return f"{title}{escape(before)}{{{inner}{general}}}{escape(after)}"
        return f"{title}{escape(stem)}{{{inner}{general}}}"
    correct = set(answer["correct"])
    if qtype == "single_choice":
        choices = " ".join(  # Moodle reads no weight after = here (expressible refuses one)
            (f"={_written(o['text'])}" if o["label"] in correct else _answer("~", o["text"]))
            + _feedback(o)
            for o in question["options"]
        )
    else:
        share = 100 / len(correct)
        weight = f"{share:.5f}".rstrip("0").rstrip(".")
        choices = " ".join(
            _answer("~", o["text"], weight if o["label"] in correct else "-100") + _feedback(o)
            for o in question["options"]
        )
    return f"{title}{escape(stem)}{{{choices}{general}}}"
