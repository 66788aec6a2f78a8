"""Aiken: single-choice questions as plain text (``A. …`` options and an ``ANSWER: B`` line)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ingest.questions.common import Candidate, FileRefused, Location, decode_text, encoding_note

# Moodle's option line: a letter, "." or ")" and a space ("A.C. 电路…" is a stem); Chinese
# files also write A、 A． A） and A)错 without one
_OPTION = re.compile(r"^([A-Ja-j])(?:[.)](?:[ \t]+|(?=[^\x00-\x7f]))|\s*[．）、]\s*)(.+)$")
_ANSWER = re.compile(r"^ANSWER\s*[:：]\s*(.*)$", re.IGNORECASE)


def read(raw: bytes) -> Iterator[Candidate]:
    """Moodle's reading: a line that is neither an option nor ``ANSWER:`` starts a question; the
    problems are reported at the lines Moodle reports them (an option or ANSWER outside a
    question, an ANSWER with fewer than two options, a question left open when the next begins),
    and a question left open at the end of the file — which Moodle drops silently — is said."""
    text, encoding = decode_text(raw, "Aiken ")
    if encoding:
        yield encoding_note(encoding)
    open_question: _Open | None = None
    produced = False
    for number, raw_line in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        line = raw_line.strip()
        if len(line.encode()) < 2:  # Moodle skips lines under two bytes (a lone "x", not "题")
            continue
        option = _OPTION.match(line)
        answer = _ANSWER.match(line)
        if option or answer:
            if open_question is None:
                produced = True
                yield _refused(
                    number,
                    f"第 {number} 行：题目尚未开始（缺少题干行）/ Question not started on line "
                    f"{number}",
                )
                continue
            if option:
                open_question.options.append(
                    {"label": option.group(1).upper(), "text": option.group(2).strip()}
                )
                continue
            produced = True
            assert answer is not None
            yield _finished(open_question, number, answer.group(1))
            open_question = None
            continue
        # a stem line right after a stem line (no options between): one stem over two lines
        follows = open_question is not None and not open_question.options
        if open_question is not None:
            produced = True
            yield _refused(
                number,
                f"第 {open_question.line} 行开始的题目在第 {number} 行下一题开始前未完成 / "
                f"Question not completed before next question start on line {number}",
            )
        open_question = _Open(number, line, follows_unfinished=follows)
    if open_question is not None:
        produced = True
        yield _refused(
            open_question.line,
            f"第 {open_question.line} 行开始的题目到文件结尾仍缺少 ANSWER: 行 / the question "
            f"started on line {open_question.line} lacks its ANSWER: line at the end of the file",
        )
    if not produced:
        raise FileRefused("没有找到 Aiken 试题 / No Aiken questions found")


@dataclass
class _Open:
    line: int
    stem: str
    options: list[dict[str, str]] = field(default_factory=list)
    follows_unfinished: bool = False  # its stem line may be the rest of the one before


def _refused(line: int, message: str) -> Candidate:
    """A question not imported, reported at the line that shows it."""
    candidate = Candidate(Location(line=line), {})
    candidate.refuse(message, "answer")
    return candidate


def _finished(question: _Open, line: int, answer: str) -> Candidate:
    if question.follows_unfinished:
        # Moodle stops the import here; stored alone, the stem would lose its first line(s)
        return _refused(
            question.line,
            f"第 {question.line} 行的题干紧接在未完成的题目之后，像是跨行题干的后半部分；"
            f"Aiken 的题干只能一行 / the stem on line {question.line} follows an unfinished "
            "question: it looks like the rest of a stem over several lines, and an Aiken stem "
            "is one line",
        )
    if len(question.options) < 2:
        return _refused(
            line,
            f"第 {line} 行：题目至少需要 2 个选项 / Question must have at least 2 answers on line "
            f"{line}",
        )
    labels = [option["label"] for option in question.options]
    if labels != list(POSITIONS[: len(labels)]):
        # Moodle keys ANSWER by position (B is the second option line), not by the letters
        return _refused(
            question.line,
            f"第 {question.line} 行开始的题目，选项字母应依次为 A、B、C…，而不是 "
            f"{'、'.join(labels)}（Moodle 按位置判定答案）/ the options must be lettered A, B, "
            f"C… in order, not {', '.join(labels)}: Moodle keys the answer by position",
        )
    letter = re.sub(r"[.。)）\s]+$", "", answer.strip()).upper()
    if letter not in labels:
        given, choices = answer.strip(), "、".join(labels)
        return _refused(
            line,
            f"第 {line} 行：ANSWER 应为一个选项字母（{choices}），而不是“{given}” / ANSWER on "
            f"line {line} must be one option letter, not {given!r}",
        )
    candidate = Candidate(Location(line=question.line), {})
    candidate.data = {
        "type": "single_choice",
        "stem": question.stem,
        "options": question.options,
        "answer": {"correct": [letter]},
    }
    return candidate


POSITIONS = "ABCDEFGHIJ"


def expressible(question: dict[str, Any]) -> str | None:
    if str(question["type"]) != "single_choice":
        return "Aiken 只能表达单选题 / Aiken holds single-choice questions only"
    if question.get("text_format") == "markdown":
        return "Aiken 无法标明 Markdown 格式 / Aiken cannot mark a text as markdown"
    stem = question["stem"].strip()
    if "\n" in stem:
        return "Aiken 的题干只能一行 / an Aiken stem is one line"
    if len(stem.encode()) < 2 or _OPTION.match(stem) or _ANSWER.match(stem):
        return (
            "题干会被 Aiken 读成选项、答案行或空行 / the stem would read as an option, an ANSWER "
            "line or nothing"
        )
    if any("\n" in o["text"] or not o["text"].strip() for o in question["options"]):
        return "Aiken 的选项只能是非空的一行 / an Aiken option is one line, not empty"
    return None


def write(questions: Iterable[dict[str, Any]]) -> tuple[str, int]:
    """Options lettered by position (Moodle keys ANSWER by position), whatever their labels."""
    blocks = []
    for question in questions:
        options = question["options"]
        lines = [question["stem"].strip()]
        lines += [f"{POSITIONS[i]}. {o['text'].strip()}" for i, o in enumerate(options)]
        [correct] = [
            i for i, o in enumerate(options) if o["label"] in question["answer"]["correct"]
        ]
        lines.append(f"ANSWER: {POSITIONS[correct]}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n", len(blocks)
