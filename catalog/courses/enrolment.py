"""Enrolment and assignment: learners enrol themselves; admins require courses of users or of
a whole organisation, with due dates; each learner's courses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError

from catalog.accounts.departments import get_department
from catalog.accounts.models import Department, Organisation, User
from catalog.accounts.scope import managed_users, scope_of, subtree_ids
from catalog.clock import local_day, utcnow
from catalog.courses.catalogue import get_published, published_query
from catalog.courses.models import (
    Assignment,
    Course,
    CourseRelease,
    CourseStatus,
    Enrolment,
)
from catalog.database import db
from catalog.errors import (
    Conflict,
    Invalid,
    NotFound,
    PermissionDenied,
)
from catalog.learning.models import Statement


@dataclass(frozen=True)
class Enrolled:
    """An enrolment as it was when made or found: read before the commit, so a leave racing it
    cannot turn the answer into a 500."""

    id: int
    course_id: int
    enrolled_at: datetime

    @classmethod
    def of(cls, row: Enrolment) -> Enrolled:
        return cls(row.id, row.course_id, row.enrolled_at)


def enrol(user: User, course_id: int) -> Enrolled:
    """Enrol in a published course; enrolling twice changes nothing."""
    release = get_published(course_id)
    course = db.session.get(Course, course_id)
    if course is not None and course.status is CourseStatus.ARCHIVED:
        raise Conflict("课程已归档 / The course is archived", code="archived")
    existing: Enrolment | None = db.session.scalar(
        select(Enrolment).where(
            Enrolment.user_id == user.id, Enrolment.course_id == release.course_id
        )
    )
    if existing is not None:
        return Enrolled.of(existing)
    enrolment = Enrolment(user_id=user.id, course_id=release.course_id, enrolled_at=utcnow())
    db.session.add(enrolment)
    try:
        db.session.flush()
        made = Enrolled.of(enrolment)
        db.session.commit()
    except IntegrityError:  # a concurrent retry won the race
        db.session.rollback()
        found: Enrolment | None = db.session.scalar(
            select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_id == course_id)
        )
        if found is None:  # and was left again since
            raise Conflict("请重试 / Please retry", code="retry") from None
        return Enrolled.of(found)
    return made


def unenrol(user: User, course_id: int) -> None:
    """Leave a course; leaving twice, or from two phones at once, changes nothing (one DELETE:
    reading the row first let a second phone delete it in between)."""
    db.session.execute(
        delete(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_id == course_id)
    )
    db.session.commit()


def applies_to(user: User) -> ColumnElement[bool]:
    """The assignments that bind ``user``: named for them, or a rule they match now (their
    department inside the rule's, their occupation and level the rule's, where it names one).
    The one rule every path asks: a new member matching a rule has its courses at once, and
    one who leaves the department loses them."""
    ancestors = (
        [int(i) for i in user.department.path.strip("/").split("/")]
        if user.department is not None
        else []
    )
    matches_rule = and_(
        Assignment.user_id.is_(None),
        or_(Assignment.department_id.is_(None), Assignment.department_id.in_(ancestors)),
        or_(Assignment.occupation.is_(None), Assignment.occupation == user.occupation),
        or_(Assignment.skill_level.is_(None), Assignment.skill_level == user.skill_level),
    )
    return and_(
        Assignment.organisation_id == user.organisation_id,
        or_(Assignment.user_id == user.id, matches_rule),
    )


def audience(assignment: Assignment) -> Select[Any]:
    """The ids of the active users an assignment binds now."""
    query = select(User.id).where(
        User.organisation_id == assignment.organisation_id, User.is_active.is_(True)
    )
    if assignment.user_id is not None:
        return query.where(User.id == assignment.user_id)
    if assignment.department_id is not None:
        root = db.session.get(Department, assignment.department_id)
        if root is not None:
            query = query.where(User.department_id.in_(subtree_ids(root)))
    if assignment.occupation is not None:
        query = query.where(User.occupation == assignment.occupation)
    if assignment.skill_level is not None:
        query = query.where(User.skill_level == assignment.skill_level)
    return query


def assign(
    admin: User,
    course_id: int,
    *,
    user_ids: list[int] | None,
    due_date: date | None,
    required: bool,
    organisation_code: str | None = None,
    department_id: int | None = None,
    occupation: str | None = None,
    skill_level: int | None = None,
) -> list[Assignment]:
    """Require a course of some users, or of everyone a rule matches (a department's subtree,
    an occupation, a skill level, or a mix), or of the whole organisation."""
    rule = {"department_id": department_id, "occupation": occupation, "skill_level": skill_level}
    if due_date is not None and due_date < local_day(utcnow()):
        # Every assignee would be overdue the moment it was made.
        raise Invalid(
            "截止日期不能早于今天 / The due date is in the past",
            details={"json": {"due_date": [f"before today ({local_day(utcnow()).isoformat()})"]}},
        )
    ruled = any(value is not None for value in rule.values())
    if user_ids and ruled:
        raise Invalid(
            "请指定人员或规则，不要同时指定 / Name users or a rule, not both",
            details={"json": {"user_ids": ["not with a rule"]}},
        )
    if department_id is not None:
        get_department(admin, department_id)  # in the admin's scope, or 404
    elif not user_ids and scope_of(admin) is not None:
        raise PermissionDenied(
            "部门管理员不能给整个组织分配课程 / An admin of one department cannot assign to the "
            "whole organisation"
        )
    get_published(course_id)
    course = db.session.get(Course, course_id)
    if course is not None and course.status is CourseStatus.ARCHIVED:
        raise Conflict(
            "课程已归档，不能分配 / An archived course cannot be assigned", code="archived"
        )
    organisation_id = admin.organisation_id
    if organisation_code is not None:
        if not admin.is_platform_admin:
            raise PermissionDenied("只能给本组织分配课程 / Admins assign within their organisation")
        org = db.session.scalar(select(Organisation).where(Organisation.code == organisation_code))
        if org is None:
            raise NotFound(f"组织不存在 / No organisation {organisation_code!r}")
        organisation_id = org.id
    if organisation_id is None:
        raise Invalid(
            "请指定组织 / Name the organisation",
            details={"json": {"organisation_code": ["required"]}},
        )
    targets: list[int | None] = [None]
    if user_ids:
        members = set(
            db.session.scalars(
                select(User.id).where(
                    User.id.in_(user_ids),
                    User.organisation_id == organisation_id,
                    managed_users(admin),
                )
            )
        )
        strangers = sorted(set(user_ids) - members)
        if strangers:
            raise Invalid(
                "部分用户不属于本组织 / Some users are not in the organisation",
                details={"json": {"user_ids": [f"user {u} is not a member" for u in strangers]}},
            )
        targets = list(dict.fromkeys(user_ids))
    assignments = []
    if department_id is not None:
        department = db.session.get(Department, department_id)
        if department is None or department.organisation_id != organisation_id:
            raise Invalid("部门不属于该组织 / not a department of the organisation")
    for target in targets:
        same_rule = [
            getattr(Assignment, name).is_(None)
            if value is None
            else getattr(Assignment, name) == value
            for name, value in rule.items()
        ]
        existing = db.session.scalar(
            select(Assignment).where(
                Assignment.course_id == course_id,
                Assignment.organisation_id == organisation_id,
                Assignment.user_id.is_(None) if target is None else Assignment.user_id == target,
                *same_rule,
            )
        )
        assignment = existing or Assignment(
            course_id=course_id,
            organisation_id=organisation_id,
            user_id=target,
            assigned_by_id=admin.id,
            **(rule if target is None else {}),
        )
        assignment.due_date = due_date
        assignment.required = required
        db.session.add(assignment)
        assignments.append(assignment)
    db.session.commit()
    return assignments


def managed_assignments(admin: User) -> ColumnElement[bool]:
    """A filter on ``Assignment`` for those ``admin`` manages: their organisation's; for an
    admin scoped to a department, those naming someone or a department of its subtree."""
    if admin.is_platform_admin:
        return true()
    clause = Assignment.organisation_id == admin.organisation_id
    root = scope_of(admin)
    if root is not None:
        clause = clause & or_(
            Assignment.user_id.in_(select(User.id).where(managed_users(admin))),
            Assignment.department_id.in_(subtree_ids(root)),
        )
    return clause


def assignments_of_course(admin: User, course_id: int) -> list[Assignment]:
    query = select(Assignment).where(Assignment.course_id == course_id, managed_assignments(admin))
    return list(db.session.scalars(query.order_by(Assignment.id)))


def delete_assignment(admin: User, assignment_id: int) -> None:
    assignment = db.session.scalar(
        select(Assignment).where(Assignment.id == assignment_id, managed_assignments(admin))
    )
    if assignment is None:
        raise NotFound("分配不存在 / No such assignment")
    db.session.delete(assignment)
    db.session.commit()


@dataclass
class MyCourse:
    course: CourseRelease
    enrolled_at: datetime | None
    assigned: bool
    required: bool
    due_date: date | None
    overdue: bool


def my_courses(user: User) -> list[MyCourse]:
    """Courses the learner enrolled in or was assigned, required and soonest due first."""
    enrolled = {
        e.course_id: e.enrolled_at
        for e in db.session.scalars(select(Enrolment).where(Enrolment.user_id == user.id))
    }
    assignments = (
        list(db.session.scalars(select(Assignment).where(applies_to(user))))
        if user.organisation_id
        else []
    )
    by_course: dict[int, list[Assignment]] = {}
    for assignment in assignments:
        by_course.setdefault(assignment.course_id, []).append(assignment)
    course_ids = set(enrolled) | set(by_course)
    releases = (
        {
            r.course_id: r
            for r in db.session.scalars(
                published_query().where(CourseRelease.course_id.in_(course_ids))
            )
        }
        if course_ids
        else {}
    )
    today = local_day(utcnow())  # due dates are the learners' calendar days
    result = []
    for course_id, release in releases.items():
        mine = by_course.get(course_id, [])
        dues = [a.due_date for a in mine if a.due_date is not None]
        due = min(dues) if dues else None
        result.append(
            MyCourse(
                course=release,
                enrolled_at=enrolled.get(course_id),
                assigned=bool(mine),
                required=any(a.required for a in mine),
                due_date=due,
                overdue=due is not None and due < today,
            )
        )
    far = date.max - timedelta(days=1)
    result.sort(key=lambda m: (not m.required, m.due_date or far, m.course.title_sort))  # 拼音
    return result


def learner_course_ids(user: User) -> set[int]:
    """Courses the learner enrolled in or was assigned (alone or with their organisation)."""
    enrolled = select(Enrolment.course_id).where(Enrolment.user_id == user.id)
    ids = set(db.session.scalars(enrolled))
    if user.organisation_id is not None:
        assigned = select(Assignment.course_id).where(applies_to(user))
        ids |= set(db.session.scalars(assigned))
    return ids


def is_rule(assignment: Assignment) -> bool:
    return any(
        value is not None
        for value in (assignment.department_id, assignment.occupation, assignment.skill_level)
    )


@dataclass
class Overdue:
    user_id: int
    display_name: str
    employee_no: str | None
    department_id: int | None
    department: str | None
    due_date: date


def overdue(admin: User, course_id: int, department_id: int | None) -> list[Overdue]:
    """The people the admin manages whom an assignment of this course binds, past its due date
    and without the course's completion; soonest due first, then by department."""
    today = local_day(utcnow())
    query = select(Assignment).where(
        Assignment.course_id == course_id,
        Assignment.due_date.is_not(None),
        Assignment.due_date < today,
        Assignment.required.is_(True),
    )
    if not admin.is_platform_admin:
        query = query.where(Assignment.organisation_id == admin.organisation_id)
    due: dict[int, date] = {}
    for assignment in db.session.scalars(query):
        assert assignment.due_date is not None
        for user_id in db.session.scalars(audience(assignment)):
            if user_id not in due or assignment.due_date < due[user_id]:
                due[user_id] = assignment.due_date
    if not due:
        return []
    done = set(
        db.session.scalars(
            select(Statement.user_id).where(
                Statement.verb == "completed",
                Statement.object_type == "course",
                Statement.object_id == str(course_id),
            )
        )
    )
    people = select(User).where(User.id.in_(set(due) - done), managed_users(admin))
    if department_id is not None:
        people = people.where(
            User.department_id.in_(subtree_ids(get_department(admin, department_id)))
        )
    found = list(db.session.execute(people).scalars())
    places = {user.department_id for user in found if user.department_id}
    names = dict(
        db.session.execute(
            select(Department.id, Department.name).where(Department.id.in_(places))
        ).all()
    )
    rows = [
        Overdue(
            user.id,
            user.display_name,
            user.employee_no,
            user.department_id,
            names.get(user.department_id) if user.department_id else None,
            due[user.id],
        )
        for user in found
    ]
    rows.sort(key=lambda r: (r.due_date, r.department or "", r.user_id))
    return rows


def follow_merge(source_id: int, target_id: int) -> None:
    """A merged department's rules name the department it joined (else they would go with it)."""
    db.session.execute(
        update(Assignment)
        .where(Assignment.department_id == source_id)
        .values(department_id=target_id)
    )


def refuse_named_department(department_id: int) -> None:
    """A department a rule still names is not deleted (its rule would vanish with it)."""
    named = db.session.scalar(
        select(func.count())
        .select_from(Assignment)
        .where(Assignment.department_id == department_id)
    )
    if named:
        raise Conflict(
            f"有 {named} 条必修课分配规则指向该部门，请先删除或合并 / {named} assignment rules "
            "name this department: delete them or merge it instead",
            code="department_in_use",
        )
