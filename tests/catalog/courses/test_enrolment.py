"""Enrolment and assignment services: idempotence, organisation bounds, each learner's list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from catalog.accounts.models import Organisation, Role, User
from catalog.courses import authoring, enrolment, publishing
from catalog.courses.models import Assignment, Enrolment
from catalog.database import db
from catalog.errors import Conflict, Invalid, NotFound, PermissionDenied


@pytest.fixture
def people(
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    make_industry: Callable[..., Any],
    make_lecture: Callable[..., Any],
) -> Any:
    make_industry("power", "电力")
    org = make_org(code="grid-co")
    instructor = make_user(Role.INSTRUCTOR, organisation=org)
    return SimpleNamespace(
        org=org,
        instructor=instructor,
        editor=make_user(Role.EDITOR, organisation=org),
        admin=make_user(Role.ADMIN, organisation=org),
        learner=make_user(Role.LEARNER, organisation=org),
        lecture=make_lecture(instructor),
    )


def course(people: Any, code: str = "DW-001", *, publish: bool = True) -> int:
    data = {
        "code": code,
        "title": f"课程 {code}",
        "summary": "简介",
        "objectives": ["目标"],
        "industry": "power",
        "skill_level": 4,
        "class_hours": 2,
        "credits": 0.5,
    }
    created = authoring.create(people.instructor, data)
    items = [{"microlecture_id": people.lecture.id, "required": True}]
    authoring.set_chapters(people.instructor, created.id, [{"title": "一", "items": items}])
    if publish:
        publishing.publish(people.editor, created.id)
    return int(created.id)


def count(model: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_enrolling_twice_returns_the_same_enrolment_of_a_published_course(people: Any) -> None:
    draft = course(people, "DW-000", publish=False)
    with pytest.raises(NotFound):
        enrolment.enrol(people.learner, draft)
    archived = course(people, "DW-999")
    authoring.archive(people.editor, archived)
    with pytest.raises(Conflict) as refused:
        enrolment.enrol(people.learner, archived)
    assert refused.value.code == "archived"
    assert count(Enrolment) == 0
    course_id = course(people)
    first = enrolment.enrol(people.learner, course_id)
    again = enrolment.enrol(people.learner, course_id)
    assert again.id == first.id and again.enrolled_at == first.enrolled_at
    assert count(Enrolment) == 1
    assert enrolment.learner_course_ids(people.learner) == {course_id}
    enrolment.unenrol(people.learner, course_id)
    enrolment.unenrol(people.learner, course_id)  # twice: still nothing to remove
    assert count(Enrolment) == 0


def test_assignment_to_users_of_another_organisation_is_refused(
    people: Any, make_org: Callable[..., Organisation], make_user: Callable[..., User]
) -> None:
    course_id = course(people)
    outsider = make_user(Role.LEARNER, organisation=make_org(code="gas-co"))
    with pytest.raises(Invalid) as refused:
        enrolment.assign(
            people.admin,
            course_id,
            user_ids=[people.learner.id, outsider.id],
            due_date=None,
            required=True,
        )
    assert refused.value.details == {"json": {"user_ids": [f"user {outsider.id} is not a member"]}}
    assert count(Assignment) == 0  # not even the member's
    with pytest.raises(PermissionDenied):  # only platform admins name another organisation
        enrolment.assign(
            people.admin,
            course_id,
            user_ids=None,
            due_date=None,
            required=True,
            organisation_code="gas-co",
        )
    assert enrolment.learner_course_ids(outsider) == set()


def test_assigning_again_updates_and_admins_reach_only_their_organisations_assignments(
    people: Any, make_org: Callable[..., Organisation], make_user: Callable[..., User]
) -> None:
    course_id = course(people)
    [whole] = enrolment.assign(
        people.admin, course_id, user_ids=None, due_date=date(2026, 12, 31), required=True
    )
    assert (whole.user_id, whole.organisation_id) == (None, people.org.id)
    [again] = enrolment.assign(
        people.admin, course_id, user_ids=None, due_date=date(2027, 1, 15), required=False
    )
    assert again.id == whole.id
    mine = enrolment.assign(
        people.admin,
        course_id,
        user_ids=[people.learner.id, people.learner.id],
        due_date=None,
        required=True,
    )
    assert [a.user_id for a in mine] == [people.learner.id]
    listed = enrolment.assignments_of_course(people.admin, course_id)
    assert [(a.user_id, a.due_date, a.required) for a in listed] == [
        (None, date(2027, 1, 15), False),
        (people.learner.id, None, True),
    ]
    other = make_org(code="gas-co")
    platform = make_user(Role.PLATFORM_ADMIN)
    [theirs] = enrolment.assign(
        platform, course_id, user_ids=None, due_date=None, required=True, organisation_code="gas-co"
    )
    assert theirs.organisation_id == other.id
    assert theirs.id not in {a.id for a in enrolment.assignments_of_course(people.admin, course_id)}
    assert len(enrolment.assignments_of_course(platform, course_id)) == 3
    with pytest.raises(NotFound):
        enrolment.delete_assignment(people.admin, theirs.id)
    enrolment.delete_assignment(people.admin, whole.id)
    remaining = db.session.scalars(select(Assignment).order_by(Assignment.id))
    assert [a.id for a in remaining] == [mine[0].id, theirs.id]


def test_my_courses_put_required_and_soonest_due_first_on_the_learners_calendar(
    people: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen, later, sooner, optional = (
        course(people, code) for code in ("A-CHOSEN", "B-LATER", "C-SOONER", "D-OPTIONAL")
    )
    enrolment.enrol(people.learner, chosen)
    enrolment.enrol(people.learner, sooner)
    # assigned the day before (a due date in the past is refused)
    monkeypatch.setattr(
        "catalog.courses.enrolment.utcnow", lambda: datetime(2026, 2, 28, 2, 0, tzinfo=UTC)
    )
    for course_id, due, required, users in (
        (later, date(2026, 3, 2), True, None),
        (sooner, date(2026, 3, 1), True, [people.learner.id]),
        (optional, None, False, None),
    ):
        enrolment.assign(people.admin, course_id, user_ids=users, due_date=due, required=required)
    # 17:00 UTC on 1 March is already 2 March in Shanghai (TIME_ZONE's default).
    monkeypatch.setattr(
        "catalog.courses.enrolment.utcnow", lambda: datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
    )
    mine = enrolment.my_courses(people.learner)
    assert [(m.course.code, m.required, m.due_date, m.overdue) for m in mine] == [
        ("C-SOONER", True, date(2026, 3, 1), True),
        ("B-LATER", True, date(2026, 3, 2), False),
        ("A-CHOSEN", False, None, False),
        ("D-OPTIONAL", False, None, False),
    ]
    assert [(m.enrolled_at is not None, m.assigned) for m in mine] == [
        (True, True),
        (False, True),
        (True, False),
        (False, True),
    ]


def test_an_archived_course_cannot_be_assigned(people: Any) -> None:
    course_id = course(people)
    authoring.archive(people.editor, course_id)
    with pytest.raises(Conflict):
        enrolment.assign(people.admin, course_id, user_ids=None, due_date=None, required=True)
    assert count(Assignment) == 0
