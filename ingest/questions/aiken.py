"""Aiken: single-choice questions as plain text (``A. …`` options and an ``ANSWER: B`` line)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from ingest.questions.common import Candidate, FileRefused, Location, decode_utf8

_OPTION = re.compile(r"^([A-Ja-j])\s*[.)．）、]\s*(.+)$")
_ANSWER = re.compile(r"^ANSWER\s*[:：]\s*(.*)$", re.IGNORECASE)


def read(raw: bytes) -> Iterator[Candidate]:
    text = decode_utf8(raw, "Aiken ")
    stem_lines: list[str] = []
    options: list[dict[str, str]] = []
    start = 0
    produced = False
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        if not stem_lines and not options:
            start = number
        option = _OPTION.match(line)
        answer = _ANSWER.match(line)
        if answer:
            produced = True
            yield _candidate(start, number, " ".join(stem_lines), options, answer.group(1))
            stem_lines, options = [], []
        elif option and stem_lines:
            options.append({"label": option.group(1).upper(), "text": option.group(2).strip()})
        elif options:
            # Text after the options without an ANSWER line: the previous question is broken.
            produced = True
            yield _candidate(start, number - 1, " ".join(stem_lines), options, None)
            stem_lines, options, start = [line], [], number
        else:
            stem_lines.append(line)
    if stem_lines or options:
        produced = True
        yield _candidate(start, start, " ".join(stem_lines), options, None)
    if not produced:
        raise FileRefused("没有找到 Aiken 试题 / No Aiken questions found")


def _candidate(
    start: int, end: int, stem: str, options: list[dict[str, str]], answer: str | None
) -> Candidate:
    candidate = Candidate(Location(line=start), {})
    if answer is None:
        candidate.refuse(
            f"第 {start}–{end} 行的题目缺少 ANSWER: 行 / the question lacks its ANSWER: line",
            "answer",
        )
        return candidate
    candidate.data = {
        "type": "single_choice",
        "stem": stem,
        "options": options,
        "answer": {"correct": [answer.strip().upper()[:1]] if answer.strip() else []},
    }
    return candidate


def expressible(question: dict[str, Any]) -> str | None:
    if str(question["type"]) != "single_choice":
        return "Aiken 只能表达单选题 / Aiken holds single-choice questions only"
    if "\n" in question["stem"]:
        return "Aiken 的题干只能一行 / an Aiken stem is one line"
    return None


def write(questions: Iterable[dict[str, Any]]) -> tuple[str, int]:
    blocks = []
    for question in questions:
        lines = [question["stem"]]
        lines += [f"{o['label']}. {o['text']}" for o in question["options"]]
        lines.append(f"ANSWER: {question['answer']['correct'][0]}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n", len(blocks)
