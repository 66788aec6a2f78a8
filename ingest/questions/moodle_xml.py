"""Moodle XML: read (CDATA and HTML text, fractions, single/multiple, true/false, short answer,
numerical, essay, categories, tags, embedded base64 images) and write.

Parsed with defusedxml: DTDs, entity expansion and external entities are refused.
"""

from __future__ import annotations

import base64
import binascii
import math
import posixpath
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ingest.questions.common import GB, Candidate, FileRefused, Location, category_tag, decode_utf8
from ingest.questions.markup import html_to_text, image_sources, text_to_html

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
    raw = _raw(element)
    kind = markup or element.get("format", "html")
    # Markdown is kept as written (its blank lines and indentation are its meaning)
    if kind == "moodle_auto_format":  # plain text that may hold HTML tags
        return html_to_text(raw, known_tags_only=True)
    return html_to_text(raw) if kind == "html" else raw.strip()


def _raw(element: ET.Element | None) -> str:
    """The text of an element as written (HTML unread)."""
    if element is None:
        return ""
    node = element.find("text")
    return (node.text if node is not None else element.text) or ""


def _lines_of_questions(text: str) -> list[int]:
    """Line numbers of each <question …> tag, in order (for the report): one pass over the
    text, counting only the lines between one tag and the next."""
    lines, line, at = [], 1, 0
    for match in re.finditer(r"<question[\s>]", text):
        line += text.count("\n", at, match.start())
        at = match.start()
        lines.append(line)
    return lines


def read(raw: bytes, max_questions: int | None = None) -> Iterator[Candidate]:
    """Questions of a Moodle XML file; a file holding more than ``max_questions`` question tags
    is refused before its tree is built (a 28 MB file's tree took 570 MB)."""
    declared = re.match(rb"<\?xml[^>]*encoding=[\"']([A-Za-z0-9_-]+)[\"']", raw.lstrip()[:200])
    if declared and declared.group(1).lower() in {b"gbk", b"gb2312", b"gb18030"}:
        # expat reads no multi-byte legacy encoding: the text is read here and handed on as UTF-8
        try:
            text = raw.decode(GB)
        except UnicodeDecodeError:
            raise FileRefused("XML 声明为 GBK 编码，但内容不是 / not GBK as declared") from None
        raw = re.sub(
            r"(<\?xml[^>]*encoding=[\"'])[A-Za-z0-9_-]+", r"\g<1>UTF-8", text, count=1
        ).encode("utf-8")
    else:
        text = decode_utf8(raw, "XML ")
    lines = _lines_of_questions(text)
    if max_questions is not None and len(lines) > max_questions:
        raise FileRefused(
            f"文件超过 {max_questions} 题，请拆分后分批导入 / More than {max_questions} "
            "questions: split the file"
        )
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
    elements = root.findall("question")
    if not elements:
        raise FileRefused("没有找到 Moodle XML 试题（<question>）/ No <question> in this file")
    category = None
    number = 0  # questions as editors count them: categories are not questions
    for index, element in enumerate(elements):
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
    elsewhere = [
        src for src in image_sources(_raw(question_text)) if not src.startswith("@@PLUGINFILE@@")
    ]
    if elsewhere:  # the bank keeps images it holds, not links that may die
        candidate.warn(
            f"题干中的外部图片未保留：{'、'.join(elsewhere)} / images linked from elsewhere are "
            "not kept",
            "stem_images",
        )
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
    answers = []
    for answer in element.findall("answer"):
        written = answer.get("fraction", "0") or "0"
        try:
            fraction = float(written)
        except ValueError:
            fraction = math.nan
        if not math.isfinite(fraction):
            candidate.refuse(
                f"答案“{_text(answer)}”的得分 fraction=“{written}”不是数字 / the answer's fraction "
                f"{written!r} is not a number",
                "answer",
            )
            return candidate
        answers.append((fraction, _text(answer), answer))
    if qtype == "multichoice":
        single = (element.findtext("single") or "true").strip().lower() in {"true", "1"}
        options = []
        for i, (_f, text, answer) in enumerate(answers):
            option = {"label": "ABCDEFGHIJ"[i] if i < 10 else str(i), "text": text}
            said = _text(answer.find("feedback"))
            if said:
                option["feedback"] = said
            if image_sources(_raw(answer)) or answer.find("file") is not None:
                candidate.warn(
                    f"选项 {option['label']} 中的图片未保留，只保留了文字“{text}” / the image in "
                    f"option {option['label']} is not kept, only its text",
                    "options",
                )
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
        if not _true_false(candidate, data, answers):
            return candidate
    elif qtype in {"shortanswer", "numerical"}:
        if not _one_blank(candidate, element, data, qtype, answers):
            return candidate
    else:  # essay
        reference = _text(element.find("graderinfo"))
        data.update(
            type="short_answer", answer={"manual": True, "keywords": [], "reference": reference}
        )
    if (element.findtext("hidden") or "0").strip() not in {"", "0"}:
        candidate.draft = True
        candidate.warn(
            "此题在 Moodle 中是隐藏的，按草稿导入，请核对后再发布 / the question is hidden in "
            "Moodle: imported as a draft, to check before publishing",
            "status",
        )
    told = [
        f"{label}：{said}" for tag, label in COMBINED_FEEDBACK if (said := _text(element.find(tag)))
    ]
    if told:  # what Moodle tells a right, partly right and wrong answer
        data["explanation"] = "\n".join([data["explanation"], *told]).strip()
    candidate.data = data
    return candidate


COMBINED_FEEDBACK = [
    ("correctfeedback", "答对时"),
    ("partiallycorrectfeedback", "部分正确时"),
    ("incorrectfeedback", "答错时"),
]
TRUE_WORDS, FALSE_WORDS = {"true", "正确", "对"}, {"false", "错误", "错"}


def _true_false(
    candidate: Candidate, data: dict[str, Any], answers: list[tuple[float, str, ET.Element]]
) -> bool:
    """The answer worth 100% is the key; each answer's feedback is what choosing it tells."""
    right = [text.lower() for fraction, text, _a in answers if fraction >= 100]
    if len(right) != 1 or right[0] not in TRUE_WORDS | FALSE_WORDS:
        candidate.refuse(
            "判断题应恰有一个 100% 的答案（true 或 false）/ a true/false question needs exactly "
            "one answer, true or false, worth 100%",
            "answer",
        )
        return False
    data.update(type="true_false", answer={"correct": right[0] in TRUE_WORDS})
    told = [
        f"{'答对时' if fraction >= 100 else '答错时'}：{said}"
        for fraction, _t, answer in sorted(answers, key=lambda a: a[0])
        if (said := _text(answer.find("feedback")))
    ]
    if told:
        data["explanation"] = "\n".join([data["explanation"], *told]).strip()
    return True


_WILDCARD = re.compile(r"(?<!\\)\*")


def _one_blank(
    candidate: Candidate,
    element: ET.Element,
    data: dict[str, Any],
    qtype: str,
    answers: list[tuple[float, str, ET.Element]],
) -> bool:
    """Short answer and numerical: one blank whose fully right answers are kept. What the bank
    cannot hold is refused (wildcards, several numerical answers) or said (partial credit,
    units); the feedback for any other answer (``*``) is kept with the explanation."""
    if any(text == "*" and fraction >= 100 for fraction, text, _a in answers):
        candidate.refuse(
            "答案 * 得 100%：任何作答都得满分，本题库无法表达 / the answer * is worth 100%: any "
            "response earns full marks, which the bank cannot hold",
            "answer",
        )
        return False
    full = [(text, a) for fraction, text, a in answers if fraction >= 100 and text != "*"]
    partial = [f"{text}（{fraction:g}%）" for fraction, text, _a in answers if 0 < fraction < 100]
    for fraction, text, answer in answers:
        said = _text(answer.find("feedback"))
        if text == "*" and fraction < 100 and said:
            data["explanation"] = f"{data['explanation']}\n答错时：{said}".strip()
    if not full:
        candidate.refuse("没有得分为 100% 的答案 / no answer scores 100%", "answer")
        return False
    if qtype == "shortanswer":
        wild = [text for text, _a in full if _WILDCARD.search(text)]
        if wild:
            candidate.refuse(
                f"答案含通配符 *（{'、'.join(wild)}），本题库按原文比较，无法保存 / the answer "
                f"{wild[0]!r} holds Moodle's wildcard *: the bank compares texts as written",
                "answer",
            )
            return False
        # \* is a star as written (Moodle's escape of its wildcard)
        blank: dict[str, Any] = {
            "accepted": [text.replace("\\*", "*") for text, _a in full],
            "tolerance": None,
        }
        if (element.findtext("usecase") or "0").strip() not in {"", "0"}:
            candidate.warn(
                "区分大小写未保留：本题库比较答案时不区分大小写 / case-sensitive answers: the "
                "bank compares answers without case",
                "answer",
            )
    else:
        spreads = set()
        for text, answer in full:
            try:
                tolerance = abs(float(answer.findtext("tolerance") or 0))
                value = float(text)
            except ValueError:
                value = tolerance = math.inf
            if not (math.isfinite(tolerance) and math.isfinite(value)):
                candidate.refuse(f"数值题答案无法识别：{text} / unreadable number", "answer")
                return False
            spreads.add(tolerance)
        if len(spreads) > 1:
            candidate.refuse(
                "数值题的几个 100% 答案误差不同，本题库一个空只有一个误差 / several numerical "
                "answers worth 100% with different tolerances: a blank of the bank has one",
                "answer",
            )
            return False
        blank = {"accepted": [text for text, _a in full], "tolerance": spreads.pop()}
        names = [
            (unit.findtext("unit_name") or "").strip() for unit in element.findall("units/unit")
        ]
        if any(names):
            candidate.warn(
                f"单位未保留（{'、'.join(n for n in names if n)}），只按数值评分 / units are not "
                "kept: the number alone is graded",
                "answer",
            )
    if partial:
        candidate.warn(
            f"部分得分答案未保留：{'、'.join(partial)} / partial-credit answers not kept", "answer"
        )
    data.update(type="fill_blank", answer={"blanks": [blank], "ordered": True})
    return True


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
    free = [label for label, fraction in graded if fraction == 0]
    if free:
        candidate.warn(
            f"错误选项 {'、'.join(free)} 得分为 0：Moodle 中多选它们不扣分，本题库多选即错 / "
            "wrong options graded 0 cost nothing in Moodle; here choosing one is wrong",
            "answer",
        )
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
        for accepted in answer["blanks"][0]["accepted"]:  # a star as written, not a wildcard
            _sub(
                element, "answer", accepted.replace("*", "\\*"), fraction="100", format="plain_text"
            )
    elif moodle_type == "numerical":
        blank = answer["blanks"][0]
        for accepted in blank["accepted"]:
            node = _sub(element, "answer", accepted, fraction="100", format="plain_text")
            ET.SubElement(node, "tolerance").text = str(blank["tolerance"])
    else:
        reference, kind = rich(answer.get("reference", ""))
        _sub(element, "graderinfo", reference, format=kind)
    tags = question.get("tags") or []
    if tags:
        holder = ET.SubElement(element, "tags")
        for tag in tags:
            _sub(holder, "tag", tag)
