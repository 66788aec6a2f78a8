"""Apprenticeships (企业新型学徒制): agreements made by admins, tasks and milestones signed off
by the enterprise mentor (企业导师) with the apprentice's own notes, completion and early end.

Who sees an agreement: its apprentice, its enterprise mentor, its school mentor (院校导师) and
the admins who manage its apprentice; to anyone else it does not exist (404)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, or_, select

from catalog.accounts.models import OrganisationKind, User
from catalog.accounts.scope import managed_users, manages
from catalog.clock import local_day, utcnow
from catalog.credits.audit import require_admin
from catalog.database import db, lock_row
from catalog.errors import Conflict, Invalid, NotFound, PermissionDenied
from catalog.evaluation.models import Apprenticeship, ApprenticeshipStatus, ApprenticeshipTask
from catalog.learning import statements
from catalog.reference.models import SkillLevel
from catalog.reference.services import occupation_code, occupation_id

OBJECT_TYPE = "apprenticeship"  # of the apprentice's learning statements

NOT_MANAGED = "用户不存在或不归您管理 / Unknown user, or not one you manage"
NOT_A_MENTOR = (
    "用户不存在，或既不归您管理也不属于职业院校 / Unknown user, or neither one you manage "
    "nor of a school"
)


# --- the agreement ---------------------------------------------------------------------------


def create(admin: User, data: dict[str, Any]) -> Apprenticeship:
    """An agreement between an apprentice and an enterprise mentor the admin manages (and
    optionally a school mentor, of the admin's people or of a school), with its first tasks."""
    require_admin(admin)
    if admin.id == data["apprentice_id"]:
        raise PermissionDenied(
            "不能为自己签订学徒协议，请由其他管理员处理 / Another admin must make your own "
            "apprenticeship",
            code="four_eyes",
        )
    problems: dict[str, Any] = {}
    apprentice = _managed(admin, data["apprentice_id"])
    mentor = _managed(admin, data["mentor_id"])
    school_mentor = _school_mentor(admin, data.get("school_mentor_id"))
    if apprentice is None or apprentice.organisation_id is None:
        problems["apprentice_id"] = [NOT_MANAGED]
    if mentor is None or (
        apprentice is not None and mentor.organisation_id != apprentice.organisation_id
    ):
        # a platform admin manages everyone: the enterprise mentor is of the apprentice's own
        problems["mentor_id"] = [NOT_MANAGED]
    elif mentor.id == data["apprentice_id"]:
        problems["mentor_id"] = ["导师不能是学徒本人 / The mentor cannot be the apprentice"]
    if data.get("school_mentor_id") is not None:
        if school_mentor is None:
            problems["school_mentor_id"] = [NOT_A_MENTOR]
        elif school_mentor.id in (data["apprentice_id"], data["mentor_id"]):
            problems["school_mentor_id"] = [
                "院校导师须是另一人 / The school mentor must be someone else than the "
                "apprentice and the enterprise mentor"
            ]
    try:
        occupation = occupation_id(data["occupation"])
    except Invalid as refusal:
        problems.update(refusal.details["json"])
        occupation = None
    level = data.get("skill_level")
    if level is not None and db.session.get(SkillLevel, level) is None:
        problems["skill_level"] = [f"未知等级 / unknown skill level {level}"]
    starts_on, ends_on = data["starts_on"], data["ends_on"]
    if ends_on <= starts_on:
        problems["ends_on"] = ["须晚于开始日期 / must be after starts_on"]
    task_problems = {
        str(index): found
        for index, task in enumerate(data.get("tasks") or [])
        if (found := _due_problems(task.get("due_on"), starts_on, ends_on))
    }
    if task_problems:
        problems["tasks"] = task_problems
    if problems or apprentice is None or mentor is None or occupation is None:
        raise Invalid(details={"json": problems})
    apprenticeship = Apprenticeship(
        organisation_id=apprentice.organisation_id,
        apprentice_id=apprentice.id,
        mentor_id=mentor.id,
        school_mentor_id=school_mentor.id if school_mentor else None,
        occupation_id=occupation,
        skill_level=level,
        goals=data["goals"],
        content=data["content"],
        assessment_standard=data["assessment_standard"],
        starts_on=starts_on,
        ends_on=ends_on,
        status=ApprenticeshipStatus.ACTIVE,
        created_by_id=admin.id,
        tasks=[
            _new_task(task, position) for position, task in enumerate(data.get("tasks") or [], 1)
        ],
    )
    db.session.add(apprenticeship)
    db.session.flush()
    _record(apprenticeship, "started", result=_what(apprenticeship))
    db.session.commit()
    return apprenticeship


def _active_user(user_id: int | None) -> User | None:
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None or not user.is_active or user.anonymised_at is not None:
        return None
    return user


def _managed(admin: User, user_id: int) -> User | None:
    user = _active_user(user_id)
    return user if user is not None and manages(admin, user) else None


def _school_mentor(admin: User, user_id: int | None) -> User | None:
    """One of the admin's people, or a member of a school (职业院校): a school mentor often
    works for the partner college, not for the enterprise."""
    user = _active_user(user_id)
    if user is None or user.is_platform_admin:
        return None
    if manages(admin, user):
        return user
    organisation = user.organisation
    return (
        user if organisation is not None and organisation.kind is OrganisationKind.SCHOOL else None
    )


def _due_problems(due_on: date | None, starts_on: date, ends_on: date) -> dict[str, list[str]]:
    if due_on is not None and not starts_on <= due_on <= ends_on:
        return {"due_on": ["须在学徒期内 / must fall within the apprenticeship's dates"]}
    return {}


def _new_task(data: dict[str, Any], position: int) -> ApprenticeshipTask:
    return ApprenticeshipTask(
        position=position,
        title=data["title"],
        description=data.get("description") or "",
        milestone=bool(data.get("milestone")),
        due_on=data.get("due_on"),
    )


# --- who sees what ---------------------------------------------------------------------------


def may_see(user: User, apprenticeship: Apprenticeship) -> bool:
    if user.id in (
        apprenticeship.apprentice_id,
        apprenticeship.mentor_id,
        apprenticeship.school_mentor_id,
    ):
        return True
    apprentice = db.session.get(User, apprenticeship.apprentice_id)
    return apprentice is not None and manages(user, apprentice)


def visible(user: User, apprenticeship_id: int, *, lock: bool = False) -> Apprenticeship:
    """The agreement, when ``user`` may see it; otherwise as if there were none. ``lock`` holds
    its row until the commit, so changes to one agreement come one at a time."""
    if lock:
        lock_row(Apprenticeship, apprenticeship_id)
    apprenticeship = db.session.get(Apprenticeship, apprenticeship_id)
    if apprenticeship is None or not may_see(user, apprenticeship):
        raise NotFound("学徒协议不存在 / No such apprenticeship", details={"id": apprenticeship_id})
    return apprenticeship


def mine(user: User, status: ApprenticeshipStatus | None = None) -> list[Apprenticeship]:
    """The agreements where the user is the apprentice or a mentor, newest first."""
    query = select(Apprenticeship).where(
        or_(
            Apprenticeship.apprentice_id == user.id,
            Apprenticeship.mentor_id == user.id,
            Apprenticeship.school_mentor_id == user.id,
        )
    )
    if status is not None:
        query = query.where(Apprenticeship.status == status)
    return list(
        db.session.scalars(query.order_by(Apprenticeship.created_at.desc(), Apprenticeship.id))
    )


def managed_query(
    admin: User, status: ApprenticeshipStatus | None = None, apprentice_id: int | None = None
) -> Select[Any]:
    """The agreements of the apprentices the admin manages, newest first."""
    require_admin(admin)
    query = (
        select(Apprenticeship)
        .join(User, User.id == Apprenticeship.apprentice_id)
        .where(managed_users(admin))
    )
    if status is not None:
        query = query.where(Apprenticeship.status == status)
    if apprentice_id is not None:
        query = query.where(Apprenticeship.apprentice_id == apprentice_id)
    return query.order_by(Apprenticeship.created_at.desc(), Apprenticeship.id.desc())


# --- tasks -----------------------------------------------------------------------------------


def add_task(user: User, apprenticeship_id: int, data: dict[str, Any]) -> ApprenticeshipTask:
    """A new task at the end of the list, by the enterprise mentor or an admin of the
    apprentice, while the agreement is active."""
    apprenticeship = visible(user, apprenticeship_id, lock=True)
    if user.id != apprenticeship.mentor_id and not _administers(user, apprenticeship):
        raise PermissionDenied(
            "只有企业导师或管理员可以布置任务 / Only the enterprise mentor or an admin adds tasks",
            code="not_the_mentor",
        )
    _require_active(apprenticeship)
    due = _due_problems(data.get("due_on"), apprenticeship.starts_on, apprenticeship.ends_on)
    if due:
        raise Invalid(details={"json": due})
    position = max((t.position for t in apprenticeship.tasks), default=0) + 1
    task = _new_task(data, position)
    apprenticeship.tasks.append(task)
    db.session.commit()
    return task


def write_note(user: User, apprenticeship_id: int, task_id: int, note: str) -> ApprenticeshipTask:
    """The apprentice's own note on a task (心得), written or rewritten until it is signed
    off."""
    apprenticeship = visible(user, apprenticeship_id, lock=True)
    task = _task(apprenticeship, task_id)
    if user.id != apprenticeship.apprentice_id:
        raise PermissionDenied(
            "只有学徒本人可以填写任务心得 / Only the apprentice writes notes on tasks",
            code="not_the_apprentice",
        )
    if task.signed_off_at is not None:
        raise Conflict(
            "任务已签认，心得不能再改 / The task is signed off: its note no longer changes",
            code="task_signed_off",
            details={"task_id": task.id},
        )
    _require_active(apprenticeship)
    if task.apprentice_note != note:  # the same note again (a retry) changes nothing
        task.apprentice_note, task.noted_at = note, utcnow()
        db.session.commit()
    return task


def sign_off(
    user: User, apprenticeship_id: int, task_id: int, comment: str | None
) -> ApprenticeshipTask:
    """The enterprise mentor signs a task off (签认), with an optional comment; a second
    sign-off returns the first unchanged."""
    apprenticeship = visible(user, apprenticeship_id, lock=True)
    task = _task(apprenticeship, task_id)
    if user.id != apprenticeship.mentor_id:
        raise PermissionDenied(
            "只有企业导师可以签认任务 / Only the enterprise mentor signs off tasks",
            code="not_the_mentor",
        )
    if task.signed_off_at is not None:
        return task
    _require_active(apprenticeship)
    task.signed_off_by_id, task.signed_off_at = user.id, utcnow()
    task.mentor_comment = comment
    _record(
        apprenticeship,
        "signed_off",
        key=str(task.id),
        result={"task": task.title, "milestone": task.milestone},
    )
    db.session.commit()
    return task


def _task(apprenticeship: Apprenticeship, task_id: int) -> ApprenticeshipTask:
    task = next((t for t in apprenticeship.tasks if t.id == task_id), None)
    if task is None:
        raise NotFound("任务不存在 / No such task", details={"task_id": task_id})
    return task


# --- closing ---------------------------------------------------------------------------------


def open_milestones(apprenticeship: Apprenticeship) -> list[ApprenticeshipTask]:
    """The milestones not yet signed off; an agreement without milestones counts each of its
    tasks as one (it never completes with nothing signed off)."""
    milestones = [t for t in apprenticeship.tasks if t.milestone] or apprenticeship.tasks
    return [t for t in milestones if t.signed_off_at is None]


def complete(admin: User, apprenticeship_id: int) -> Apprenticeship:
    """Close the agreement as completed (结业) once every milestone is signed off; again:
    the same answer."""
    apprenticeship = _administered(admin, apprenticeship_id)
    if apprenticeship.status is ApprenticeshipStatus.COMPLETED:
        return apprenticeship
    _require_active(apprenticeship)
    if admin.id in (apprenticeship.mentor_id, apprenticeship.school_mentor_id):
        # the mentor signs the tasks off; someone else closes the agreement (four eyes)
        raise PermissionDenied(
            "导师不能为自己带的学徒结业，请由其他管理员处理 / Another admin must close an "
            "apprenticeship you mentor",
            code="four_eyes",
        )
    if admin.id == apprenticeship.created_by_id:
        # who wrote the agreement (its dates too) does not also close it: one admin and one
        # mentor could otherwise make a completed apprenticeship on the spot, backdated
        raise PermissionDenied(
            "学徒协议由其他管理员结业 / Another admin closes an agreement you recorded",
            code="four_eyes",
        )
    if local_day(utcnow()) < apprenticeship.ends_on:
        raise Conflict(
            f"学徒期至 {apprenticeship.ends_on} 结束，届时方可结业 / The agreed duration runs "
            f"until {apprenticeship.ends_on}",
            code="not_ended",
            details={"ends_on": str(apprenticeship.ends_on)},
        )
    if not apprenticeship.tasks:
        raise Conflict("学徒协议没有任务 / The apprenticeship has no tasks", code="no_tasks")
    still_open = open_milestones(apprenticeship)
    if still_open:
        raise Conflict(
            "尚有里程碑未签认："
            + "、".join(t.title for t in still_open)
            + " / Milestones not signed off yet: "
            + ", ".join(t.title for t in still_open),
            code="milestones_open",
            details={"open_milestones": [{"id": t.id, "title": t.title} for t in still_open]},
        )
    apprenticeship.status = ApprenticeshipStatus.COMPLETED
    apprenticeship.completed_at = utcnow()
    _record(apprenticeship, "completed", result=_what(apprenticeship))
    db.session.commit()
    return apprenticeship


def end(admin: User, apprenticeship_id: int, reason: str) -> Apprenticeship:
    """End the agreement early (提前终止), saying why; again: the same answer."""
    apprenticeship = _administered(admin, apprenticeship_id)
    if apprenticeship.status is ApprenticeshipStatus.ENDED:
        return apprenticeship
    _require_active(apprenticeship)
    apprenticeship.status = ApprenticeshipStatus.ENDED
    apprenticeship.ended_at, apprenticeship.ended_by_id = utcnow(), admin.id
    apprenticeship.end_reason = reason
    _record(apprenticeship, "ended", result={**_what(apprenticeship), "reason": reason})
    db.session.commit()
    return apprenticeship


def _administers(user: User, apprenticeship: Apprenticeship) -> bool:
    apprentice = db.session.get(User, apprenticeship.apprentice_id)
    return apprentice is not None and manages(user, apprentice)


def _administered(admin: User, apprenticeship_id: int) -> Apprenticeship:
    apprenticeship = visible(admin, apprenticeship_id, lock=True)
    if not _administers(admin, apprenticeship):
        raise PermissionDenied("只有管理员可以这样做 / Admins only")
    if admin.id == apprenticeship.apprentice_id:
        raise PermissionDenied(
            "不能结束自己的学徒协议，请由其他管理员处理 / Another admin must close your own "
            "apprenticeship",
            code="four_eyes",
        )
    return apprenticeship


def _require_active(apprenticeship: Apprenticeship) -> None:
    if apprenticeship.status is not ApprenticeshipStatus.ACTIVE:
        raise Conflict(
            "学徒协议已结束 / The apprenticeship is no longer active",
            code="apprenticeship_closed",
            details={"status": apprenticeship.status.value},
        )


def _what(apprenticeship: Apprenticeship) -> dict[str, Any]:
    return {
        "occupation": occupation_code(apprenticeship.occupation_id),
        "skill_level": apprenticeship.skill_level,
    }


def _record(
    apprenticeship: Apprenticeship,
    verb: str,
    *,
    result: dict[str, Any] | None = None,
    key: str | None = None,
) -> None:
    statements.record(
        apprenticeship.apprentice_id,
        verb,
        OBJECT_TYPE,
        apprenticeship.id,
        result=result,
        key=key,
    )


# --- for skill-level evaluation --------------------------------------------------------------


def completed_for(
    user_id: int, occupation_id: int, skill_level: int | None
) -> Apprenticeship | None:
    """The user's completed apprenticeship in the occupation (the latest), for a plan's
    prerequisite or component. An agreement naming a level counts only for that level; one
    naming none counts for any level (asked for no level, only those naming none count)."""
    query = select(Apprenticeship).where(
        Apprenticeship.apprentice_id == user_id,
        Apprenticeship.occupation_id == occupation_id,
        Apprenticeship.status == ApprenticeshipStatus.COMPLETED,
    )
    if skill_level is None:
        query = query.where(Apprenticeship.skill_level.is_(None))
    else:
        query = query.where(
            or_(Apprenticeship.skill_level.is_(None), Apprenticeship.skill_level == skill_level)
        )
    found: Apprenticeship | None = db.session.scalars(
        query.order_by(Apprenticeship.completed_at.desc(), Apprenticeship.id.desc()).limit(1)
    ).first()
    return found


def mentors_of(user_id: int) -> set[int]:
    """The enterprise and school mentors of every apprenticeship of the user, in any state
    (for the assessors' conflict of interest: nobody assesses their own apprentice)."""
    mentors: set[int] = set()
    for mentor, school_mentor in db.session.execute(
        select(Apprenticeship.mentor_id, Apprenticeship.school_mentor_id).where(
            Apprenticeship.apprentice_id == user_id
        )
    ):
        mentors.add(mentor)
        if school_mentor is not None:
            mentors.add(school_mentor)
    return mentors
