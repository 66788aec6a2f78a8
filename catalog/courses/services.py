"""Course services: authoring, review and publishing, the published catalogue, enrolment."""

from __future__ import annotations

import io
import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.exc import IntegrityError

from catalog.accounts.models import Organisation, User
from catalog.columns import utcnow
from catalog.courses.models import (
    Assignment,
    Chapter,
    ChapterItem,
    Course,
    CourseRelease,
    CourseReleaseTag,
    CourseStatus,
    CourseTag,
    Enrolment,
)
from catalog.errors import (
    Conflict,
    Invalid,
    NotFound,
    PermissionDenied,
)
from catalog.extensions import db
from catalog.lectures.models import LectureStatus, Microlecture
from catalog.permissions import editable_scope, require_edit, require_review
from catalog.reference.models import Industry, Occupation, SkillLevel
from catalog.registry import services
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
    """Any edit works on the next draft: a published or in-review course becomes a draft again."""
    if course.status is CourseStatus.ARCHIVED:
        raise Conflict(
            "课程已归档，不能修改 / An archived course cannot be changed", code="archived"
        )
    course.status = CourseStatus.DRAFT
    course.updated_at = utcnow()


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


def submit(user: User, course_id: int) -> Course:
    course = get_for_editing(user, course_id)
    if course.status is not CourseStatus.DRAFT:
        raise Conflict(
            "只有草稿可以提交审核 / Only a draft can be submitted",
            details={"status": course.status.value},
        )
    course.status = CourseStatus.IN_REVIEW
    course.review_note = None
    db.session.commit()
    return course


def return_to_draft(user: User, course_id: int, note: str | None) -> Course:
    course = get_for_editing(user, course_id)
    require_review(user, organisation_id=course.provider_org_id, what="课程")
    if course.status is not CourseStatus.IN_REVIEW:
        raise Conflict(
            "课程不在审核中 / The course is not in review", details={"status": course.status.value}
        )
    course.status = CourseStatus.DRAFT
    course.review_note = note
    db.session.commit()
    return course


def archive(user: User, course_id: int) -> Course:
    course = get_for_editing(user, course_id)
    require_review(user, organisation_id=course.provider_org_id, what="课程")
    course.status = CourseStatus.ARCHIVED
    db.session.commit()
    return course


# --- publishing ------------------------------------------------------------------------------


def missing_for_publication(course: Course) -> dict[str, str]:
    """What a course still lacks before learners may see it (empty when complete)."""
    missing: dict[str, str] = {}
    if not course.summary.strip():
        missing["summary"] = "缺少课程简介 / a summary"
    if not [o for o in course.objectives if o.strip()]:
        missing["objectives"] = "缺少学习目标 / learning objectives"
    if course.industry_id is None:
        missing["industry"] = "缺少所属行业 / an industry"
    if course.skill_level is None:
        missing["skill_level"] = "缺少技能等级 / a skill level"
    if course.class_hours <= 0:
        missing["class_hours"] = "学时须大于 0 / class hours above 0"
    if not course.chapters:
        missing["chapters"] = "至少需要一章 / at least one chapter"
    empty = [ch.title for ch in course.chapters if not ch.items]
    if empty:
        missing["empty_chapters"] = (
            "以下章节没有微课 / chapters without microlectures: " + "、".join(empty)
        )
    not_ready = [
        f"{item.microlecture.id} {item.microlecture.title}"
        for ch in course.chapters
        for item in ch.items
        if item.microlecture.status is not LectureStatus.READY
    ]
    if not_ready:
        missing["microlectures"] = "以下微课视频未就绪 / media not ready: " + "; ".join(not_ready)
    return missing


def course_document(course: Course, version: int, published_at: datetime) -> dict[str, Any]:
    """The published course as learners receive it (also stored as JSON in object storage)."""
    lectures = [item.microlecture for ch in course.chapters for item in ch.items]
    return {
        "id": course.id,
        "code": course.code,
        "version": version,
        "title": course.title,
        "summary": course.summary,
        "objectives": list(course.objectives),
        "industry": _ref(course.industry, "code", "name"),
        "occupation": _ref(course.occupation, "code", "name"),
        "skill_level": _ref(course.level, "level", "name", "name_en"),
        "class_hours": course.class_hours,
        "credits": course.credits,
        "tags": course.tags,
        "provider": {
            "id": course.provider.id,
            "code": course.provider.code,
            "name": course.provider.name,
        },
        "lecture_count": len(lectures),
        "duration_seconds": round(sum(lec.duration_seconds or 0 for lec in lectures), 1),
        "chapters": [
            {
                "title": ch.title,
                "microlectures": [
                    {
                        "id": item.microlecture.id,
                        "title": item.microlecture.title,
                        "duration_seconds": item.microlecture.duration_seconds,
                        "knowledge_points": list(item.microlecture.knowledge_points),
                        "instructor": {
                            "id": item.microlecture.instructor.id,
                            "display_name": item.microlecture.instructor.display_name,
                        },
                        "required": item.required,
                    }
                    for item in ch.items
                ],
            }
            for ch in course.chapters
        ],
        "published_at": published_at.isoformat(),
    }


def _ref(obj: Any, *names: str) -> dict[str, Any] | None:
    return {name: getattr(obj, name) for name in names} if obj is not None else None


def publish(user: User, course_id: int) -> Course:
    """Check completeness, write the next release and its document, publish its lectures."""
    course = get_for_editing(user, course_id)
    require_review(user, organisation_id=course.provider_org_id, what="课程")
    if course.status is CourseStatus.ARCHIVED:
        raise Conflict("课程已归档 / The course is archived", code="archived")
    if course.status is CourseStatus.PUBLISHED:
        return course  # nothing changed since the last publication
    missing = missing_for_publication(course)
    if missing:
        raise Invalid(
            "课程尚不完整，不能发布 / The course is not complete enough to publish",
            code="incomplete",
            details={"missing": missing},
        )
    version = (course.published_version or 0) + 1
    now = utcnow()
    document = course_document(course, version, now)
    key = f"courses/{course.id}/v{version}.json"
    services().object_store.put(
        key,
        io.BytesIO(json.dumps(document, ensure_ascii=False).encode("utf-8")),
        content_type="application/json; charset=utf-8",
    )
    release = CourseRelease(
        course_id=course.id,
        version=version,
        code=course.code,
        title=course.title,
        summary=course.summary,
        industry_id=course.industry_id,
        occupation_id=course.occupation_id,
        skill_level=course.skill_level,
        provider_org_id=course.provider_org_id,
        class_hours=course.class_hours,
        credits=course.credits,
        lecture_count=document["lecture_count"],
        duration_seconds=document["duration_seconds"],
        cover_key=course.cover_key,
        document=document,
        document_key=key,
        published_at=now,
        published_by_id=user.id,
        tag_rows=[CourseReleaseTag(tag=tag) for tag in course.tags],
    )
    db.session.add(release)
    for chapter in course.chapters:
        for item in chapter.items:
            if not item.microlecture.is_published:
                item.microlecture.is_published = True
                item.microlecture.published_at = now
    course.status = CourseStatus.PUBLISHED
    course.published_version = version
    course.review_note = None
    db.session.commit()
    return course


# --- covers ----------------------------------------------------------------------------------


def plan_cover_upload(user: User, course_id: int, content_type: str, size: int) -> UploadTicket:
    course = get_for_editing(user, course_id)
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


def cover_url(course_id: int) -> str:
    """A fresh presigned URL of the published cover (the API redirects to it)."""
    release = _current_release(course_id)
    if release is None or not release.cover_key:
        raise NotFound("没有封面 / This course has no cover")
    return (
        services()
        .object_store.presign_get(
            release.cover_key, expires_in=services().settings.playback_url_seconds
        )
        .url
    )


# --- the published catalogue -----------------------------------------------------------------


def published_query(
    *,
    industry: str | None = None,
    occupation: str | None = None,
    level: int | None = None,
    tag: str | None = None,
    provider: str | None = None,
) -> Select[Any]:
    """Current releases of courses that are not archived, filtered."""
    query = (
        select(CourseRelease)
        .join(
            Course,
            and_(
                Course.id == CourseRelease.course_id,
                Course.published_version == CourseRelease.version,
            ),
        )
        .where(Course.status != CourseStatus.ARCHIVED)
    )
    if industry:
        query = query.where(
            CourseRelease.industry_id
            == select(Industry.id).where(Industry.code == industry).scalar_subquery()
        )
    if occupation:
        query = query.where(
            CourseRelease.occupation_id
            == select(Occupation.id).where(Occupation.code == occupation).scalar_subquery()
        )
    if level is not None:
        query = query.where(CourseRelease.skill_level == level)
    if provider:
        query = query.where(
            CourseRelease.provider_org_id
            == select(Organisation.id).where(Organisation.code == provider).scalar_subquery()
        )
    if tag:
        query = query.where(
            exists().where(
                CourseReleaseTag.release_id == CourseRelease.id, CourseReleaseTag.tag == tag
            )
        )
    return query


def _current_release(course_id: int) -> CourseRelease | None:
    return db.session.scalar(
        select(CourseRelease)
        .join(Course, Course.id == CourseRelease.course_id)
        .where(Course.id == course_id, CourseRelease.version == Course.published_version)
    )


def get_published(course_id: int) -> CourseRelease:
    release = _current_release(course_id)
    if release is None:
        raise NotFound("课程不存在或未发布 / No such published course", details={"id": course_id})
    return release


# --- enrolment and assignment ----------------------------------------------------------------


def enrol(user: User, course_id: int) -> Enrolment:
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
        return existing
    enrolment = Enrolment(user_id=user.id, course_id=release.course_id)
    db.session.add(enrolment)
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent retry won the race
        db.session.rollback()
        found: Enrolment | None = db.session.scalar(
            select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_id == course_id)
        )
        assert found is not None
        return found
    return enrolment


def unenrol(user: User, course_id: int) -> None:
    enrolment = db.session.scalar(
        select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_id == course_id)
    )
    if enrolment is not None:
        db.session.delete(enrolment)
        db.session.commit()


def assign(
    admin: User,
    course_id: int,
    *,
    user_ids: list[int] | None,
    due_date: date | None,
    required: bool,
    organisation_code: str | None = None,
) -> list[Assignment]:
    """Require a course of some users, or of the whole organisation (when no users are named)."""
    get_published(course_id)
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
                    User.id.in_(user_ids), User.organisation_id == organisation_id
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
    for target in targets:
        existing = db.session.scalar(
            select(Assignment).where(
                Assignment.course_id == course_id,
                Assignment.organisation_id == organisation_id,
                Assignment.user_id.is_(None) if target is None else Assignment.user_id == target,
            )
        )
        assignment = existing or Assignment(
            course_id=course_id,
            organisation_id=organisation_id,
            user_id=target,
            assigned_by_id=admin.id,
        )
        assignment.due_date = due_date
        assignment.required = required
        db.session.add(assignment)
        assignments.append(assignment)
    db.session.commit()
    return assignments


def assignments_of_course(admin: User, course_id: int) -> list[Assignment]:
    query = select(Assignment).where(Assignment.course_id == course_id)
    if not admin.is_platform_admin:
        query = query.where(Assignment.organisation_id == admin.organisation_id)
    return list(db.session.scalars(query.order_by(Assignment.id)))


def delete_assignment(admin: User, assignment_id: int) -> None:
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or (
        not admin.is_platform_admin and assignment.organisation_id != admin.organisation_id
    ):
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
        list(
            db.session.scalars(
                select(Assignment).where(
                    Assignment.organisation_id == user.organisation_id,
                    or_(Assignment.user_id.is_(None), Assignment.user_id == user.id),
                )
            )
        )
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
    today = utcnow().date()
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
    result.sort(key=lambda m: (not m.required, m.due_date or far, m.course.title))
    return result


def learner_course_ids(user: User) -> set[int]:
    """Courses the learner enrolled in or was assigned (alone or with their organisation)."""
    enrolled = select(Enrolment.course_id).where(Enrolment.user_id == user.id)
    ids = set(db.session.scalars(enrolled))
    if user.organisation_id is not None:
        assigned = select(Assignment.course_id).where(
            Assignment.organisation_id == user.organisation_id,
            or_(Assignment.user_id.is_(None), Assignment.user_id == user.id),
        )
        ids |= set(db.session.scalars(assigned))
    return ids
