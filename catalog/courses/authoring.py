"""Course authoring: drafts with ordered chapters, references, tags, covers and the review
workflow (submit, return, archive); any edit of a published course starts its next draft."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from catalog.accounts.models import User
from catalog.clock import utcnow
from catalog.courses.models import (
    Chapter,
    ChapterItem,
    Course,
    CourseStatus,
    CourseTag,
)
from catalog.database import db
from catalog.errors import (
    Conflict,
    Invalid,
    NotFound,
)
from catalog.lectures.models import Microlecture
from catalog.permissions import editable_scope, require_edit, require_review
from catalog.reference.models import Industry, Occupation, SkillLevel
from catalog.uploads import UploadTicket, accept_upload, plan_image

COVER_MAX_BYTES = 5 * 1024 * 1024
COVER_TYPES = {"image/jpeg", "image/png", "image/webp"}

# --- references ------------------------------------------------------------------------------


def _resolve_references(data: dict[str, Any]) -> dict[str, Any]:
    """Turn industry/occupation codes and a skill level into ids; 422 naming unknown ones."""
    resolved = dict(data)
    problems: dict[str, list[str]] = {}
    if "industry" in data:
        code = data["industry"]
        resolved.pop("industry")
        industry = (
            db.session.scalar(select(Industry).where(Industry.code == code)) if code else None
        )
        if code and industry is None:
            problems["industry"] = [f"未知行业 / unknown industry {code!r}"]
        resolved["industry_id"] = industry.id if industry else None
    if "occupation" in data:
        code = data["occupation"]
        resolved.pop("occupation")
        occupation = (
            db.session.scalar(select(Occupation).where(Occupation.code == code)) if code else None
        )
        if code and occupation is None:
            problems["occupation"] = [f"未知工种 / unknown occupation {code!r}"]
        resolved["occupation_id"] = occupation.id if occupation else None
    if (
        data.get("skill_level") is not None
        and db.session.get(SkillLevel, data["skill_level"]) is None
    ):
        problems["skill_level"] = [f"未知等级 / unknown skill level {data['skill_level']}"]
    if problems:
        raise Invalid(details={"json": problems})
    return resolved


def _set_tags(course: Course, tags: list[str]) -> None:
    wanted = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
    course.tag_rows = [row for row in course.tag_rows if row.tag in wanted]
    have = {row.tag for row in course.tag_rows}
    course.tag_rows.extend(CourseTag(tag=t) for t in wanted if t not in have)


# --- authoring -------------------------------------------------------------------------------


def get_for_editing(user: User, course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None:
        raise NotFound("课程不存在 / No such course", details={"id": course_id})
    require_edit(
        user, owner_id=course.owner_id, organisation_id=course.provider_org_id, what="课程"
    )
    return course


def authoring_query(user: User, status: CourseStatus | None) -> Select[Any]:
    query = select(Course)
    scope = editable_scope(user, Course.owner_id, Course.provider_org_id)
    if scope is not None:
        query = query.where(scope)
    if status is not None:
        query = query.where(Course.status == status)
    return query


def create(user: User, data: dict[str, Any]) -> Course:
    if user.organisation_id is None:
        raise Invalid("课程须由组织提供 / A course needs a provider organisation")
    values = _resolve_references(data)
    tags = values.pop("tags", [])
    if db.session.scalar(select(Course.id).where(Course.code == values["code"])) is not None:
        raise Conflict(
            f"课程代码已存在 / Course code {values['code']!r} is taken",
            details={"code": values["code"]},
        )
    course = Course(**values, provider_org_id=user.organisation_id, owner_id=user.id)
    _set_tags(course, tags)
    db.session.add(course)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(f"课程代码已存在 / Course code {values['code']!r} is taken") from None
    return course


def _start_new_draft(course: Course) -> None:
    """Any edit works on the next draft: a published course becomes a draft again."""
    _refuse_unless_editable(course)
    course.status = CourseStatus.DRAFT
    course.updated_at = utcnow()


def _refuse_unless_editable(course: Course) -> None:
    """An archived course is never changed. A course in review is what the reviewer is
    reading: an edit then would silently take it out of review, so it is refused until the
    author withdraws it (or a reviewer returns it)."""
    if course.status is CourseStatus.ARCHIVED:
        raise Conflict(
            "课程已归档，不能修改 / An archived course cannot be changed", code="archived"
        )
    if course.status is CourseStatus.IN_REVIEW:
        raise Conflict(
            "课程正在审核，请先撤回再修改 / The course is in review: withdraw it "
            "(POST …/withdraw) before changing it",
            code="in_review",
        )


def update(user: User, course_id: int, changes: dict[str, Any]) -> Course:
    course = get_for_editing(user, course_id)
    values = _resolve_references(changes)
    tags = values.pop("tags", None)
    if "code" in values and values["code"] != course.code:
        raise Invalid(
            "课程代码不能修改 / The course code cannot change",
            details={"json": {"code": ["read-only"]}},
        )
    _start_new_draft(course)
    for name, value in values.items():
        setattr(course, name, value)
    if tags is not None:
        _set_tags(course, tags)
    db.session.commit()
    return course


def set_chapters(user: User, course_id: int, chapters: list[dict[str, Any]]) -> Course:
    """Replace the ordered chapters and their ordered microlectures."""
    course = get_for_editing(user, course_id)
    wanted = {item["microlecture_id"] for ch in chapters for item in ch["items"]}
    found = {
        lecture.id: lecture
        for lecture in db.session.scalars(select(Microlecture).where(Microlecture.id.in_(wanted)))
    }
    usable = {
        lid
        for lid, lecture in found.items()
        if lecture.organisation_id == course.provider_org_id or lecture.is_published
    }
    missing = sorted(wanted - usable)
    if missing:
        raise Invalid(
            "部分微课不存在或不可用 / Some microlectures do not exist or may not be used",
            details={"json": {"chapters": [f"microlecture {m} not available" for m in missing]}},
        )
    _start_new_draft(course)
    course.chapters = [
        Chapter(
            position=index,
            title=chapter["title"],
            items=[
                ChapterItem(
                    position=i, microlecture_id=item["microlecture_id"], required=item["required"]
                )
                for i, item in enumerate(chapter["items"])
            ],
        )
        for index, chapter in enumerate(chapters)
    ]
    db.session.commit()
    return course


def withdraw(user: User, course_id: int) -> Course:
    """The author takes a course back from review to go on editing it."""
    course = get_for_editing(user, course_id)
    _out_of_review(course)
    db.session.commit()
    return course


def return_to_draft(user: User, course_id: int, note: str | None) -> Course:
    course = get_for_editing(user, course_id)
    require_review(user, organisation_id=course.provider_org_id, what="课程")
    _out_of_review(course)
    course.review_note = note
    db.session.commit()
    return course


def _out_of_review(course: Course) -> None:
    """Back to draft, from review only (withdrawn by its author or returned by a reviewer)."""
    if course.status is not CourseStatus.IN_REVIEW:
        raise Conflict(
            "课程不在审核中 / The course is not in review", details={"status": course.status.value}
        )
    course.status = CourseStatus.DRAFT


def archive(user: User, course_id: int) -> Course:
    course = get_for_editing(user, course_id)
    require_review(user, organisation_id=course.provider_org_id, what="课程")
    course.status = CourseStatus.ARCHIVED
    db.session.commit()
    return course


# --- covers ----------------------------------------------------------------------------------


def plan_cover_upload(user: User, course_id: int, content_type: str, size: int) -> UploadTicket:
    course = get_for_editing(user, course_id)
    _refuse_unless_editable(course)  # no upload URL for a cover that could not be set
    return plan_image(
        f"courses/{course.id}/cover-{secrets.token_hex(8)}",
        content_type,
        size,
        allowed=COVER_TYPES,
        max_bytes=COVER_MAX_BYTES,
        what="封面",
    )


def set_cover(user: User, course_id: int, key: str) -> Course:
    course = get_for_editing(user, course_id)
    if not key.startswith(f"courses/{course.id}/cover-"):
        raise Invalid(
            "封面地址无效 / Not a cover of this course",
            details={"json": {"key": ["not issued for this course"]}},
        )
    accept_upload(
        key,
        allowed=COVER_TYPES,
        max_bytes=COVER_MAX_BYTES,
        refusal="封面不是有效的图片 / The cover is not a JPEG, PNG or WebP image",
    )
    _start_new_draft(course)
    course.cover_key = key
    db.session.commit()
    return course
