"""Microlecture playback: short-lived URLs of each rendition, the thumbnail and the transcript."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from catalog.accounts.models import User
from catalog.clock import utcnow
from catalog.database import db
from catalog.errors import (
    Conflict,
    NotFound,
)
from catalog.lectures.authoring import get_for_viewer, published_query
from catalog.lectures.models import (
    AssetKind,
    LectureStatus,
    MediaAsset,
    Microlecture,
)
from catalog.runtime import runtime


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
    store = runtime().object_store
    seconds = runtime().settings.playback_url_seconds
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


def cover_url(lecture_id: int) -> str:
    """A fresh presigned URL of a published microlecture's thumbnail (the API redirects to
    it, so lists and search hits carry a link that does not expire)."""
    lecture = db.session.scalar(published_query().where(Microlecture.id == lecture_id))
    thumbnail = (
        next((a for a in lecture.active_assets if a.kind is AssetKind.THUMBNAIL), None)
        if lecture is not None
        else None
    )
    if thumbnail is None:
        raise NotFound("没有封面 / This microlecture has no cover")
    settings = runtime().settings
    return (
        runtime()
        .object_store.presign_get(thumbnail.key, expires_in=settings.playback_url_seconds)
        .url
    )
