"""Courses: authoring, review, publication with versions, the catalogue, enrolment, assignment."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from catalog.accounts.models import Organisation, Role, User
from catalog.courses.models import CourseRelease
from catalog.database import db
from catalog.runtime import runtime

AUTHORING = "/api/v1/authoring/courses"


@pytest.fixture
def org(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org(code="grid-co", name="示范电网公司")


@pytest.fixture
def people(make_user: Callable[..., User], login: Callable[[User], dict], org: Organisation) -> Any:
    class People:
        instructor = make_user(Role.INSTRUCTOR, organisation=org)
        editor = make_user(Role.EDITOR, organisation=org)
        admin = make_user(Role.ADMIN, organisation=org)
        learner = make_user(Role.LEARNER, organisation=org)

    for role in ("instructor", "editor", "admin", "learner"):
        setattr(People, f"{role}_h", login(getattr(People, role)))
    return People


def course_body(**changes: Any) -> dict[str, Any]:
    body = {
        "code": "DW-001",
        "title": "配电网运维基础",
        "summary": "面向一线运维人员的配电网基础课程",
        "objectives": ["掌握配电网结构", "能够完成倒闸操作"],
        "industry": "power",
        "occupation": "6-31-01-03",
        "skill_level": 4,
        "class_hours": 12,
        "credits": 1.5,
        "tags": ["配电", "安全"],
    }
    body.update(changes)
    return body


@pytest.fixture
def ready_course(
    client: FlaskClient, people: Any, make_industry: Callable, make_lecture: Callable
) -> int:
    """A complete draft course with two chapters of ready microlectures."""
    make_industry("power", "电力", occupation="6-31-01-03")
    created = client.post(AUTHORING, json=course_body(), headers=people.instructor_h)
    assert created.status_code == 201, created.get_json()
    course_id = created.get_json()["id"]
    first, second, third = (make_lecture(people.instructor, title=t) for t in ("一", "二", "三"))
    chapters = [
        {
            "title": "第一章 配电网结构",
            "items": [
                {"microlecture_id": first.id},
                {"microlecture_id": second.id, "required": False},
            ],
        },
        {"title": "第二章 倒闸操作", "items": [{"microlecture_id": third.id}]},
    ]
    response = client.put(
        f"{AUTHORING}/{course_id}/chapters",
        json={"chapters": chapters},
        headers=people.instructor_h,
    )
    assert response.status_code == 200, response.get_json()
    return int(course_id)


def publish(client: FlaskClient, headers: dict, course_id: int) -> Any:
    return client.post(f"{AUTHORING}/{course_id}/publish", headers=headers)


def test_create_validates_and_refers_by_code(
    client: FlaskClient, people: Any, make_industry: Callable
) -> None:
    make_industry("power")
    bad = client.post(
        AUTHORING,
        json=course_body(industry="mining", skill_level=9, code="x"),
        headers=people.instructor_h,
    )
    assert bad.status_code == 422
    fields = bad.get_json()["error"]["details"]["json"]
    assert {"skill_level", "code"} <= set(fields)
    unknown = client.post(
        AUTHORING, json=course_body(industry="mining", occupation=None), headers=people.instructor_h
    )
    assert unknown.status_code == 422
    assert "industry" in unknown.get_json()["error"]["details"]["json"]
    ok = client.post(AUTHORING, json=course_body(occupation=None), headers=people.instructor_h)
    assert ok.status_code == 201
    assert ok.get_json()["status"] == "draft"
    assert ok.get_json()["provider"]["code"] == "grid-co"
    again = client.post(AUTHORING, json=course_body(occupation=None), headers=people.instructor_h)
    assert again.status_code == 409


def test_publishing_an_incomplete_course_lists_what_is_missing(
    client: FlaskClient, people: Any, make_lecture: Callable
) -> None:
    created = client.post(
        AUTHORING, json={"code": "EMPTY-1", "title": "空课程"}, headers=people.instructor_h
    ).get_json()
    pending = make_lecture(people.instructor, title="还在转码", ready=False)
    client.put(
        f"{AUTHORING}/{created['id']}/chapters",
        json={
            "chapters": [
                {"title": "第一章", "items": [{"microlecture_id": pending.id}]},
                {"title": "第二章", "items": []},
            ]
        },
        headers=people.instructor_h,
    )
    response = publish(client, people.editor_h, created["id"])
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "incomplete"
    missing = error["details"]["missing"]
    assert {
        "summary",
        "objectives",
        "industry",
        "skill_level",
        "class_hours",
        "empty_chapters",
        "microlectures",
    } <= set(missing)
    assert "还在转码" in missing["microlectures"]


def test_review_and_publish_writes_a_versioned_document(
    client: FlaskClient, people: Any, ready_course: int
) -> None:
    assert (
        client.post(f"{AUTHORING}/{ready_course}/submit", headers=people.instructor_h).get_json()[
            "status"
        ]
        == "in_review"
    )
    # The instructor cannot publish; the organisation's editor can.
    assert publish(client, people.instructor_h, ready_course).status_code == 403
    published = publish(client, people.editor_h, ready_course)
    assert published.status_code == 200, published.get_json()
    assert published.get_json()["status"] == "published"
    assert published.get_json()["published_version"] == 1
    release = db.session.scalars(db.select(CourseRelease)).one()
    with runtime().object_store.get(release.document_key) as body:
        document = json.loads(body.read())
    assert document["version"] == 1
    assert [c["title"] for c in document["chapters"]] == ["第一章 配电网结构", "第二章 倒闸操作"]
    assert [m["required"] for m in document["chapters"][0]["microlectures"]] == [True, False]
    assert document["lecture_count"] == 3
    assert document["duration_seconds"] == 1260
    # Its microlectures were published with it.
    lecture_id = document["chapters"][0]["microlectures"][0]["id"]
    assert (
        client.get(f"/api/v1/microlectures/{lecture_id}", headers=people.learner_h).status_code
        == 200
    )


def test_learners_keep_the_published_version_while_a_new_draft_is_edited(
    client: FlaskClient, people: Any, ready_course: int
) -> None:
    publish(client, people.editor_h, ready_course)
    edited = client.patch(
        f"{AUTHORING}/{ready_course}",
        json={"title": "配电网运维基础（第二版）"},
        headers=people.instructor_h,
    )
    assert edited.get_json()["status"] == "draft"
    assert edited.get_json()["published_version"] == 1
    seen = client.get(f"/api/v1/courses/{ready_course}", headers=people.learner_h).get_json()
    assert seen["title"] == "配电网运维基础"
    assert seen["version"] == 1
    publish(client, people.editor_h, ready_course)
    seen = client.get(f"/api/v1/courses/{ready_course}", headers=people.learner_h).get_json()
    assert seen["title"] == "配电网运维基础（第二版）"
    assert seen["version"] == 2
    assert len(db.session.scalars(db.select(CourseRelease)).all()) == 2


def test_learners_never_see_drafts(client: FlaskClient, people: Any, ready_course: int) -> None:
    assert (
        client.get(f"/api/v1/courses/{ready_course}", headers=people.learner_h).status_code == 404
    )
    listed = client.get("/api/v1/courses", headers=people.learner_h).get_json()
    assert listed["items"] == []
    assert client.get(f"{AUTHORING}/{ready_course}", headers=people.learner_h).status_code == 403
    assert client.get(AUTHORING, headers=people.learner_h).status_code == 403


def test_authoring_permissions(
    client: FlaskClient,
    people: Any,
    ready_course: int,
    login_as: Callable[..., dict],
    make_org: Callable[..., Organisation],
) -> None:
    colleague = login_as(
        Role.INSTRUCTOR,
        organisation=db.session.get(Organisation, people.instructor.organisation_id),
    )
    assert (
        client.patch(
            f"{AUTHORING}/{ready_course}", json={"title": "改"}, headers=colleague
        ).status_code
        == 403
    )
    outsider_org = make_org(code="other-grid")
    outsider_editor = login_as(Role.EDITOR, organisation=outsider_org)
    assert client.get(f"{AUTHORING}/{ready_course}", headers=outsider_editor).status_code == 404
    assert publish(client, outsider_editor, ready_course).status_code == 404
    # The organisation's admin edits and reviews; a platform admin anywhere.
    assert (
        client.patch(
            f"{AUTHORING}/{ready_course}", json={"credits": 2}, headers=people.admin_h
        ).status_code
        == 200
    )
    assert publish(client, login_as(Role.PLATFORM_ADMIN), ready_course).status_code == 200
    # Instructors list their own courses; editors the organisation's.
    mine = client.get(AUTHORING, headers=colleague).get_json()["items"]
    assert mine == []
    assert len(client.get(AUTHORING, headers=people.editor_h).get_json()["items"]) == 1


def test_return_to_draft_with_a_note(client: FlaskClient, people: Any, ready_course: int) -> None:
    client.post(f"{AUTHORING}/{ready_course}/submit", headers=people.instructor_h)
    returned = client.post(
        f"{AUTHORING}/{ready_course}/return",
        json={"note": "请补充第二章的安全注意事项"},
        headers=people.editor_h,
    )
    assert returned.get_json()["status"] == "draft"
    assert returned.get_json()["review_note"] == "请补充第二章的安全注意事项"


def test_archived_courses_leave_the_catalogue(
    client: FlaskClient, people: Any, ready_course: int
) -> None:
    publish(client, people.editor_h, ready_course)
    assert len(client.get("/api/v1/courses", headers=people.learner_h).get_json()["items"]) == 1
    client.post(f"{AUTHORING}/{ready_course}/archive", headers=people.editor_h)
    assert client.get("/api/v1/courses", headers=people.learner_h).get_json()["items"] == []
    edit = client.patch(
        f"{AUTHORING}/{ready_course}", json={"title": "x"}, headers=people.instructor_h
    )
    assert edit.status_code == 409


def _publish_many(
    client: FlaskClient, people: Any, make_industry: Callable, make_lecture: Callable, count: int
) -> list[int]:
    make_industry("power", "电力", occupation="6-31-01-03")
    make_industry("gas", "燃气")
    lecture = make_lecture(people.instructor)
    ids = []
    for n in range(count):
        body = course_body(
            code=f"C-{n:03d}",
            title=f"课程{n:03d}",
            industry="power" if n % 2 else "gas",
            occupation=None,
            skill_level=3 + n % 3,
            class_hours=n + 1,
            tags=["安全"] if n % 3 == 0 else ["技能"],
        )
        course_id = client.post(AUTHORING, json=body, headers=people.instructor_h).get_json()["id"]
        client.put(
            f"{AUTHORING}/{course_id}/chapters",
            json={"chapters": [{"title": "一", "items": [{"microlecture_id": lecture.id}]}]},
            headers=people.instructor_h,
        )
        assert publish(client, people.editor_h, course_id).status_code == 200
        ids.append(course_id)
    return ids


def test_catalogue_filters_sorts_and_pages(
    client: FlaskClient, people: Any, make_industry: Callable, make_lecture: Callable
) -> None:
    _publish_many(client, people, make_industry, make_lecture, 12)
    h = people.learner_h

    def codes(query: str) -> list[str]:
        return [
            c["code"] for c in client.get(f"/api/v1/courses?{query}", headers=h).get_json()["items"]
        ]

    assert codes("industry=power&level=4&limit=100") == ["C-007", "C-001"]
    assert codes("tag=安全&sort=title") == ["C-000", "C-003", "C-006", "C-009"]
    assert codes("provider=grid-co&sort=-class_hours&limit=3") == ["C-011", "C-010", "C-009"]
    assert codes("provider=nobody") == []
    seen: list[str] = []
    cursor = ""
    while True:
        page = client.get(f"/api/v1/courses?sort=title&limit=5{cursor}", headers=h).get_json()
        seen += [c["code"] for c in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert seen == [f"C-{n:03d}" for n in range(12)]
    item = client.get("/api/v1/courses?limit=1", headers=h).get_json()["items"][0]
    assert set(item) >= {
        "id",
        "code",
        "title",
        "industry",
        "skill_level",
        "class_hours",
        "credits",
        "tags",
        "provider",
        "lecture_count",
        "cover_url",
        "published_at",
    }
    assert "chapters" not in item and "summary" not in item  # compact list items
    bad = client.get("/api/v1/courses?cursor=not-a-cursor", headers=h)
    assert bad.status_code == 422


def test_etag_gives_304_and_responses_are_compressed(
    client: FlaskClient, people: Any, make_industry: Callable, make_lecture: Callable
) -> None:
    _publish_many(client, people, make_industry, make_lecture, 6)
    first = client.get("/api/v1/courses", headers=people.learner_h)
    etag = first.headers["ETag"]
    again = client.get("/api/v1/courses", headers={**people.learner_h, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    zipped = client.get("/api/v1/courses", headers={**people.learner_h, "Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.get_data())) == first.get_json()


def test_enrolment_is_idempotent(client: FlaskClient, people: Any, ready_course: int) -> None:
    path = f"/api/v1/me/courses/{ready_course}"
    assert client.put(path, headers=people.learner_h).status_code == 404  # not published yet
    publish(client, people.editor_h, ready_course)
    first = client.put(path, headers=people.learner_h)
    second = client.put(path, headers=people.learner_h)
    assert first.status_code == second.status_code == 200
    assert first.get_json() == second.get_json()
    mine = client.get("/api/v1/me/courses", headers=people.learner_h).get_json()["items"]
    assert [(m["course"]["id"], m["assigned"], m["required"]) for m in mine] == [
        (ready_course, False, False)
    ]
    assert client.delete(path, headers=people.learner_h).status_code == 204
    assert client.get("/api/v1/me/courses", headers=people.learner_h).get_json()["items"] == []


def test_admins_assign_required_courses_with_due_dates(
    client: FlaskClient,
    people: Any,
    ready_course: int,
    make_user: Callable,
    make_org: Callable[..., Organisation],
) -> None:
    publish(client, people.editor_h, ready_course)
    path = f"/api/v1/courses/{ready_course}/assignments"
    assert client.post(path, json={}, headers=people.learner_h).status_code == 403
    everyone = client.post(path, json={"due_date": "2026-12-31"}, headers=people.admin_h)
    assert everyone.status_code == 201
    assert everyone.get_json()[0]["user_id"] is None
    mine = client.get("/api/v1/me/courses", headers=people.learner_h).get_json()["items"]
    assert mine[0]["assigned"] is True
    assert mine[0]["required"] is True
    assert mine[0]["due_date"] == "2026-12-31"
    outsider = make_user(Role.LEARNER, organisation=make_org(code="gas-co"))
    refused = client.post(path, json={"user_ids": [outsider.id]}, headers=people.admin_h)
    assert refused.status_code == 422
    # The outsider's organisation did not assign it: they see nothing.
    # Assigning again updates rather than duplicates.
    client.post(path, json={"due_date": "2027-01-15"}, headers=people.admin_h)
    listed = client.get(path, headers=people.admin_h).get_json()
    assert [(a["user_id"], a["due_date"]) for a in listed] == [(None, "2027-01-15")]
    assert (
        client.delete(f"/api/v1/assignments/{listed[0]['id']}", headers=people.admin_h).status_code
        == 204
    )


def test_cover_upload_checks_the_image(
    client: FlaskClient, people: Any, ready_course: int, app: Any
) -> None:
    from tests.support.presigned import call_url

    plan = client.post(
        f"{AUTHORING}/{ready_course}/cover/upload",
        json={"content_type": "image/png", "size": 16},
        headers=people.instructor_h,
    )
    assert plan.status_code == 201
    fake = b"GIF89a not a png"
    call_url(app, "PUT", plan.get_json()["url"], fake)
    refused = client.put(
        f"{AUTHORING}/{ready_course}/cover",
        json={"key": plan.get_json()["key"]},
        headers=people.instructor_h,
    )
    assert refused.status_code == 415
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 100
    plan = client.post(
        f"{AUTHORING}/{ready_course}/cover/upload",
        json={"content_type": "image/png", "size": len(png)},
        headers=people.instructor_h,
    ).get_json()
    call_url(app, "PUT", plan["url"], png)
    accepted = client.put(
        f"{AUTHORING}/{ready_course}/cover", json={"key": plan["key"]}, headers=people.instructor_h
    )
    assert accepted.status_code == 200
    assert accepted.get_json()["has_cover"] is True
    publish(client, people.editor_h, ready_course)
    item = client.get("/api/v1/courses", headers=people.learner_h).get_json()["items"][0]
    redirect = client.get(item["cover_url"])
    assert redirect.status_code == 302
    assert call_url(app, "GET", redirect.headers["Location"]).body == png
