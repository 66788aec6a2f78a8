"""Question banks for editors: validation, versions, bulk edits, duplicates, permissions,
and the offline practice snapshot."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalog.accounts.models import Organisation, Role, User
from tests.support.presigned import call_url


@pytest.fixture
def editor(login_as: Callable[..., dict]) -> dict:
    return login_as(Role.EDITOR)


@pytest.fixture
def bank(client: FlaskClient, editor: dict) -> int:
    response = client.post("/api/v1/banks", json={"name": "配电运维题库"}, headers=editor)
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


def single(stem: str = "10kV 属于？", correct: str = "B", **extra: Any) -> dict[str, Any]:
    body = {
        "type": "single_choice",
        "stem": stem,
        "options": [
            {"label": "A", "text": "低压"},
            {"label": "B", "text": "中压"},
            {"label": "C", "text": "高压"},
        ],
        "answer": {"correct": [correct]},
        "explanation": "中压配电网",
        "difficulty": 2,
        "knowledge_points": ["电压等级"],
        "tags": ["基础"],
    }
    body.update(extra)
    return body


def add(client: FlaskClient, headers: dict, bank: int, body: dict) -> Any:
    return client.post(f"/api/v1/banks/{bank}/questions", json=body, headers=headers)


@pytest.mark.parametrize(
    ("body", "field", "needle"),
    [
        (single(answer={"correct": ["A", "B"]}), "answer", "恰有一个"),
        (single(answer={"correct": ["E"]}), "answer", "不在选项中"),
        (
            single(options=[{"label": "A", "text": "甲"}, {"label": "A", "text": "乙"}]),
            "options",
            "重复",
        ),
        (single(options=[{"label": "A", "text": "甲"}]), "options", "2–10"),
        (single(difficulty=6), "difficulty", "1–5"),
        (
            {
                "type": "fill_blank",
                "stem": "____ 与 ____",
                "answer": {"blanks": [{"accepted": ["甲"]}]},
            },
            "answer",
            "2 个空",
        ),
        ({"type": "short_answer", "stem": "简述", "answer": {"keywords": []}}, "answer", "关键词"),
        ({"type": "true_false", "stem": "对吗", "answer": {"correct": "yes"}}, "answer", "对或错"),
    ],
)
def test_each_rule_is_a_422_naming_the_field(
    client: FlaskClient, editor: dict, bank: int, body: dict, field: str, needle: str
) -> None:
    response = add(client, editor, bank, body)
    assert response.status_code == 422
    messages = response.get_json()["error"]["details"]["json"][field]
    assert any(needle in m for m in messages), messages


def test_every_type_can_be_created(client: FlaskClient, editor: dict, bank: int) -> None:
    bodies = [
        single(),
        {
            "type": "multiple_choice",
            "stem": "哪些是安全工器具",
            "options": [
                {"label": "A", "text": "绝缘手套"},
                {"label": "B", "text": "验电器"},
                {"label": "C", "text": "扳手"},
            ],
            "answer": {"correct": ["A", "B"]},
        },
        {"type": "true_false", "stem": "停电作业必须验电", "answer": {"correct": True}},
        {
            "type": "fill_blank",
            "stem": "我国工频为____Hz，电压____V",
            "answer": {"blanks": [{"accepted": ["50"], "tolerance": 0}, {"accepted": ["220"]}]},
        },
        {
            "type": "short_answer",
            "stem": "简述验电步骤",
            "answer": {"keywords": [{"word": "验电器", "weight": 2}], "reference": "先试后验"},
        },
    ]
    for body in bodies:
        response = add(client, editor, bank, body)
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["status"] == "draft"


def test_editing_a_published_question_makes_a_version(
    client: FlaskClient, editor: dict, bank: int
) -> None:
    created = add(client, editor, bank, single()).get_json()
    qid = created["id"]
    # A draft is edited in place.
    client.patch(f"/api/v1/questions/{qid}", json={"explanation": "草稿修改"}, headers=editor)
    assert client.get(f"/api/v1/questions/{qid}", headers=editor).get_json()["versions"] == [1]
    client.post(
        f"/api/v1/banks/{bank}/questions/bulk",
        json={"ids": [qid], "action": "publish"},
        headers=editor,
    )
    edited = client.patch(
        f"/api/v1/questions/{qid}", json={"stem": "10kV 电压等级属于？"}, headers=editor
    ).get_json()
    assert edited["version"] == 2
    assert edited["versions"] == [1, 2]
    old = client.get(f"/api/v1/questions/{qid}/versions/1", headers=editor).get_json()
    assert old["stem"] == "10kV 属于？"
    assert old["explanation"] == "草稿修改"
    # Metadata alone (difficulty, tags) does not make a version.
    meta = client.patch(f"/api/v1/questions/{qid}", json={"difficulty": 4}, headers=editor)
    assert meta.get_json()["version"] == 2


def test_markdown_is_a_text_format_and_changing_it_makes_a_version(
    client: FlaskClient, editor: dict, bank: int
) -> None:
    body = single("**10kV** 属于？", text_format="markdown")
    created = add(client, editor, bank, body).get_json()
    assert created["text_format"] == "markdown"
    assert add(client, editor, bank, single("纯文本题")).get_json()["text_format"] == "plain"
    wrong = add(client, editor, bank, single("HTML 题", text_format="html"))
    assert wrong.status_code == 422
    assert "text_format" in wrong.get_json()["error"]["details"]["json"]
    qid = created["id"]
    client.post(
        f"/api/v1/banks/{bank}/questions/bulk",
        json={"ids": [qid], "action": "publish"},
        headers=editor,
    )
    # how a learner sees the text is content: a session that froze version 1 keeps it
    edited = client.patch(
        f"/api/v1/questions/{qid}", json={"text_format": "plain"}, headers=editor
    ).get_json()
    assert (edited["version"], edited["text_format"]) == (2, "plain")
    old = client.get(f"/api/v1/questions/{qid}/versions/1", headers=editor).get_json()
    assert old["text_format"] == "markdown"


def test_retired_questions_cannot_change(client: FlaskClient, editor: dict, bank: int) -> None:
    qid = add(client, editor, bank, single()).get_json()["id"]
    client.post(
        f"/api/v1/banks/{bank}/questions/bulk",
        json={"ids": [qid], "action": "retire"},
        headers=editor,
    )
    response = client.patch(f"/api/v1/questions/{qid}", json={"stem": "改"}, headers=editor)
    assert response.status_code == 409
    assert client.get(f"/api/v1/questions/{qid}/versions/1", headers=editor).status_code == 200


def test_bulk_operations_and_filters(client: FlaskClient, editor: dict, bank: int) -> None:
    ids = [
        add(client, editor, bank, single(stem=f"第 {n} 题：电压？")).get_json()["id"]
        for n in range(4)
    ]

    def bulk(action: str, value: Any = None, selection: list[int] = ids) -> Any:
        return client.post(
            f"/api/v1/banks/{bank}/questions/bulk",
            json={"ids": selection, "action": action, "value": value},
            headers=editor,
        ).get_json()

    assert bulk("publish", selection=ids[:2]) == {"action": "publish", "selected": 2, "changed": 2}
    assert bulk("set_difficulty", 5, ids[1:3])["changed"] == 2
    assert bulk("add_tags", ["重点", "基础"])["changed"] == 4
    assert bulk("remove_knowledge_points", ["电压等级"], ids[:1])["changed"] == 1
    assert bulk("add_knowledge_points", ["倒闸"], ids[3:])["changed"] == 1

    def listed(query: str) -> list[int]:
        page = client.get(f"/api/v1/banks/{bank}/questions?{query}", headers=editor).get_json()
        return sorted(item["id"] for item in page["items"])

    assert listed("status=published") == ids[:2]
    assert listed("difficulty=5") == ids[1:3]
    assert listed("tag=重点") == ids
    assert listed("knowledge_point=电压等级") == ids[1:4]
    assert listed("knowledge_point=倒闸") == ids[3:]
    assert listed("text=第 2 题") == [ids[2]]
    assert listed("type=true_false") == []
    bad = client.post(
        f"/api/v1/banks/{bank}/questions/bulk",
        json={"ids": ids, "action": "set_difficulty", "value": 9},
        headers=editor,
    )
    assert bad.status_code == 422


def test_exact_duplicates_are_refused_near_ones_reported(
    client: FlaskClient, editor: dict, bank: int
) -> None:
    first = add(client, editor, bank, single(stem="变压器的主要作用是什么？")).get_json()
    # Full-width, spaces, punctuation and Traditional script are folded: the same question.
    same = add(client, editor, bank, single(stem="變壓器的 主要作用是什麼?"))
    assert same.status_code == 409
    assert same.get_json()["error"]["details"] == {"duplicate_of": first["id"]}
    near = add(client, editor, bank, single(stem="变压器的主要作用都有什么？"))
    assert near.status_code == 201
    assert near.get_json()["near_duplicates"][0]["question_id"] == first["id"]
    assert near.get_json()["near_duplicates"][0]["score"] >= 90


def test_who_may_edit_banks(
    client: FlaskClient,
    editor: dict,
    bank: int,
    login_as: Callable[..., dict],
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    login: Callable[[User], dict],
) -> None:
    qid = add(client, editor, bank, single()).get_json()["id"]
    learner = login_as(Role.LEARNER)
    for method, path in (
        ("get", f"/api/v1/banks/{bank}/questions"),
        ("get", f"/api/v1/questions/{qid}"),
        ("get", f"/api/v1/questions/{qid}/versions/1"),
    ):
        response = getattr(client, method)(path, headers=learner)
        assert response.status_code == 403
        assert "answer" not in response.get_data(as_text=True)
    instructor = make_user(Role.INSTRUCTOR)
    assert client.get(f"/api/v1/questions/{qid}", headers=login(instructor)).status_code == 403
    # Named as an editor of the bank, the instructor may.
    client.patch(f"/api/v1/banks/{bank}", json={"editor_ids": [instructor.id]}, headers=editor)
    assert client.get(f"/api/v1/questions/{qid}", headers=login(instructor)).status_code == 200
    outsider = login_as(Role.EDITOR, organisation=make_org(code="other-org"))
    assert client.get(f"/api/v1/questions/{qid}", headers=outsider).status_code == 404
    assert client.post("/api/v1/banks", json={"name": "x"}, headers=learner).status_code == 403


def test_practice_snapshot_versions_follow_the_content(
    app: Flask, client: FlaskClient, editor: dict, bank: int, login_as: Callable[..., dict]
) -> None:
    practice = add(client, editor, bank, single(stem="练习题：电压？")).get_json()["id"]
    exam_only = add(client, editor, bank, single(stem="考试题：电压？", usage="exam")).get_json()[
        "id"
    ]
    draft = add(client, editor, bank, single(stem="草稿题：电压？")).get_json()["id"]
    # Nothing published yet: a practice pack of nothing is refused, and names why.
    empty = client.post(f"/api/v1/banks/{bank}/publish", headers=editor)
    assert empty.status_code == 422
    assert empty.get_json()["error"]["code"] == "nothing_to_publish"
    client.post(
        f"/api/v1/banks/{bank}/questions/bulk",
        json={"ids": [practice, exam_only], "action": "publish"},
        headers=editor,
    )
    learner = login_as(Role.LEARNER)
    assert client.get(f"/api/v1/banks/{bank}/snapshot", headers=learner).status_code == 409
    published = client.post(f"/api/v1/banks/{bank}/publish", headers=editor).get_json()
    assert published["snapshot"]["version"] == 1
    first = client.get(f"/api/v1/banks/{bank}/snapshot", headers=learner)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag == f'"{first.get_json()["etag"]}"'  # the body names the header's ETag
    # its download URL expires: the browser must not answer from its cache with an old one
    assert first.headers["Cache-Control"] == "no-store"
    body = call_url(app, "GET", first.get_json()["url"]).body
    document = json.loads(gzip.decompress(body))
    assert [q["id"] for q in document["questions"]] == [practice]  # no exam-only, no draft
    assert document["questions"][0]["answer"] == {"correct": ["B"]}  # practice shows answers
    assert document["questions"][0]["explanation"] == "中压配电网"
    # Nothing changed: publishing again keeps the version; the phone gets a 304.
    client.post(f"/api/v1/banks/{bank}/publish", headers=editor)
    again = client.get(f"/api/v1/banks/{bank}/snapshot", headers={**learner, "If-None-Match": etag})
    assert again.status_code == 304
    # a proxy that compressed the answer made the ETag weak: HTTP compares it weakly for GET
    weak = client.get(
        f"/api/v1/banks/{bank}/snapshot", headers={**learner, "If-None-Match": f"W/{etag}"}
    )
    assert weak.status_code == 304
    # A change to a practice question makes version 2 and a new ETag.
    client.patch(
        f"/api/v1/questions/{practice}", json={"explanation": "更新的解析"}, headers=editor
    )
    assert (
        client.post(f"/api/v1/banks/{bank}/publish", headers=editor).get_json()["snapshot"][
            "version"
        ]
        == 2
    )
    newer = client.get(f"/api/v1/banks/{bank}/snapshot", headers={**learner, "If-None-Match": etag})
    assert newer.status_code == 200
    assert newer.get_json()["version"] == 2
    assert newer.headers["ETag"] != etag
    assert draft


def test_stem_images_are_uploaded_to_storage_and_checked(
    app: Flask, client: FlaskClient, editor: dict, bank: int
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 60
    plan = client.post(
        f"/api/v1/banks/{bank}/images",
        json={"content_type": "image/png", "size": len(png)},
        headers=editor,
    ).get_json()
    assert call_url(app, "PUT", plan["url"], png).status == 200
    created = add(client, editor, bank, single(stem="看图选择", stem_images=[plan["key"]]))
    assert created.status_code == 201
    assert created.get_json()["stem_images"] == [plan["key"]]
    foreign = add(client, editor, bank, single(stem="别处的图", stem_images=["courses/1/cover-x"]))
    assert foreign.status_code == 422
    assert "stem_images" in foreign.get_json()["error"]["details"]["json"]
    missing = add(
        client, editor, bank, single(stem="没传的图", stem_images=[f"banks/{bank}/images/nothing"])
    )
    assert missing.status_code == 422
    refused = client.post(
        f"/api/v1/banks/{bank}/images",
        json={"content_type": "application/pdf", "size": 100},
        headers=editor,
    )
    assert refused.status_code == 415


@pytest.mark.parametrize(
    ("action", "value"),
    [("set_usage", ["exam"]), ("set_usage", 1), ("set_difficulty", "3"), ("add_tags", [1])],
)
def test_bulk_values_of_the_wrong_kind_are_422(
    client: FlaskClient, editor: dict, bank: int, action: str, value: Any
) -> None:
    """set_usage with a list gave a 500 (unhashable)."""
    qid = add(client, editor, bank, single()).get_json()["id"]
    reply = client.post(
        f"/api/v1/banks/{bank}/questions/bulk",
        json={"ids": [qid], "action": action, "value": value},
        headers=editor,
    )
    assert reply.status_code == 422


@pytest.mark.parametrize("tolerance", [1e308, -1, True])
def test_tolerances_beyond_reason_are_refused(
    client: FlaskClient, editor: dict, bank: int, tolerance: Any
) -> None:
    body = {
        "type": "fill_blank",
        "stem": "额定电压为____千伏。",
        "answer": {"blanks": [{"accepted": ["10"], "tolerance": tolerance}]},
    }
    assert add(client, editor, bank, body).status_code == 422
