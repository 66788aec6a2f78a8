"""Microlecture services: authoring, direct-to-storage uploads, transcripts, playback."""

from __future__ import annotations

import hashlib
import io
import math
import posixpath
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import webvtt
from sqlalchemy import Select, select
from webvtt.errors import MalformedFileError

from catalog.accounts.models import Organisation, User
from catalog.columns import new_id, utcnow
from catalog.errors import (
    Conflict,
    Invalid,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from catalog.extensions import db
from catalog.lectures.models import (
    AssetKind,
    LectureStatus,
    MediaAsset,
    MediaUpload,
    Microlecture,
    UploadStatus,
)
from catalog.permissions import editable_scope, require_edit, require_review, reviews_for
from catalog.registry import services
from catalog.uploads import sniff
from ingest.interfaces import InvalidUpload, ObjectNotFound, PartInfo, PresignedRequest

SNIFF_BYTES = 8192
ACCEPTED_PREFIXES = ("video/", "audio/")


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
    if lecture.is_published and lecture.status is LectureStatus.READY:
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
    query = select(Microlecture).where(
        Microlecture.is_published.is_(True), Microlecture.status == LectureStatus.READY
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
    services().object_store.put(key, io.BytesIO(vtt), content_type="text/vtt; charset=utf-8")
    lecture.transcript_key = key
    lecture.transcript_text = "\n".join(c.text for c in parsed.captions)
    db.session.commit()
    return lecture


# --- uploads ---------------------------------------------------------------------------------


@dataclass
class PartPlan:
    part_number: int
    url: str
    size: int


@dataclass
class UploadPlan:
    upload: MediaUpload
    method: str  # "single" or "multipart"
    expires_at: datetime
    url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    part_size: int | None = None
    parts: list[PartPlan] = field(default_factory=list)


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _extension(file_name: str) -> str:
    ext = posixpath.splitext(file_name)[1].lower()
    return _SAFE_NAME.sub("", ext)[:10] or ".bin"


def plan_upload(
    user: User,
    lecture_id: int,
    *,
    file_name: str,
    size: int,
    content_type: str,
    sha256: str | None,
) -> UploadPlan:
    """Where and how the client uploads a media file: one PUT, or presigned parts."""
    settings = services().settings
    store = services().object_store
    lecture = get_for_editing(user, lecture_id)
    if size > settings.media_max_bytes:
        raise PayloadTooLarge(
            "文件过大 / The file is larger than allowed",
            details={"size": size, "max_bytes": settings.media_max_bytes},
        )
    if not content_type.lower().startswith(ACCEPTED_PREFIXES):
        raise UnsupportedMediaType(
            "只接受视频或音频文件 / Only video or audio files are accepted",
            details={"content_type": content_type},
        )
    upload = MediaUpload(
        microlecture_id=lecture.id,
        created_by_id=user.id,
        file_name=file_name[:255],
        size=size,
        content_type=content_type,
        sha256=sha256.lower() if sha256 else None,
        key="",
        expires_at=utcnow() + timedelta(hours=settings.upload_expiry_hours),
    )
    db.session.add(upload)
    db.session.flush()
    upload.key = f"lectures/{lecture.id}/{upload.id}/original{_extension(file_name)}"
    expires_in = settings.upload_url_seconds
    if size <= settings.upload_single_max_bytes:
        request: PresignedRequest = store.presign_put(upload.key, expires_in=expires_in)
        db.session.commit()
        return UploadPlan(
            upload, "single", request.expires_at, url=request.url, headers=request.headers
        )
    part_size = settings.upload_part_bytes
    count = math.ceil(size / part_size)
    upload.multipart_id = store.create_multipart(upload.key, content_type=content_type)
    upload.part_size = part_size
    parts = []
    expires_at = utcnow() + timedelta(seconds=expires_in)
    for number in range(1, count + 1):
        request = store.presign_part(upload.key, upload.multipart_id, number, expires_in=expires_in)
        expires_at = request.expires_at
        parts.append(PartPlan(number, request.url, min(part_size, size - (number - 1) * part_size)))
    db.session.commit()
    return UploadPlan(upload, "multipart", expires_at, part_size=part_size, parts=parts)


def _get_upload(user: User, lecture_id: int, upload_id: str) -> tuple[Microlecture, MediaUpload]:
    lecture = get_for_editing(user, lecture_id)
    upload = db.session.get(MediaUpload, upload_id)
    if upload is None or upload.microlecture_id != lecture.id:
        raise NotFound("上传不存在 / No such upload", details={"upload_id": upload_id})
    return lecture, upload


def get_upload(user: User, lecture_id: int, upload_id: str) -> MediaUpload:
    return _get_upload(user, lecture_id, upload_id)[1]


def complete_upload(
    user: User, lecture_id: int, upload_id: str, parts: list[dict[str, Any]] | None
) -> MediaUpload:
    """Check the uploaded object (size, checksum, real type) and queue its processing.

    Calling it again for an upload already accepted returns it unchanged (phones retry).
    """
    from ingest.tasks import process_media

    lecture, upload = _get_upload(user, lecture_id, upload_id)
    if upload.status in {UploadStatus.PROCESSING, UploadStatus.DONE}:
        return upload
    if upload.status is not UploadStatus.PENDING:
        raise Conflict(
            f"该上传已结束（{upload.status.value}）/ This upload has ended: {upload.status.value}",
            code="upload_closed",
            details={"status": upload.status.value, "reason": upload.failure_reason},
        )
    if upload.expires_at < utcnow():
        _fail_upload(upload, "上传已过期 / The upload expired", UploadStatus.EXPIRED)
        raise Conflict(
            "上传已过期，请重新开始 / The upload expired; start again", code="upload_expired"
        )
    store = services().object_store
    if upload.multipart_id:
        chosen = None
        if parts:
            chosen = [PartInfo(p["part_number"], 0, p["etag"].strip('"')) for p in parts]
        try:
            store.complete_multipart(upload.key, upload.multipart_id, chosen)
        except InvalidUpload as exc:
            raise Invalid(
                f"分片不完整或不匹配 / The parts do not add up: {exc}", code="invalid_upload"
            ) from exc
        except ObjectNotFound:
            pass  # completed by an earlier call whose answer was lost; the head below decides
    try:
        info = store.head(upload.key)
    except ObjectNotFound:
        raise Invalid(
            "文件尚未上传 / The file has not been uploaded yet", code="not_uploaded"
        ) from None
    if info.size != upload.size:
        _fail_upload(upload, f"大小不符：声明 {upload.size}，实际 {info.size} / size mismatch")
        raise Invalid(
            "文件大小与声明不符 / The uploaded size differs from the announced size",
            code="size_mismatch",
            details={"announced": upload.size, "received": info.size},
        )
    if upload.sha256:
        digest = hashlib.sha256()
        with store.get(upload.key) as body:
            for chunk in body.chunks():
                digest.update(chunk)
        if digest.hexdigest() != upload.sha256:
            _fail_upload(upload, "SHA-256 校验失败 / checksum mismatch")
            raise Invalid(
                "文件校验和不符 / The SHA-256 checksum does not match",
                code="checksum_mismatch",
                details={"announced": upload.sha256, "received": digest.hexdigest()},
            )
    detected = sniff(upload.key, head_bytes=SNIFF_BYTES)
    if not detected.startswith(ACCEPTED_PREFIXES):
        _fail_upload(upload, f"不是音视频文件（{detected}）/ not audio or video: {detected}")
        raise UnsupportedMediaType(
            "上传的文件不是视频或音频 / The uploaded file is not video or audio",
            details={"detected_type": detected},
        )
    upload.detected_type = detected
    upload.status = UploadStatus.PROCESSING
    upload.completed_at = utcnow()
    upload.task_id = new_id()
    lecture.status = LectureStatus.PROCESSING
    db.session.commit()
    process_media.enqueue(upload.id, task_id=upload.task_id, created_by_id=user.id)
    db.session.refresh(upload)  # inline tasks (tests) have already run
    return upload


def _fail_upload(
    upload: MediaUpload, reason: str, status: UploadStatus = UploadStatus.FAILED
) -> None:
    """End an upload and delete whatever it left in storage."""
    store = services().object_store
    if upload.multipart_id:
        store.abort_multipart(upload.key, upload.multipart_id)
    store.delete(upload.key)
    upload.status = status
    upload.failure_reason = reason
    db.session.commit()


def expire_abandoned_uploads() -> int:
    """Abort uploads never completed in time, and delete what they left in storage."""
    stale = db.session.scalars(
        select(MediaUpload).where(
            MediaUpload.status == UploadStatus.PENDING, MediaUpload.expires_at < utcnow()
        )
    ).all()
    for upload in stale:
        _fail_upload(upload, "上传超时未完成 / The upload expired", UploadStatus.EXPIRED)
    return len(stale)


# --- playback --------------------------------------------------------------------------------


@dataclass
class Rendition:
    kind: str
    url: str
    content_type: str
    size: int
    bitrate: int | None
    width: int | None
    height: int | None


@dataclass
class Playback:
    microlecture_id: int
    duration_seconds: float | None
    expires_at: datetime
    renditions: list[Rendition]
    thumbnail_url: str | None
    transcript_url: str | None


PLAYABLE_ORDER = (AssetKind.MOBILE, AssetKind.ORIGINAL, AssetKind.AUDIO)


def playback(user: User, lecture_id: int) -> Playback:
    """Short-lived URLs for each rendition (smallest first), the thumbnail and the transcript."""
    lecture = get_for_viewer(user, lecture_id)
    if lecture.status is not LectureStatus.READY and not lecture.active_upload_id:
        raise Conflict(
            "视频尚未就绪 / The media is not ready yet",
            code="not_ready",
            details={"status": lecture.status.value},
        )
    store = services().object_store
    seconds = services().settings.playback_url_seconds
    assets: dict[AssetKind, MediaAsset] = {a.kind: a for a in lecture.active_assets}
    renditions = []
    expires_at = utcnow() + timedelta(seconds=seconds)
    for kind in PLAYABLE_ORDER:
        asset = assets.get(kind)
        if asset is None:
            continue
        request = store.presign_get(asset.key, expires_in=seconds)
        expires_at = request.expires_at
        renditions.append(
            Rendition(
                kind.value,
                request.url,
                asset.content_type,
                asset.size,
                asset.bitrate,
                asset.width,
                asset.height,
            )
        )
    thumbnail = assets.get(AssetKind.THUMBNAIL)
    return Playback(
        microlecture_id=lecture.id,
        duration_seconds=lecture.duration_seconds,
        expires_at=expires_at,
        renditions=renditions,
        thumbnail_url=store.presign_get(thumbnail.key, expires_in=seconds).url
        if thumbnail
        else None,
        transcript_url=(
            store.presign_get(lecture.transcript_key, expires_in=seconds).url
            if lecture.transcript_key
            else None
        ),
    )
