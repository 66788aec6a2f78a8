"""Microlecture uploads: presigned plans (one PUT or multipart parts), and completion, which
checks size, checksum and real type, then queues processing."""

from __future__ import annotations

import hashlib
import math
import posixpath
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update

from catalog.accounts.models import User
from catalog.clock import utcnow
from catalog.database import db, new_id
from catalog.errors import (
    Conflict,
    Invalid,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from catalog.lectures import processing
from catalog.lectures.authoring import get_for_editing
from catalog.lectures.models import (
    LectureStatus,
    MediaUpload,
    Microlecture,
    UploadStatus,
)
from catalog.lectures.tasks import process_media
from catalog.runtime import runtime
from catalog.uploads import sniff, staging_key, stored
from ingest.interfaces import InvalidUpload, ObjectNotFound, PartInfo, PresignedRequest

SNIFF_BYTES = 8192


ACCEPTED_PREFIXES = ("video/", "audio/")


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
    settings = runtime().settings
    store = runtime().object_store
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
    staged = staging_key(upload.key)  # clients write here; only the checked file moves on
    expires_in = settings.upload_url_seconds
    if size <= settings.upload_single_max_bytes:
        request: PresignedRequest = store.presign_put(staged, expires_in=expires_in, size=size)
        db.session.commit()
        return UploadPlan(
            upload, "single", request.expires_at, url=request.url, headers=request.headers
        )
    part_size = settings.upload_part_bytes
    count = math.ceil(size / part_size)
    upload.multipart_id = store.create_multipart(staged, content_type=content_type)
    upload.part_size = part_size
    parts = []
    expires_at = utcnow() + timedelta(seconds=expires_in)
    for number in range(1, count + 1):
        part = min(part_size, size - (number - 1) * part_size)
        request = store.presign_part(
            staged, upload.multipart_id, number, expires_in=expires_in, size=part
        )
        expires_at = request.expires_at
        parts.append(PartPlan(number, request.url, part))
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


def _check_received(upload: MediaUpload, detected: str) -> None:
    """The promoted file is what was announced: its size, its checksum, audio or video of the
    type read before it moved. Otherwise it is deleted and the upload ends failed."""
    store = runtime().object_store
    info = store.head(upload.key)

    def refuse(reason: str, error: Exception) -> None:
        store.delete(upload.key)
        processing.end_upload(upload, reason)
        raise error

    if info.size != upload.size:
        refuse(
            f"大小不符：声明 {upload.size}，实际 {info.size} / size mismatch",
            Invalid(
                "文件大小与声明不符 / The uploaded size differs from the announced size",
                code="size_mismatch",
                details={"announced": upload.size, "received": info.size},
            ),
        )
    if upload.sha256:
        digest = hashlib.sha256()
        with store.get(upload.key) as body:
            for chunk in body.chunks():
                digest.update(chunk)
        if digest.hexdigest() != upload.sha256:
            refuse(
                "SHA-256 校验失败 / checksum mismatch",
                Invalid(
                    "文件校验和不符 / The SHA-256 checksum does not match",
                    code="checksum_mismatch",
                    details={"announced": upload.sha256, "received": digest.hexdigest()},
                ),
            )
    confirmed = sniff(upload.key, head_bytes=SNIFF_BYTES)
    if not detected.startswith(ACCEPTED_PREFIXES) or confirmed != detected:
        refuse(
            f"不是音视频文件（{confirmed}）/ not audio or video: {confirmed}",
            UnsupportedMediaType(
                "上传的文件不是视频或音频 / The uploaded file is not video or audio",
                details={"detected_type": confirmed},
            ),
        )


def complete_upload(
    user: User, lecture_id: int, upload_id: str, parts: list[dict[str, Any]] | None
) -> MediaUpload:
    """Check the uploaded object (size, checksum, real type) and queue its processing.

    Calling it again for an upload already accepted returns it unchanged (phones retry).
    """
    lecture, upload = _get_upload(user, lecture_id, upload_id)
    # One completion at a time per upload: parallel retries wait, then find it accepted. An
    # UPDATE locks the row on PostgreSQL and takes the write lock on SQLite (which has no
    # row locks: a SELECT … FOR UPDATE there let two calls through).
    db.session.execute(
        update(MediaUpload).where(MediaUpload.id == upload.id).values(status=MediaUpload.status)
    )
    db.session.refresh(upload)
    if upload.status in {UploadStatus.PROCESSING, UploadStatus.DONE}:
        return upload
    if upload.status is not UploadStatus.PENDING:
        raise Conflict(
            f"该上传已结束（{upload.status.value}）/ This upload has ended: {upload.status.value}",
            code="upload_closed",
            details={"status": upload.status.value, "reason": upload.failure_reason},
        )
    if upload.expires_at < utcnow():
        processing.end_upload(upload, "上传已过期 / The upload expired", UploadStatus.EXPIRED)
        raise Conflict(
            "上传已过期，请重新开始 / The upload expired; start again", code="upload_expired"
        )
    store = runtime().object_store
    staged = staging_key(upload.key)
    if upload.multipart_id:
        chosen = None
        if parts:
            chosen = [PartInfo(p["part_number"], 0, p["etag"].strip('"')) for p in parts]
        try:
            store.complete_multipart(staged, upload.multipart_id, chosen)
        except InvalidUpload as exc:
            raise Invalid(
                f"分片不完整或不匹配 / The parts do not add up: {exc}", code="invalid_upload"
            ) from exc
        except ObjectNotFound:
            pass  # completed by an earlier call whose answer was lost; the head below decides
    try:
        detected = sniff(staged, head_bytes=SNIFF_BYTES)
        # The bytes move where no URL reaches before they are checked: a PUT racing this
        # call writes a new staging file, never the one checked and served.
        store.promote(staged, upload.key, content_type=detected)
    except ObjectNotFound:
        if stored(upload.key):  # a parallel retry moved it first: its answer is this one's
            db.session.rollback()
            db.session.refresh(upload)
            return upload
        raise Invalid(
            "文件尚未上传 / The file has not been uploaded yet", code="not_uploaded"
        ) from None
    _check_received(upload, detected)
    upload.detected_type = detected
    upload.status = UploadStatus.PROCESSING
    upload.completed_at = utcnow()
    upload.task_id = new_id()
    lecture.status = LectureStatus.PROCESSING
    db.session.commit()
    process_media.enqueue(upload.id, task_id=upload.task_id, created_by_id=user.id)
    db.session.refresh(upload)  # inline tasks (tests) have already run
    return upload
