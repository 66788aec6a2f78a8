"""Moodle XML: read (CDATA and HTML text, fractions, single/multiple, true/false, short answer,
numerical, essay, categories, tags, embedded base64 images) and write.

Parsed with defusedxml: DTDs, entity expansion and external entities are refused.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ingest.questions.common import Candidate, FileRefused, Location, category_tag, decode_utf8
from ingest.questions.markup import html_to_text, text_to_html

SUPPORTED = {"multichoice", "truefalse", "shortanswer", "numerical", "essay"}
NAMES = {
    "matching": "匹配题",
    "multianswer": "完形填空（Cloze）",
    "ddwtos": "拖放题",
    "calculated": "计算题",
    "calculatedsimple": "简单计算题",
    "gapselect": "下拉选词题",
    "randomsamatch": "随机匹配题",
    "ordering": "排序题",
}


def _text(element: ET.Element | None, markup: str | None = None) -> str:
    if element is None:
        return ""
    node = element.find("text")
    raw = (node.text if node is not None else element.text) or ""
    kind = markup or element.get("format", "html")
    # Markdown is kept as written (its blank lines and indentation are its meaning)
    return html_to_text(raw) if kind in {"html", "moodle_auto_format"} else raw.strip()


def _lines_of_questions(text: str) -> list[int]:
    """Line numbers of each <question …> tag, in order (for the report)."""
    return [text.count("\n", 0, m.start()) + 1 for m in re.finditer(r"<question[\s>]", text)]


def read(raw: bytes) -> Iterator[Candidate]:
    text = decode_utf8(raw, "XML ")
    try:
        root = fromstring(raw)
    except DefusedXmlException as exc:
        raise FileRefused(
            f"XML 含有实体定义或外部引用，已拒绝 / The XML declares entities or external "
            f"references and is refused ({type(exc).__name__})",
            status=422,
        ) from None
    except ET.ParseError as exc:
        raise FileRefused(f"XML 格式错误 / Malformed XML: {exc}", status=422) from None
    if root.tag != "quiz":
        raise FileRefused(
            "不是 Moodle XML（根元素应为 <quiz>）/ Not Moodle XML: the root is not <quiz>",
            status=415,
        )
    lines = _lines_of_questions(text)
    category = None
    number = 0  # questions as editors count them: categories are not questions
    for index, element in enumerate(root.findall("question")):
        qtype = element.get("type", "")
        if qtype == "category":
            category = category_tag(_text(element.find("category"), "plain"))
            continue
        number += 1
        location = Location(line=lines[index] if index < len(lines) else None, item=number)
        yield _question(element, qtype, location, category)


def _question(
    element: ET.Element, qtype: str, location: Location, category: str | None
) -> Candidate:
    candidate = Candidate(location, {})
    name = _text(element.find("name"), "plain")
    if qtype not in SUPPORTED:
        label = NAMES.get(qtype, qtype)
        candidate.refuse(
            f"不支持的题型：{label}（{name or '未命名'}）/ unsupported question type "
            f"{qtype!r} ({name or 'unnamed'})",
            "type",
        )
        return candidate
    question_text = element.find("questiontext")
    stem = _text(question_text)
    for file in question_text.findall("file") if question_text is not None else []:
        try:
            candidate.images.append(
                (file.get("name") or "image", base64.b64decode(file.text or "", validate=True))
            )
        except (binascii.Error, ValueError):
            candidate.refuse(
                f"图片 {file.get('name')} 的 base64 内容无效 / invalid base64 image", "stem_images"
            )
    legacy = element.findtext("image_base64")
    if legacy and legacy.strip():  # Moodle 1.x: one image beside the question text
        try:
            name_of = (element.findtext("image") or "image").strip() or "image"
            candidate.images.append(
                (posixpath.basename(name_of), base64.b64decode(legacy.strip(), validate=True))
            )
        except (binascii.Error, ValueError):
            candidate.refuse("图片的 base64 内容无效 / invalid base64 image", "stem_images")
    tags = [t.text.strip() for t in element.findall("tags/tag/text") if t.text and t.text.strip()]
    if category and category not in tags:
        tags.append(category)
    markdown = question_text is not None and question_text.get("format") == "markdown"
    data: dict[str, Any] = {
        "stem": stem,
        "text_format": "markdown" if markdown else "plain",
        "explanation": _text(element.find("generalfeedback")),
        "tags": tags,
        "source": name,
    }
    answers = [(float(a.get("fraction", "0") or 0), _text(a), a) for a in element.findall("answer")]
    if qtype == "multichoice":
        single = (element.findtext("single") or "true").strip().lower() in {"true", "1"}
        options = []
        for i, (_f, text, answer) in enumerate(answers):
            option = {"label": "ABCDEFGHIJ"[i] if i < 10 else str(i), "text": text}
            said = _text(answer.find("feedback"))
            if said:
                option["feedback"] = said
            options.append(option)
        correct = _multichoice_key(
            candidate,
            single,
            [(o["label"], f) for o, (f, _t, _a) in zip(options, answers, strict=True)],
        )
        if correct is None:
            return candidate
        data.update(
            type="single_choice" if single else "multiple_choice",
            options=options,
            answer={"correct": correct},
        )
    elif qtype == "truefalse":
        right = next((text.lower() for fraction, text, _a in answers if fraction >= 100), "")
        data.update(type="true_false", answer={"correct": right in {"true", "正确", "对"}})
    elif qtype == "shortanswer":
        accepted = [text for fraction, text, _a in answers if fraction >= 100]
        data.update(
            type="fill_blank",
            answer={"blanks": [{"accepted": accepted, "tolerance": None}], "ordered": True},
        )
    elif qtype == "numerical":
        best = next(((text, a) for fraction, text, a in answers if fraction >= 100), None)
        tolerance = float(best[1].findtext("tolerance") or 0) if best else 0.0
        data.update(
            type="fill_blank",
            answer={
                "blanks": [{"accepted": [best[0]] if best else [], "tolerance": tolerance}],
                "ordered": True,
            },
        )
    else:  # essay
        reference = _text(element.find("graderinfo"))
        data.update(
            type="short_answer", answer={"manual": True, "keywords": [], "reference": reference}
        )
    candidate.data = data
    return candidate


def _multichoice_key(
    candidate: Candidate, single: bool, graded: list[tuple[str, float]]
) -> list[str] | None:
    """The right options as Moodle validates a multiple-choice question's grades, or None when
    Moodle would refuse them (said with Moodle's reason), or when the bank cannot mean them."""
    full = [label for label, fraction in graded if fraction >= 100]
    partial = [(label, fraction) for label, fraction in graded if 0 < fraction < 100]
    if single:
        if not full:
            candidate.refuse(
                "没有得分为 100% 的选项，无法得满分（Moodle 同样拒绝）/ no answer scores 100%: "
                "full marks are impossible (Moodle refuses this too)",
                "answer",
            )
            return None
        if len(full) > 1:
            candidate.refuse(
                f"有多个 100% 的选项（{'、'.join(full)}，任选其一即满分），本题库的单选题只有一个"
                f"正确答案 / several 100% answers ({', '.join(full)}, any one earns full "
                "marks): a single choice of this bank has one",
                "answer",
            )
            return None
        if partial:
            dropped = "、".join(f"{label}（{fraction:g}%）" for label, fraction in partial)
            candidate.warn(
                f"部分得分选项按错误选项保存：{dropped} / partial-credit options kept as wrong",
                "answer",
            )
        return full
    positive = full + [label for label, _ in partial]
    total = sum(fraction for _, fraction in graded if fraction > 0)
    if abs(total - 100) > 0.1:
        candidate.refuse(
            f"正分选项之和为 {total:g}%，应为 100%（Moodle 同样拒绝）/ the positive grades add "
            f"up to {total:g}%, not 100% (Moodle refuses this too)",
            "answer",
        )
        return None
    if len({round(fraction, 2) for _, fraction in graded if fraction > 0}) > 1:
        candidate.warn(
            "各正确选项分值不等，按全选正确计分 / unequal grades: graded as all of them right",
            "answer",
        )
    return sorted(positive)


# --- writing ---------------------------------------------------------------------------------


def expressible(question: dict[str, Any]) -> str | None:
    qtype = str(question["type"])
    if qtype == "fill_blank" and len(question["answer"]["blanks"]) != 1:
        return "Moodle XML 的简答题只有一个空 / Moodle short answers hold one blank"
    if qtype == "short_answer" and question["answer"].get("keywords"):
        return "Moodle 问答题不含评分关键词 / Moodle essays carry no scoring keywords"
    return None


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        ET.SubElement(element, "text").text = text
    return element


def write(questions: Iterable[dict[str, Any]]) -> tuple[bytes, int]:
    quiz = ET.Element("quiz")
    count = 0
    for count, question in enumerate(questions, start=1):
        _write_question(quiz, question, count)
    ET.indent(quiz)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="utf-8"), count


def _write_question(quiz: ET.Element, question: dict[str, Any], number: int) -> None:
    qtype = str(question["type"])
    answer = question["answer"]
    moodle_type = {
        "single_choice": "multichoice",
        "multiple_choice": "multichoice",
        "true_false": "truefalse",
        "short_answer": "essay",
    }.get(qtype)
    if qtype == "fill_blank":
        numeric = answer["blanks"][0].get("tolerance") is not None
        moodle_type = "numerical" if numeric else "shortanswer"
    element = ET.SubElement(quiz, "question", {"type": moodle_type or "essay"})
    markdown = question.get("text_format") == "markdown"

    def rich(text: str) -> tuple[str, str]:
        """A text as Moodle holds it: markdown as written, plain text as HTML."""
        return (text, "markdown") if markdown else (text_to_html(text), "html")

    _sub(element, "name", question.get("source") or f"Q{number}")
    stem, kind = rich(question["stem"])
    _sub(element, "questiontext", stem, format=kind)
    general, kind = rich(question.get("explanation", ""))
    _sub(element, "generalfeedback", general, format=kind)
    ET.SubElement(element, "defaultgrade").text = "1"
    if moodle_type == "multichoice":
        correct = set(answer["correct"])
        ET.SubElement(element, "single").text = "true" if qtype == "single_choice" else "false"
        ET.SubElement(element, "shuffleanswers").text = "true"
        ET.SubElement(element, "answernumbering").text = "ABCD"
        share = 100 / max(1, len(correct))
        for option in question["options"]:
            fraction = (
                (100 if qtype == "single_choice" else share)
                if option["label"] in correct
                else (0 if qtype == "single_choice" else -100)
            )
            text, kind = rich(option["text"])
            written = _sub(
                element,
                "answer",
                text,
                fraction=f"{fraction:.5f}".rstrip("0").rstrip("."),
                format=kind,
            )
            if option.get("feedback"):
                feedback, kind = rich(option["feedback"])
                _sub(written, "feedback", feedback, format=kind)
    elif moodle_type == "truefalse":
        for word in ("true", "false"):
            right = (word == "true") == bool(answer["correct"])
            _sub(
                element,
                "answer",
                word,
                fraction="100" if right else "0",
                format="moodle_auto_format",
            )
    elif moodle_type == "shortanswer":
        ET.SubElement(element, "usecase").text = "0"
        for accepted in answer["blanks"][0]["accepted"]:
            _sub(element, "answer", accepted, fraction="100", format="plain_text")
    elif moodle_type == "numerical":
        blank = answer["blanks"][0]
        node = _sub(element, "answer", blank["accepted"][0], fraction="100", format="plain_text")
        ET.SubElement(node, "tolerance").text = str(blank["tolerance"])
    else:
        reference, kind = rich(answer.get("reference", ""))
        _sub(element, "graderinfo", reference, format=kind)
    tags = question.get("tags") or []
    if tags:
        holder = ET.SubElement(element, "tags")
        for tag in tags:
            _sub(holder, "tag", tag)
