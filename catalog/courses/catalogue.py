"""The published catalogue learners browse: current releases, filtered, and their covers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, exists, select

from catalog.accounts.models import Organisation
from catalog.courses.models import (
    Course,
    CourseRelease,
    CourseReleaseTag,
    CourseStatus,
)
from catalog.database import db
from catalog.errors import (
    NotFound,
)
from catalog.reference.models import Industry, Occupation
from catalog.runtime import runtime


def cover_url(course_id: int) -> str:
    """A fresh presigned URL of the published cover (the API redirects to it)."""
    release = _current_release(course_id)
    if release is None or not release.cover_key:
        raise NotFound("没有封面 / This course has no cover")
    return (
        runtime()
        .object_store.presign_get(
            release.cover_key, expires_in=runtime().settings.playback_url_seconds
        )
        .url
    )


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


def current_release(course_id: int) -> CourseRelease | None:
    """The course's published release, if it has one."""
    return _current_release(course_id)


def _current_release(course_id: int) -> CourseRelease | None:
    return db.session.scalar(
        select(CourseRelease)
        .join(Course, Course.id == CourseRelease.course_id)
        .where(Course.id == course_id, CourseRelease.version == Course.published_version)
    )


@dataclass(frozen=True)
class ReleasedLecture:
    id: int
    title: str
    required: bool


def released_lectures(course_ids: Iterable[int]) -> dict[int, list[ReleasedLecture]]:
    """Each published course's microlectures in order, as its current release has them (a
    draft's edits count for nobody until they are reviewed and published)."""
    ids = set(course_ids)
    if not ids:
        return {}
    releases = db.session.execute(
        select(CourseRelease.course_id, CourseRelease.document)
        .join(Course, Course.id == CourseRelease.course_id)
        .where(Course.id.in_(ids), CourseRelease.version == Course.published_version)
    )
    return {
        course_id: [
            ReleasedLecture(int(item["id"]), item["title"], bool(item.get("required", True)))
            for chapter in document.get("chapters", [])
            for item in chapter.get("microlectures", [])
        ]
        for course_id, document in releases
    }


def get_published(course_id: int) -> CourseRelease:
    release = _current_release(course_id)
    if release is None:
        raise NotFound("课程不存在或未发布 / No such published course", details={"id": course_id})
    return release
