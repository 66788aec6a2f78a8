"""Course authoring services: codes, drafts after publication, chapters, review, covers."""

from __future__ import annotations

import io
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from catalog.accounts.models import Organisation, Role, User
from catalog.courses import authoring, publishing
from catalog.courses.models import Course, CourseStatus
from catalog.database import db
from catalog.errors import Conflict, Invalid, NotFound, PermissionDenied, UnsupportedMediaType
from catalog.lectures import authoring as lectures
from catalog.runtime import runtime
from catalog.uploads import staging_key
from ingest.interfaces import ObjectNotFound

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 100


@pytest.fixture
def people(make_org: Callable[..., Organisation], make_user: Callable[..., User]) -> Any:
    org = make_org(code="grid-co")
    return SimpleNamespace(
        org=org,
        instructor=make_user(Role.INSTRUCTOR, organisation=org),
        colleague=make_user(Role.INSTRUCTOR, organisation=org),
        editor=make_user(Role.EDITOR, organisation=org),
    )


def course_data(**changes: Any) -> dict[str, Any]:
    return {
        "code": "DW-001",
        "title": "配电网运维基础",
        "summary": "面向一线运维人员的配电网基础课程",
        "objectives": ["掌握配电网结构"],
        "industry": "power",
        "skill_level": 4,
        "class_hours": 12,
        "credits": 1.5,
        "tags": ["配电", "安全"],
        **changes,
    }


def chapter(*lecture_ids: int, title: str = "第一章") -> dict[str, Any]:
    return {
        "title": title,
        "items": [{"microlecture_id": i, "required": True} for i in lecture_ids],
    }


@pytest.fixture
def course(people: Any, make_industry: Callable[..., Any], make_lecture: Callable[..., Any]) -> int:
    """A complete draft of the instructor's, with one chapter of one ready microlecture."""
    make_industry("power", "电力")
    created = authoring.create(people.instructor, course_data())
    lecture = make_lecture(people.instructor)
    authoring.set_chapters(people.instructor, created.id, [chapter(lecture.id)])
    return int(created.id)


def test_create_resolves_codes_and_names_the_unknown_ones(
    people: Any, make_industry: Callable[..., Any]
) -> None:
    make_industry("power", "电力", occupation="6-31-01-03")
    with pytest.raises(Invalid) as refused:
        authoring.create(people.instructor, course_data(industry="mining", skill_level=9))
    assert set(refused.value.details["json"]) == {"industry", "skill_level"}
    created = authoring.create(
        people.instructor, course_data(occupation="6-31-01-03", tags=[" 安全 ", "安全", ""])
    )
    assert created.industry is not None and created.industry.code == "power"
    assert created.occupation is not None and created.occupation.code == "6-31-01-03"
    assert created.tags == ["安全"]
    assert (created.status, created.provider_org_id, created.owner_id) == (
        CourseStatus.DRAFT,
        people.org.id,
        people.instructor.id,
    )
    with pytest.raises(Conflict) as taken:
        authoring.create(people.editor, course_data(title="另一门课"))
    assert taken.value.details == {"code": "DW-001"}


def test_an_edit_after_publication_starts_the_next_draft_and_keeps_the_code(
    people: Any, course: int
) -> None:
    publishing.publish(people.editor, course)
    edited = authoring.update(people.instructor, course, {"title": "配电网运维基础（第二版）"})
    assert edited.status is CourseStatus.DRAFT
    assert edited.published_version == 1  # release 1 stays what learners read
    republished = publishing.publish(people.editor, course)
    assert (republished.status, republished.published_version) == (CourseStatus.PUBLISHED, 2)
    # Replacing the chapters is an edit too.
    authoring.set_chapters(people.instructor, course, _chapters_of(course))
    assert _course(course).status is CourseStatus.DRAFT
    with pytest.raises(Invalid) as refused:
        authoring.update(people.instructor, course, {"code": "DW-002", "title": "改名"})
    assert refused.value.details == {"json": {"code": ["read-only"]}}
    assert (_course(course).code, _course(course).title) == ("DW-001", "配电网运维基础（第二版）")
    assert (
        authoring.update(people.instructor, course, {"code": "DW-001", "credits": 2}).credits == 2
    )


def _course(course_id: int) -> Course:
    found = db.session.get(Course, course_id)
    assert found is not None
    return found


def _chapters_of(course_id: int) -> list[dict[str, Any]]:
    return [
        chapter(*(i.microlecture_id for i in ch.items), title=ch.title)
        for ch in _course(course_id).chapters
    ]


def test_chapters_take_only_microlectures_the_course_may_use(
    people: Any,
    course: int,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    make_lecture: Callable[..., Any],
) -> None:
    gas = make_org(code="gas-co")
    stranger = make_user(Role.INSTRUCTOR, organisation=gas)
    private = make_lecture(stranger, title="他人的微课")
    shared = make_lecture(stranger, title="已发布的微课")
    lectures.publish(make_user(Role.EDITOR, organisation=gas), shared.id)
    ours = make_lecture(people.instructor, title="本单位微课")
    with pytest.raises(Invalid) as refused:
        authoring.set_chapters(people.instructor, course, [chapter(ours.id, private.id, 999_999)])
    assert refused.value.details["json"]["chapters"] == [
        f"microlecture {private.id} not available",
        "microlecture 999999 not available",
    ]
    changed = authoring.set_chapters(
        people.instructor,
        course,
        [chapter(ours.id, title="一"), chapter(shared.id, ours.id, title="二")],
    )
    assert [(c.position, c.title) for c in changed.chapters] == [(0, "一"), (1, "二")]
    assert [i.microlecture_id for i in changed.chapters[1].items] == [shared.id, ours.id]


def test_only_a_draft_is_submitted_and_only_reviewers_return_or_archive_it(
    people: Any, course: int
) -> None:
    submitted = publishing.submit(people.instructor, course)
    assert submitted.status is CourseStatus.IN_REVIEW
    with pytest.raises(Conflict):
        publishing.submit(people.instructor, course)  # only a draft is submitted
    with pytest.raises(PermissionDenied):
        authoring.return_to_draft(people.instructor, course, "自己退回")
    returned = authoring.return_to_draft(people.editor, course, "请补充安全注意事项")
    assert (returned.status, returned.review_note) == (CourseStatus.DRAFT, "请补充安全注意事项")
    with pytest.raises(Conflict):
        authoring.return_to_draft(people.editor, course, "不在审核中")
    with pytest.raises(PermissionDenied):
        authoring.archive(people.instructor, course)
    assert authoring.archive(people.editor, course).status is CourseStatus.ARCHIVED
    with pytest.raises(Conflict) as archived:
        authoring.update(people.instructor, course, {"title": "归档后修改"})
    assert archived.value.code == "archived"


def test_authors_edit_their_own_and_reviewers_their_organisations(
    people: Any,
    course: int,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
) -> None:
    with pytest.raises(PermissionDenied):
        authoring.update(people.colleague, course, {"title": "同事改"})
    outsider = make_user(Role.EDITOR, organisation=make_org(code="gas-co"))
    with pytest.raises(NotFound):  # another organisation's drafts are not acknowledged
        authoring.get_for_editing(outsider, course)
    assert authoring.update(people.editor, course, {"credits": 2}).credits == 2

    def listed(user: User) -> list[int]:
        return list(
            db.session.scalars(authoring.authoring_query(user, None).with_only_columns(Course.id))
        )

    assert listed(people.instructor) == [course]
    assert listed(people.colleague) == []
    assert listed(people.editor) == [course]
    assert listed(outsider) == []
    assert (
        db.session.scalars(authoring.authoring_query(people.editor, CourseStatus.PUBLISHED)).all()
        == []
    )


def test_a_cover_must_be_a_real_image_uploaded_for_this_course(people: Any, course: int) -> None:
    store = runtime().object_store
    fake = authoring.plan_cover_upload(people.instructor, course, "image/png", 100)
    assert fake.key.startswith(f"courses/{course}/cover-")
    store.put(
        staging_key(fake.key), io.BytesIO(b"GIF89a, not a PNG at all"), content_type="image/png"
    )
    with pytest.raises(UnsupportedMediaType):
        authoring.set_cover(people.instructor, course, fake.key)
    with pytest.raises(ObjectNotFound):
        store.head(fake.key)  # the refused upload is deleted
    with pytest.raises(Invalid):
        authoring.set_cover(people.instructor, course, f"courses/{course + 1}/cover-x")
    ticket = authoring.plan_cover_upload(people.instructor, course, "image/png", len(PNG))
    store.put(staging_key(ticket.key), io.BytesIO(PNG), content_type="image/png")
    covered = authoring.set_cover(people.instructor, course, ticket.key)
    assert covered.cover_key == ticket.key


def test_a_course_with_nothing_to_review_is_not_submitted(
    people: Any, make_industry: Callable[..., Any], make_lecture: Callable[..., Any]
) -> None:
    """A course with no chapters went to review, and a reviewer found nothing to read."""
    make_industry("power", "电力")
    bare = authoring.create(people.instructor, course_data()).id
    with pytest.raises(Invalid) as refused:
        publishing.submit(people.instructor, bare)
    assert refused.value.code == "incomplete"
    assert "chapters" in refused.value.details["missing"]
    authoring.set_chapters(people.instructor, bare, [chapter()])
    with pytest.raises(Invalid) as empty:
        publishing.submit(people.instructor, bare)
    assert "empty_chapters" in empty.value.details["missing"]
    authoring.set_chapters(people.instructor, bare, [chapter(make_lecture(people.instructor).id)])
    assert publishing.submit(people.instructor, bare).status is CourseStatus.IN_REVIEW


def test_a_course_in_review_is_not_edited_until_withdrawn(people: Any, course: int) -> None:
    """Editing chapters in review silently took the course out of review."""
    publishing.submit(people.instructor, course)
    for edit in (
        lambda: authoring.set_chapters(people.instructor, course, [chapter(title="改")]),
        lambda: authoring.update(people.instructor, course, {"title": "审核中修改"}),
        lambda: authoring.plan_cover_upload(people.instructor, course, "image/png", 1000),
    ):
        with pytest.raises(Conflict) as refused:
            edit()
        assert refused.value.code == "in_review"
    assert authoring.get_for_editing(people.instructor, course).status is CourseStatus.IN_REVIEW
    with pytest.raises(PermissionDenied):
        authoring.withdraw(people.colleague, course)
    assert authoring.withdraw(people.instructor, course).status is CourseStatus.DRAFT
    with pytest.raises(Conflict):
        authoring.withdraw(people.instructor, course)  # only from review
    assert (
        authoring.update(people.instructor, course, {"title": "撤回后修改"}).title == "撤回后修改"
    )
