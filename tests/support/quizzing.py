"""Quizzes through the API: a bank of published questions, templates, sessions and answers."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse


def build_bank(
    client: FlaskClient, editor: dict[str, str], name: str = "安全题库"
) -> dict[str, Any]:
    """Six single-choice questions (B, 断开电源, is right) and one multiple choice, published."""
    bank = client.post("/api/v1/banks", json={"name": name}, headers=editor).get_json()["id"]
    ids: list[int] = []
    for n in range(6):
        body = {
            "type": "single_choice",
            "stem": f"{name}第{n}题：停电检修时首先？",
            "options": [
                {"label": "A", "text": "验电"},
                {"label": "B", "text": "断开电源"},
                {"label": "C", "text": "挂接地线"},
            ],
            "answer": {"correct": ["B"]},
            "explanation": f"解析{n}",
            "difficulty": 2,
            "knowledge_points": ["停电作业"],
        }
        created = client.post(f"/api/v1/banks/{bank}/questions", json=body, headers=editor)
        ids.append(created.get_json()["id"])
    multi = client.post(
        f"/api/v1/banks/{bank}/questions",
        headers=editor,
        json={
            "type": "multiple_choice",
            "stem": f"{name}：哪些是安全工器具？",
            "options": [
                {"label": "A", "text": "绝缘手套"},
                {"label": "B", "text": "验电器"},
                {"label": "C", "text": "扳手"},
            ],
            "answer": {"correct": ["A", "B"]},
            "knowledge_points": ["工器具"],
        },
    ).get_json()["id"]
    client.post(
        f"/api/v1/banks/{bank}/questions/bulk",
        headers=editor,
        json={"ids": [*ids, multi], "action": "publish"},
    )
    return {"bank": bank, "ids": ids, "multi": multi}


def template(client: FlaskClient, s: dict[str, Any], **options: Any) -> TestResponse:
    body = {
        "title": "停电作业测试",
        "mode": "practice",
        "sections": [
            {"points": 2, "count": 3, "bank_ids": [s["bank"]], "types": ["single_choice"]}
        ],
    }
    body.update(options)
    return client.post("/api/v1/quiz-templates", json=body, headers=s["editor"])


def start(
    client: FlaskClient, s: dict[str, Any], template_id: int, who: str = "learner"
) -> TestResponse:
    return client.post(f"/api/v1/quiz-templates/{template_id}/sessions", headers=s[who])


def answer(
    client: FlaskClient,
    s: dict[str, Any],
    session: str,
    position: int,
    selected: list[str],
    client_id: str,
    who: str = "learner",
) -> TestResponse:
    return client.put(
        f"/api/v1/quiz-sessions/{session}/answers/{position}",
        json={"response": {"selected": selected}, "client_answer_id": client_id},
        headers=s[who],
    )


def label_of(item: dict[str, Any], text: str) -> str:
    label: str = next(o["label"] for o in item["options"] if o["text"] == text)
    return label


def answer_all(
    client: FlaskClient,
    s: dict[str, Any],
    session: dict[str, Any],
    right: bool,
    who: str = "learner",
) -> None:
    """Answer every question of a session on this bank, all right or all wrong."""
    for item in session["items"]:
        if item["type"] == "multiple_choice":
            texts = ["绝缘手套", "验电器"] if right else ["扳手"]
        else:
            texts = ["断开电源" if right else "验电"]
        choice = [label_of(item, text) for text in texts]
        client_id = f"{session['id']}-{item['position']}"
        answer(client, s, session["id"], item["position"], choice, client_id, who)


def enter_contest(
    client: FlaskClient, contest_id: int, headers: dict[str, str], right: int
) -> None:
    """Enter a contest of this bank, answer its first ``right`` questions right and submit."""
    body = client.post(f"/api/v1/quiz-templates/{contest_id}/sessions", headers=headers).get_json()
    for item in body["items"][:right]:
        client.put(
            f"/api/v1/quiz-sessions/{body['id']}/answers/{item['position']}",
            json={"response": {"selected": [label_of(item, "断开电源")]}, "client_answer_id": "a"},
            headers=headers,
        )
    client.post(f"/api/v1/quiz-sessions/{body['id']}/submit", headers=headers)
