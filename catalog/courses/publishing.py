"""Publishing a course: what it still lacks, the release (version N, with its JSON document in
object storage) and the microlectures it shows."""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any

from catalog.accounts.models import User
from catalog.clock import utcnow
from catalog.courses.authoring import get_for_editing
from catalog.courses.models import (
    Course,
    CourseRelease,
    CourseReleaseTag,
    CourseStatus,
)
from catalog.database import db
from catalog.errors import (
    Conflict,
    Invalid,
)
from catalog.lectures import authoring as lectures
from catalog.lectures.models import LectureStatus
from catalog.permissions import require_review
from catalog.runtime import runtime


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


def submit(user: User, course_id: int) -> Course:
    """Send a draft for review; one with nothing to review (no chapters, an empty chapter, no
    summary …) is refused with what is missing, as publishing would refuse it. Lectures still
    processing may be finished while it is in review."""
    course = get_for_editing(user, course_id)
    if course.status is not CourseStatus.DRAFT:
        raise Conflict(
            "只有草稿可以提交审核 / Only a draft can be submitted",
            details={"status": course.status.value},
        )
    missing = missing_for_publication(course)
    missing.pop("microlectures", None)
    if missing:
        raise Invalid(
            "课程尚不完整，不能提交审核 / The course is not complete enough to review",
            code="incomplete",
            details={"missing": missing},
        )
    course.status = CourseStatus.IN_REVIEW
    course.review_note = None
    db.session.commit()
    return course


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
    runtime().object_store.put(
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
    lectures.publish_with_course([i.microlecture for ch in course.chapters for i in ch.items], now)
    course.status = CourseStatus.PUBLISHED
    course.published_version = version
    course.review_note = None
    db.session.commit()
    return course
