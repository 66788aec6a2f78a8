"""The search API end to end: published content for learners, questions for their editors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalog.accounts.models import Organisation, Role, User
from catalog.courses import authoring, publishing
from catalog.database import db
from catalog.lectures.models import Microlecture


@pytest.fixture
def catalogue(
    make_user: Callable[..., User],
    make_industry: Callable,
    make_lecture: Callable,
    make_org: Callable[..., Organisation],
) -> dict[str, Any]:
    org = make_org(code="grid", name="示范电网")
    instructor = make_user(Role.INSTRUCTOR, organisation=org)
    editor = make_user(Role.EDITOR, organisation=org)
    make_industry("power", "电力")
    make_industry("gas", "燃气")
    made = {}
    for code, title, industry, level in (
        ("P1", "配电网运维与倒闸操作", "power", 4),
        ("P2", "变电站值班员培训", "power", 3),
        ("G1", "城镇燃气管网巡检", "gas", 5),
    ):
        lecture = make_lecture(instructor, title=f"{title}·第一讲")
        lecture.transcript_text = f"本讲介绍{title}的要点，注意安全。"
        db.session.commit()
        course = authoring.create(
            instructor,
            {
                "code": code,
                "title": title,
                "summary": f"{title}课程简介",
                "objectives": ["掌握要点"],
                "industry": industry,
                "skill_level": level,
                "class_hours": 4,
                "tags": ["安全"],
            },
        )
        authoring.set_chapters(
            instructor,
            course.id,
            [{"title": "第一章", "items": [{"microlecture_id": lecture.id, "required": True}]}],
        )
        publishing.publish(editor, course.id)
        made[code] = course.id
    draft = authoring.create(instructor, {"code": "D1", "title": "配电网草稿课程"})
    made["draft"] = draft.id
    return made


def search(client: FlaskClient, headers: dict, query: str) -> Any:
    response = client.get(f"/api/v1/search?{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_learners_find_published_courses_only(
    client: FlaskClient, catalogue: dict, login_as: Callable[..., dict]
) -> None:
    learner = login_as(Role.LEARNER)
    found = search(client, learner, "q=配电网")
    assert [h["id"] for h in found["hits"]] == [catalogue["P1"]]  # not the draft
    assert found["hits"][0]["highlights"]["title"].startswith("<em>配电网</em>")
    for query in ("q=配電網", "q=peidianwang", "q=pdw"):
        assert [h["id"] for h in search(client, learner, query)["hits"]] == [catalogue["P1"]]
    power = search(client, learner, "q=培训&industry=power&facets=industry,level")
    assert [h["id"] for h in power["hits"]] == [catalogue["P2"]]
    everything = search(client, learner, "facets=industry")
    assert everything["facets"]["industry"] == {"power": 2, "gas": 1}
    assert everything["estimated_total"] == 3


def test_microlectures_are_found_by_their_transcript(
    client: FlaskClient, catalogue: dict, login_as: Callable[..., dict]
) -> None:
    learner = login_as(Role.LEARNER)
    found = search(client, learner, "type=microlecture&q=要点")
    assert len(found["hits"]) == 3
    assert all("transcript" not in h for h in found["hits"])  # searched, not sent
    assert "<em>要点</em>" in found["hits"][0]["highlights"]["transcript"]


def test_unpublishing_removes_from_search(
    client: FlaskClient, catalogue: dict, login_as: Callable[..., dict]
) -> None:
    learner = login_as(Role.LEARNER)
    lecture = db.session.scalars(db.select(Microlecture)).first()
    lecture.is_published = False
    db.session.commit()
    found = search(client, learner, "type=microlecture&q=要点")
    assert lecture.id not in {h["id"] for h in found["hits"]}


def test_bad_facets_and_sorts_are_refused(
    client: FlaskClient, login_as: Callable[..., dict]
) -> None:
    learner = login_as(Role.LEARNER)
    assert client.get("/api/v1/search?facets=password", headers=learner).status_code == 400
    assert client.get("/api/v1/search?sort=secret", headers=learner).status_code == 422


def test_staff_search_questions_of_their_banks_only(
    client: FlaskClient, login_as: Callable[..., dict], make_org: Callable[..., Organisation]
) -> None:
    mine, other = login_as(Role.EDITOR), login_as(Role.EDITOR, organisation=make_org(code="o2"))
    for headers, stem in ((mine, "验电器使用前应先检查"), (other, "验电器的检验周期")):
        bank = client.post("/api/v1/banks", json={"name": "题库"}, headers=headers).get_json()["id"]
        client.post(
            f"/api/v1/banks/{bank}/questions",
            headers=headers,
            json={
                "type": "single_choice",
                "stem": stem,
                "options": [{"label": "A", "text": "外观"}, {"label": "B", "text": "颜色"}],
                "answer": {"correct": ["A"]},
                "explanation": "秘密解析",
            },
        )
    found = client.get("/api/v1/search/questions?q=验电器", headers=mine).get_json()
    assert [h["document"]["stem"] for h in found["hits"]] == ["验电器使用前应先检查"]
    text = str(found)
    assert "秘密解析" not in text and "correct" not in text  # no keys, no explanations
    assert (
        client.get("/api/v1/search/questions?q=验电器", headers=login_as(Role.LEARNER)).status_code
        == 403
    )


def test_synonyms_are_admin_editable(
    client: FlaskClient, catalogue: dict, login_as: Callable[..., dict]
) -> None:
    learner = login_as(Role.LEARNER)
    assert search(client, learner, "q=变电所")["hits"] == []
    body = {"groups": [["变电站", "变电所"]]}
    assert (
        client.put("/api/v1/search/synonyms", json=body, headers=login_as(Role.ADMIN)).status_code
        == 403
    )
    saved = client.put("/api/v1/search/synonyms", json=body, headers=login_as(Role.PLATFORM_ADMIN))
    assert saved.get_json() == body
    assert [h["id"] for h in search(client, learner, "q=变电所")["hits"]] == [catalogue["P2"]]


def test_reindex_and_status_commands(app: Flask, catalogue: dict) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    status = runner.invoke(args=["search", "status"])
    assert status.exit_code == 0
    assert "courses" in status.output and "pending" in status.output
    from catalog.indexing import services as search

    found = search.status()
    assert found["documents"]["courses"] == found["expected"]["courses"] == 3
    assert found["outbox"]["pending"] == 0


def test_an_empty_platform_answers_an_empty_result(
    client: FlaskClient, login_as: Callable[..., dict]
) -> None:
    learner = login_as(Role.LEARNER)
    found = client.get("/api/v1/search?q=配电", headers=learner)
    assert found.status_code == 200, found.get_json()
    assert found.get_json()["hits"] == [] and found.get_json()["estimated_total"] == 0


def test_a_lost_index_is_503_not_an_empty_result(
    app: Flask, client: FlaskClient, catalogue: dict, login_as: Callable[..., dict]
) -> None:
    learner = login_as(Role.LEARNER)
    assert client.get("/api/v1/search?q=配电", headers=learner).get_json()["hits"]
    # The index files are gone (a new disk, another engine) while the database holds courses:
    # an empty answer would tell learners there is nothing to learn.
    for index_file in app.extensions["jiangyun"].settings.search_path.glob("*.db"):
        index_file.unlink()
    lost = client.get("/api/v1/search?q=配电", headers=learner)
    assert lost.status_code == 503
    assert lost.get_json()["error"]["code"] == "search_unavailable"
    assert lost.get_json()["error"]["details"] == {"index": "courses"}
