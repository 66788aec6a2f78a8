"""Export then import keeps every question a format can express, format by format."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalog.accounts.models import Role
from catalog.banks.exports import EXPORT_FORMATS
from tests.support.presigned import call_url

SINGLE = {
    "type": "single_choice",
    "stem": "停电检修时应首先做什么？",
    "options": [
        {"label": "A", "text": "验电"},
        {"label": "B", "text": "断开电源（含 = 与 ~ 符号）"},
        {"label": "C", "text": "挂接地线"},
    ],
    "answer": {"correct": ["B"]},
    "explanation": "先断电，再验电，后挂地线。",
    "difficulty": 2,
    "knowledge_points": ["停电作业"],
    "tags": ["安全"],
    "source": "S1",
    "usage": "both",
}
MULTIPLE = {
    "type": "multiple_choice",
    "stem": "下列哪些属于安全工器具？",
    "options": [
        {"label": "A", "text": "绝缘手套"},
        {"label": "B", "text": "验电器"},
        {"label": "C", "text": "扳手"},
        {"label": "D", "text": "接地线"},
    ],
    "answer": {"correct": ["A", "B", "D"]},
    "explanation": "扳手是一般工具。",
    "difficulty": 3,
    "knowledge_points": ["工器具"],
    "tags": ["安全", "基础"],
    "source": "M1",
    "usage": "practice",
}
TRUE_FALSE = {
    "type": "true_false",
    "stem": "发现燃气泄漏时可以开灯检查。",
    "answer": {"correct": False},
    "explanation": "开关会产生火花。",
    "difficulty": 1,
    "knowledge_points": [],
    "tags": [],
    "source": "T1",
    "usage": "both",
    "options": [],
}
FILL_TEXT = {
    "type": "fill_blank",
    "stem": "接地线应先接____端。",
    "answer": {"blanks": [{"accepted": ["接地", "大地"], "tolerance": None}], "ordered": True},
    "explanation": "",
    "difficulty": 2,
    "knowledge_points": [],
    "tags": [],
    "source": "F1",
    "usage": "exam",
    "options": [],
}
FILL_NUMBER = {
    "type": "fill_blank",
    "stem": "我国工频为多少赫兹？",
    "answer": {"blanks": [{"accepted": ["50"], "tolerance": 0.5}], "ordered": True},
    "explanation": "",
    "difficulty": 2,
    "knowledge_points": [],
    "tags": [],
    "source": "F2",
    "usage": "both",
    "options": [],
}
FILL_TWO = {
    "type": "fill_blank",
    "stem": "三相电的相电压为____V，线电压为____V。",
    "answer": {
        "blanks": [
            {"accepted": ["220"], "tolerance": None},
            {"accepted": ["380"], "tolerance": None},
        ],
        "ordered": True,
    },
    "explanation": "",
    "difficulty": 3,
    "knowledge_points": [],
    "tags": [],
    "source": "F3",
    "usage": "both",
    "options": [],
}
SHORT_KEYWORDS = {
    "type": "short_answer",
    "stem": "简述验电的步骤。",
    "answer": {
        "keywords": [
            {"word": "验电器", "weight": 2, "synonyms": []},
            {"word": "逐相", "weight": 1, "synonyms": []},
        ],
        "reference": "先在有电设备上试验验电器，再逐相验电。",
        "manual": False,
    },
    "explanation": "",
    "difficulty": 4,
    "knowledge_points": ["验电"],
    "tags": [],
    "source": "K1",
    "usage": "both",
    "options": [],
}
SHORT_MANUAL = {
    "type": "short_answer",
    "stem": "谈谈你对工匠精神的理解。",
    "answer": {"keywords": [], "reference": "", "manual": True},
    "explanation": "",
    "difficulty": 3,
    "knowledge_points": [],
    "tags": [],
    "source": "E1",
    "usage": "both",
    "options": [],
}
ALL = [SINGLE, MULTIPLE, TRUE_FALSE, FILL_TEXT, FILL_NUMBER, FILL_TWO, SHORT_KEYWORDS, SHORT_MANUAL]

# What each format can hold: the questions, and the fields that must survive.
CONTENT = ("type", "stem", "options", "answer")
EXPORT_TYPES = {f: t for f, (_suffix, t) in EXPORT_FORMATS.items()}
FORMATS = {
    "xlsx": (
        ALL,
        (*CONTENT, "explanation", "difficulty", "knowledge_points", "tags", "source", "usage"),
    ),
    "csv": (
        ALL,
        (*CONTENT, "explanation", "difficulty", "knowledge_points", "tags", "source", "usage"),
    ),
    "gift": (
        [SINGLE, MULTIPLE, TRUE_FALSE, FILL_TEXT, FILL_NUMBER, SHORT_MANUAL],
        (*CONTENT, "explanation", "tags", "source"),  # tags in // [tag:…] comments
    ),
    "moodle_xml": (
        [SINGLE, MULTIPLE, TRUE_FALSE, FILL_TEXT, FILL_NUMBER, SHORT_MANUAL],
        (*CONTENT, "explanation", "tags", "source"),
    ),
    "aiken": ([SINGLE], CONTENT),
}
FILE_NAMES = {
    "xlsx": "x.xlsx",
    "csv": "x.csv",
    "gift": "x.gift",
    "moodle_xml": "x.xml",
    "aiken": "x.txt",
}


def _comparable(question: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    picked = {name: question.get(name) for name in fields}
    picked["options"] = picked.get("options") or []
    if question["type"] == "short_answer":
        answer = dict(question["answer"])
        answer["keywords"] = [{**k, "synonyms": k.get("synonyms", [])} for k in answer["keywords"]]
        picked["answer"] = answer
    return picked


@pytest.mark.parametrize("format", list(FORMATS))
def test_round_trip(
    app: Flask, client: FlaskClient, login_as: Callable[..., dict], format: str
) -> None:
    questions, fields = FORMATS[format]
    editor = login_as(Role.EDITOR)
    source = client.post("/api/v1/banks", json={"name": "原题库"}, headers=editor).get_json()["id"]
    for question in ALL:
        created = client.post(f"/api/v1/banks/{source}/questions", json=question, headers=editor)
        assert created.status_code == 201, created.get_json()
    task = client.post(
        f"/api/v1/banks/{source}/exports", json={"format": format}, headers=editor
    ).get_json()
    assert task["status"] == "done", task
    assert task["result"]["exported"] == len(questions)
    assert task["result"]["skipped_count"] == len(ALL) - len(questions)
    # what the format could not hold is counted, never dropped in silence
    lost = task["result"]["lost"]
    for part, label in [("explanation", "解析"), ("knowledge_points", "知识点")]:
        having = sum(1 for q in questions if q.get(part))
        held = part in fields
        assert lost.get(f"{label} / {part.replace('_', ' ')}", 0) == (0 if held else having)
    download = client.get(f"/api/v1/banks/{source}/exports/{task['id']}", headers=editor)
    assert download.status_code == 302
    fetched = call_url(app, "GET", download.headers["Location"])
    data = fetched.body
    # the type as stored, its charset once (a CSV read "charset=utf-8; charset=utf-8")
    assert fetched.headers["Content-Type"].count("charset") == ("; charset" in EXPORT_TYPES[format])

    target = client.post("/api/v1/banks", json={"name": "新题库"}, headers=editor).get_json()["id"]
    form = {"file": (io.BytesIO(data), FILE_NAMES[format])}
    if format == "aiken":
        form["format"] = "aiken"
    imported = client.post(
        f"/api/v1/banks/{target}/imports",
        data=form,
        headers=editor,
        content_type="multipart/form-data",
    ).get_json()
    assert imported["status"] == "done", imported["problems"]
    assert imported["counts"]["imported"] == len(questions)

    page = client.get(f"/api/v1/banks/{target}/questions?limit=200", headers=editor).get_json()
    got = {q["stem"]: _comparable(q, fields) for q in page["items"]}
    expected = {q["stem"]: _comparable(q, fields) for q in questions}
    assert got == expected
