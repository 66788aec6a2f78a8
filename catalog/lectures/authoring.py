"""Microlecture authoring: drafts, who may see and edit them, publishing, transcripts."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import webvtt
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload
from webvtt.errors import MalformedFileError

from catalog.accounts.models import Organisation, User
from catalog.clock import utcnow
from catalog.database import db
from catalog.errors import (
    Invalid,
    NotFound,
)
from catalog.lectures.models import (
    LectureStatus,
    Microlecture,
)
from catalog.permissions import editable_scope, require_edit, require_review, reviews_for
from catalog.runtime import runtime

# --- reading ---------------------------------------------------------------------------------


def get_published(lecture_id: int) -> Microlecture:
    lecture = db.session.get(Microlecture, lecture_id)
    if lecture is None or not lecture.is_published:
        raise NotFound("微课不存在 / No such microlecture", details={"id": lecture_id})
    return lecture


def get_for_viewer(user: User, lecture_id: int) -> Microlecture:
    """Published lectures for everyone; drafts for their author and their organisation's staff."""
    lecture = db.session.get(Microlecture, lecture_id)
    if lecture is None:
        raise NotFound("微课不存在 / No such microlecture", details={"id": lecture_id})
    if lecture.is_playable:
        return lecture
    if lecture.instructor_id == user.id or reviews_for(user, lecture.organisation_id):
        return lecture
    raise NotFound("微课不存在 / No such microlecture", details={"id": lecture_id})


def get_for_editing(user: User, lecture_id: int) -> Microlecture:
    lecture = db.session.get(Microlecture, lecture_id)
    if lecture is None:
        raise NotFound("微课不存在 / No such microlecture", details={"id": lecture_id})
    require_edit(
        user, owner_id=lecture.instructor_id, organisation_id=lecture.organisation_id, what="微课"
    )
    return lecture


def authoring_query(user: User, status: LectureStatus | None = None) -> Select[Any]:
    """What the user may edit: their own, or all of their organisation's for reviewers."""
    query = select(Microlecture)
    scope = editable_scope(user, Microlecture.instructor_id, Microlecture.organisation_id)
    if scope is not None:
        query = query.where(scope)
    if status is not None:
        query = query.where(Microlecture.status == status)
    return query


def published_query(
    *, provider: str | None = None, instructor_id: int | None = None
) -> Select[Any]:
    # assets in one more query for the whole page: list items show a cover when there is one
    query = (
        select(Microlecture)
        .where(Microlecture.playable())
        .options(selectinload(Microlecture.assets))
    )
    if provider:
        query = query.join(Organisation, Organisation.id == Microlecture.organisation_id).where(
            Organisation.code == provider
        )
    if instructor_id:
        query = query.where(Microlecture.instructor_id == instructor_id)
    return query


# --- authoring -------------------------------------------------------------------------------


def create(
    user: User, *, title: str, description: str, knowledge_points: list[str]
) -> Microlecture:
    if user.organisation_id is None:
        raise Invalid("讲师须属于一个组织 / An instructor must belong to an organisation")
    lecture = Microlecture(
        title=title.strip(),
        description=description,
        knowledge_points=_clean_list(knowledge_points),
        instructor_id=user.id,
        organisation_id=user.organisation_id,
    )
    db.session.add(lecture)
    db.session.commit()
    return lecture


def update(user: User, lecture_id: int, changes: dict[str, Any]) -> Microlecture:
    lecture = get_for_editing(user, lecture_id)
    if "knowledge_points" in changes:
        changes["knowledge_points"] = _clean_list(changes["knowledge_points"])
    for name, value in changes.items():
        setattr(
            lecture, name, value.strip() if isinstance(value, str) and name == "title" else value
        )
    db.session.commit()
    return lecture


def _clean_list(values: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value.strip():
            seen.setdefault(value.strip(), None)
    return list(seen)


def publish(user: User, lecture_id: int) -> Microlecture:
    lecture = get_for_editing(user, lecture_id)
    require_review(user, organisation_id=lecture.organisation_id, what="微课")
    if lecture.status is not LectureStatus.READY:
        raise Invalid(
            "微课的视频尚未处理完成 / The microlecture's media is not ready",
            code="not_ready",
            details={"status": lecture.status.value},
        )
    if not lecture.is_published:
        lecture.is_published = True
        lecture.published_at = utcnow()
        db.session.commit()
    return lecture


def publish_with_course(lectures: list[Microlecture], when: datetime) -> None:
    """Publish the microlectures a course publication shows (its reviewer's approval covers
    them); the caller commits."""
    for lecture in lectures:
        if not lecture.is_published:
            lecture.is_published = True
            lecture.published_at = when


def unpublish(user: User, lecture_id: int) -> Microlecture:
    lecture = get_for_editing(user, lecture_id)
    require_review(user, organisation_id=lecture.organisation_id, what="微课")
    lecture.is_published = False
    db.session.commit()
    return lecture


# --- transcripts -----------------------------------------------------------------------------


def set_transcript(user: User, lecture_id: int, *, format: str, content: str) -> Microlecture:
    """Store a WebVTT or SRT transcript as WebVTT; its text feeds search."""
    lecture = get_for_editing(user, lecture_id)
    try:
        if format == "srt":
            parsed = webvtt.from_buffer(io.StringIO(content), format="srt")
        else:
            parsed = webvtt.from_string(content)
    except (MalformedFileError, ValueError, IndexError) as exc:
        raise Invalid(
            f"字幕格式不正确 / The {format.upper()} transcript cannot be read: {exc}",
            details={"content": [str(exc)]},
        ) from exc
    if not parsed.captions:
        raise Invalid("字幕为空 / The transcript has no cues", details={"content": ["empty"]})
    key = f"lectures/{lecture.id}/transcript.vtt"
    vtt = parsed.content.encode("utf-8")
    runtime().object_store.put(key, io.BytesIO(vtt), content_type="text/vtt; charset=utf-8")
    lecture.transcript_key = key
    lecture.transcript_text = "\n".join(c.text for c in parsed.captions)
    db.session.commit()
    return lecture


# --- uploads ---------------------------------------------------------------------------------


# --- playback --------------------------------------------------------------------------------
