"""Course publishing service: what is missing, release N and its document, its microlectures."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from catalog.accounts.models import Organisation, Role, User
from catalog.courses import authoring, publishing
from catalog.courses.models import Course, CourseRelease, CourseStatus
from catalog.database import db
from catalog.errors import Conflict, Invalid, PermissionDenied
from catalog.lectures import authoring as lecture_authoring
from catalog.lectures.models import Microlecture
from catalog.runtime import runtime


@pytest.fixture
def people(make_org: Callable[..., Organisation], make_user: Callable[..., User]) -> Any:
    org = make_org(code="grid-co")
    return SimpleNamespace(
        instructor=make_user(Role.INSTRUCTOR, organisation=org),
        editor=make_user(Role.EDITOR, organisation=org),
    )


def releases_of(course_id: int) -> list[CourseRelease]:
    query = select(CourseRelease).where(CourseRelease.course_id == course_id)
    return list(db.session.scalars(query.order_by(CourseRelease.version)))


@pytest.fixture
def course(people: Any, make_industry: Callable[..., Any], make_lecture: Callable[..., Any]) -> int:
    """A complete draft: two chapters, three ready microlectures (one optional)."""
    make_industry("power", "电力")
    created = authoring.create(
        people.instructor,
        {
            "code": "DW-001",
            "title": "配电网运维基础",
            "summary": "面向一线运维人员",
            "objectives": ["掌握配电网结构"],
            "industry": "power",
            "skill_level": 4,
            "class_hours": 12,
            "credits": 1.5,
            "tags": ["配电"],
        },
    )
    one, two, three = (make_lecture(people.instructor, title=t) for t in ("一", "二", "三"))
    authoring.set_chapters(
        people.instructor,
        created.id,
        [
            {
                "title": "第一章",
                "items": [
                    {"microlecture_id": one.id, "required": True},
                    {"microlecture_id": two.id, "required": False},
                ],
            },
            {"title": "第二章", "items": [{"microlecture_id": three.id, "required": True}]},
        ],
    )
    return int(created.id)


def test_publish_refuses_an_incomplete_course_naming_what_is_missing(
    people: Any, make_lecture: Callable[..., Any]
) -> None:
    bare = authoring.create(people.instructor, {"code": "EMPTY-1", "title": "空课程"})
    pending = make_lecture(people.instructor, title="还在转码", ready=False)
    authoring.set_chapters(
        people.instructor,
        bare.id,
        [
            {"title": "第一章", "items": [{"microlecture_id": pending.id, "required": True}]},
            {"title": "空章", "items": []},
        ],
    )
    with pytest.raises(Invalid) as refused:
        publishing.publish(people.editor, bare.id)
    assert refused.value.code == "incomplete"
    missing = refused.value.details["missing"]
    assert set(missing) == {
        "summary",
        "objectives",
        "industry",
        "skill_level",
        "class_hours",
        "empty_chapters",
        "microlectures",
    }
    assert "空章" in missing["empty_chapters"]
    assert f"{pending.id} 还在转码" in missing["microlectures"]
    assert releases_of(bare.id) == []
    unchanged = db.session.get(Course, bare.id)
    assert unchanged is not None
    assert (unchanged.status, unchanged.published_version) == (CourseStatus.DRAFT, None)
    assert not db.session.get(Microlecture, pending.id).is_published
    no_chapters = authoring.create(people.instructor, {"code": "EMPTY-2", "title": "无章节"})
    assert "chapters" in publishing.missing_for_publication(no_chapters)


def test_publishing_writes_release_n_and_its_document_once_per_edit(
    people: Any, course: int
) -> None:
    published = publishing.publish(people.editor, course)
    assert (published.status, published.published_version) == (CourseStatus.PUBLISHED, 1)
    [release] = releases_of(course)
    assert (release.version, release.code, release.title) == (1, "DW-001", "配电网运维基础")
    assert (release.lecture_count, release.duration_seconds) == (3, 1260)
    assert release.published_by_id == people.editor.id
    assert release.tags == ["配电"]
    assert release.document_key == f"courses/{course}/v1.json"
    with runtime().object_store.get(release.document_key) as body:
        stored = json.loads(body.read())
    assert stored == release.document
    assert [c["title"] for c in stored["chapters"]] == ["第一章", "第二章"]
    assert [m["required"] for m in stored["chapters"][0]["microlectures"]] == [True, False]
    assert publishing.publish(people.editor, course).published_version == 1  # nothing new
    assert len(releases_of(course)) == 1
    authoring.update(people.instructor, course, {"summary": "第二版简介"})
    assert publishing.publish(people.editor, course).published_version == 2
    assert [(r.version, r.summary, r.document_key) for r in releases_of(course)] == [
        (1, "面向一线运维人员", f"courses/{course}/v1.json"),
        (2, "第二版简介", f"courses/{course}/v2.json"),
    ]


def test_publishing_a_course_publishes_its_microlectures(
    people: Any, course: int, make_lecture: Callable[..., Any]
) -> None:
    found = db.session.get(Course, course)
    assert found is not None
    lectures = [item.microlecture for ch in found.chapters for item in ch.items]
    earlier = lecture_authoring.publish(people.editor, lectures[0].id)  # on its own, before
    first_published_at = earlier.published_at
    spare = make_lecture(people.instructor, title="不在课程里")
    publishing.publish(people.editor, course)
    [release] = releases_of(course)
    for lecture in lectures[1:]:
        db.session.refresh(lecture)
        assert lecture.is_published and lecture.published_at == release.published_at
    db.session.refresh(earlier)
    assert earlier.is_published and earlier.published_at == first_published_at
    db.session.refresh(spare)
    assert not spare.is_published


def test_only_reviewers_publish_and_never_an_archived_course(people: Any, course: int) -> None:
    with pytest.raises(PermissionDenied):
        publishing.publish(people.instructor, course)
    assert releases_of(course) == []
    authoring.archive(people.editor, course)
    with pytest.raises(Conflict) as archived:
        publishing.publish(people.editor, course)
    assert archived.value.code == "archived"
    assert releases_of(course) == []
