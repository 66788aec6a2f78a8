"""The catalogue service: current releases, never drafts or archived courses; filters; covers."""

from __future__ import annotations

import io
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from catalog.accounts.models import Organisation, Role, User
from catalog.courses import authoring, catalogue, publishing
from catalog.courses.models import CourseRelease
from catalog.database import db
from catalog.errors import NotFound
from catalog.runtime import runtime
from catalog.uploads import staging_key

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 100


@pytest.fixture
def people(
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    make_industry: Callable[..., Any],
    make_lecture: Callable[..., Any],
) -> Any:
    make_industry("power", "电力", occupation="6-31-01-03")
    make_industry("gas", "燃气")
    org = make_org(code="grid-co")
    instructor = make_user(Role.INSTRUCTOR, organisation=org)
    return SimpleNamespace(
        instructor=instructor,
        editor=make_user(Role.EDITOR, organisation=org),
        lecture=make_lecture(instructor),
    )


def draft(people: Any, code: str, **changes: Any) -> int:
    data = {
        "code": code,
        "title": f"课程 {code}",
        "summary": "简介",
        "objectives": ["目标"],
        "industry": "power",
        "skill_level": 4,
        "class_hours": 2,
        "credits": 0.5,
        **changes,
    }
    course = authoring.create(people.instructor, data)
    items = [{"microlecture_id": people.lecture.id, "required": True}]
    authoring.set_chapters(people.instructor, course.id, [{"title": "一", "items": items}])
    return int(course.id)


def codes(query: Any) -> list[str]:
    return sorted(r.code for r in db.session.scalars(query))


def test_the_catalogue_returns_release_n_while_draft_n_plus_1_is_edited(people: Any) -> None:
    course = draft(people, "DW-001", title="第一版")
    publishing.publish(people.editor, course)
    authoring.update(people.instructor, course, {"title": "第二版", "skill_level": 5})
    current = catalogue.get_published(course)
    assert (current.version, current.title, current.skill_level) == (1, "第一版", 4)
    assert [(r.version, r.title) for r in db.session.scalars(catalogue.published_query())] == [
        (1, "第一版")
    ]
    assert codes(catalogue.published_query(level=5)) == []
    publishing.publish(people.editor, course)
    current = catalogue.get_published(course)
    assert (current.version, current.title) == (2, "第二版")
    assert [r.version for r in db.session.scalars(catalogue.published_query())] == [2]


def test_drafts_and_archived_courses_are_not_in_the_catalogue(people: Any) -> None:
    never = draft(people, "DW-001")
    with pytest.raises(NotFound):
        catalogue.get_published(never)
    archived = draft(people, "DW-002")
    publishing.publish(people.editor, archived)
    kept = draft(people, "DW-003")
    publishing.publish(people.editor, kept)
    assert codes(catalogue.published_query()) == ["DW-002", "DW-003"]
    authoring.archive(people.editor, archived)
    assert codes(catalogue.published_query()) == ["DW-003"]


def test_the_catalogue_filters_by_industry_occupation_level_tag_and_provider(
    people: Any, make_org: Callable[..., Organisation], make_user: Callable[..., User]
) -> None:
    other = make_org(code="gas-co")
    other_instructor = make_user(Role.INSTRUCTOR, organisation=other)
    other_people = SimpleNamespace(
        instructor=other_instructor,
        editor=make_user(Role.EDITOR, organisation=other),
        lecture=people.lecture,  # published with the first course below
    )
    for who, code, changes in (
        (people, "P-1", {"occupation": "6-31-01-03", "tags": ["安全"]}),
        (people, "P-2", {"skill_level": 3, "tags": ["技能"]}),
        (other_people, "G-1", {"industry": "gas", "tags": ["安全"]}),
    ):
        publishing.publish(who.editor, draft(who, code, **changes))
    assert codes(catalogue.published_query(industry="power")) == ["P-1", "P-2"]
    assert codes(catalogue.published_query(occupation="6-31-01-03")) == ["P-1"]
    assert codes(catalogue.published_query(level=4)) == ["G-1", "P-1"]
    assert codes(catalogue.published_query(tag="安全")) == ["G-1", "P-1"]
    assert codes(catalogue.published_query(provider="gas-co")) == ["G-1"]
    assert codes(catalogue.published_query(industry="power", tag="安全", level=4)) == ["P-1"]
    assert codes(catalogue.published_query(industry="mining")) == []


def test_the_cover_is_the_published_releases(people: Any) -> None:
    course = draft(people, "DW-001")
    store = runtime().object_store
    keys = []
    for _ in range(2):
        ticket = authoring.plan_cover_upload(people.instructor, course, "image/png", len(PNG))
        store.put(staging_key(ticket.key), io.BytesIO(PNG), content_type="image/png")
        keys.append(ticket.key)
    authoring.set_cover(people.instructor, course, keys[0])
    with pytest.raises(NotFound):
        catalogue.cover_url(course)  # not published: no cover to show
    publishing.publish(people.editor, course)
    assert keys[0] in catalogue.cover_url(course)
    authoring.set_cover(people.instructor, course, keys[1])  # a new draft's cover
    assert keys[0] in catalogue.cover_url(course)
    release = db.session.scalar(select(CourseRelease).where(CourseRelease.course_id == course))
    assert release is not None and release.cover_key == keys[0]
