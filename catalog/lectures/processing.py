"""Media processing after an upload (probe, thumbnail, renditions) and the clean-up of uploads
that failed or were abandoned: the lectures' background jobs, which start no task themselves."""

from __future__ import annotations

import logging
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from catalog.background.queue import Progress, TaskFailure
from catalog.clock import utcnow
from catalog.database import db
from catalog.lectures.models import (
    AssetKind,
    LectureStatus,
    MediaAsset,
    MediaUpload,
    Microlecture,
    UploadStatus,
)
from catalog.runtime import runtime
from catalog.uploads import STAGING, save_to, staging_key
from ingest import media
from ingest.interfaces import ObjectStore

log = logging.getLogger("jiangyun.ingest")


def process_upload(upload_id: str, progress: Progress) -> dict[str, Any]:
    """Probe an uploaded file, make its thumbnail and renditions, and make it the lecture's media.

    Anything that is not audio or video, or is damaged, ends the upload ``failed`` with a
    readable reason, and every object it produced (the original too) is deleted.
    """
    upload = db.session.get(MediaUpload, upload_id)
    if upload is None:
        raise TaskFailure("上传记录不存在 / The upload record is gone")
    lecture = db.session.get(Microlecture, upload.microlecture_id)
    assert lecture is not None
    store = runtime().object_store
    settings = runtime().settings
    stored: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="jiangyun-media-") as folder:
            work = Path(folder)
            original = work / ("original" + Path(upload.key).suffix)
            save_to(upload.key, original)
            progress(10, "已下载原始文件 / original fetched")
            info = media.probe(original)
            progress(20, "已识别媒体信息 / probed")
            assets = [
                _asset(
                    lecture,
                    upload,
                    AssetKind.ORIGINAL,
                    upload.key,
                    upload.detected_type or upload.content_type,
                    upload.size,
                    info,
                )
            ]
            base = upload.key.rsplit("/", 1)[0]
            if info.has_video:
                thumb = work / "thumbnail.jpg"
                media.thumbnail(original, thumb, at_seconds=min(3.0, info.duration_seconds / 10))
                assets.append(
                    _put(
                        store,
                        stored,
                        lecture,
                        upload,
                        AssetKind.THUMBNAIL,
                        f"{base}/thumbnail.jpg",
                        thumb,
                        "image/jpeg",
                    )
                )
                progress(30, "已生成缩略图 / thumbnail made")
            if media.needs_mobile_rendition(
                info,
                max_height=settings.rendition_max_height,
                max_bitrate=settings.rendition_max_bitrate,
            ):
                mobile = work / "mobile.mp4"
                media.mobile_rendition(original, mobile, max_height=settings.rendition_max_height)
                assets.append(
                    _put(
                        store,
                        stored,
                        lecture,
                        upload,
                        AssetKind.MOBILE,
                        f"{base}/mobile.mp4",
                        mobile,
                        "video/mp4",
                    )
                )
                progress(75, "已生成移动端视频 / mobile rendition made")
            if info.has_audio:
                audio = work / "audio.m4a"
                media.audio_rendition(original, audio)
                assets.append(
                    _put(
                        store,
                        stored,
                        lecture,
                        upload,
                        AssetKind.AUDIO,
                        f"{base}/audio.m4a",
                        audio,
                        "audio/mp4",
                    )
                )
                progress(90, "已生成音频版 / audio rendition made")
    except media.MediaError as exc:
        _discard(store, upload, stored, str(exc))
        raise TaskFailure(str(exc)) from exc
    except Exception:
        _discard(store, upload, stored, "处理出错 / processing failed")
        raise

    replaced = [a for a in lecture.assets if a.upload_id != upload.id]
    for asset in assets:
        db.session.add(asset)
    for asset in replaced:
        db.session.delete(asset)
    lecture.active_upload_id = upload.id
    lecture.duration_seconds = info.duration_seconds
    lecture.status = LectureStatus.READY
    lecture.failure_reason = None
    upload.status = UploadStatus.DONE
    db.session.commit()
    for asset in replaced:  # only once the new media is in place
        store.delete(asset.key)
    return {
        "duration_seconds": info.duration_seconds,
        "width": info.width,
        "height": info.height,
        "renditions": sorted(a.kind.value for a in assets),
    }


def fail_upload(upload_id: str, reason: str) -> None:
    """An upload whose processing died (memory, time, a crash): it fails with the reason and
    everything under its folder goes (again: no change)."""
    db.session.rollback()
    upload = db.session.get(MediaUpload, upload_id)
    if upload is None or upload.status is not UploadStatus.PROCESSING:
        return
    store = runtime().object_store
    for info in store.list(upload.key.rsplit("/", 1)[0] + "/"):
        store.delete(info.key)
    _discard(store, upload, [], reason)


def end_upload(
    upload: MediaUpload, reason: str, status: UploadStatus = UploadStatus.FAILED
) -> None:
    """End an upload and delete whatever it left in storage."""
    store = runtime().object_store
    staged = staging_key(upload.key)
    if upload.multipart_id:
        store.abort_multipart(staged, upload.multipart_id)
    store.delete(staged)
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
        end_upload(upload, "上传超时未完成 / The upload expired", UploadStatus.EXPIRED)
    sweep_staging()
    return len(stale)


def sweep_staging() -> int:
    """Delete staging files older than an upload may live: covers, scans and images never
    named, and bytes PUT again to a URL after its upload was accepted (they reach nothing)."""
    store = runtime().object_store
    cutoff = utcnow() - timedelta(hours=runtime().settings.upload_expiry_hours)
    swept = 0
    for info in store.list(STAGING):
        if info.last_modified < cutoff:
            store.delete(info.key)
            swept += 1
    return swept


def _asset(
    lecture: Microlecture,
    upload: MediaUpload,
    kind: AssetKind,
    key: str,
    content_type: str,
    size: int,
    info: media.Probe,
) -> MediaAsset:
    return MediaAsset(
        microlecture_id=lecture.id,
        upload_id=upload.id,
        kind=kind,
        key=key,
        content_type=content_type,
        size=size,
        width=info.width,
        height=info.height,
        bitrate=info.bitrate,
        duration_seconds=info.duration_seconds,
        codecs={"video": info.video_codec, "audio": info.audio_codec},
    )


def _put(
    store: ObjectStore,
    stored: list[str],
    lecture: Microlecture,
    upload: MediaUpload,
    kind: AssetKind,
    key: str,
    path: Path,
    content_type: str,
) -> MediaAsset:
    with path.open("rb") as source:
        store.put(key, source, content_type=content_type)
    stored.append(key)
    if kind is AssetKind.THUMBNAIL:
        return MediaAsset(
            microlecture_id=lecture.id,
            upload_id=upload.id,
            kind=kind,
            key=key,
            content_type=content_type,
            size=path.stat().st_size,
            codecs={},
        )
    info = media.probe(path)
    return _asset(lecture, upload, kind, key, content_type, path.stat().st_size, info)


def _discard(store: ObjectStore, upload: MediaUpload, stored: list[str], reason: str) -> None:
    """Delete what this upload produced, and record why it failed."""
    db.session.rollback()
    for key in [*stored, upload.key]:
        try:
            store.delete(key)
        except Exception:  # keep going: the reason matters more than a leftover object
            log.exception("could not delete %s", key)
    upload.status = UploadStatus.FAILED
    upload.failure_reason = reason
    lecture = db.session.get(Microlecture, upload.microlecture_id)
    if lecture is not None:
        # A lecture that had media keeps playing it; one without becomes failed.
        lecture.status = LectureStatus.READY if lecture.active_upload_id else LectureStatus.FAILED
        lecture.failure_reason = reason
    db.session.commit()
