"""Processing real media: renditions, damaged files, replacements, abandoned uploads."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from catalog.accounts.models import Role, User
from catalog.background.queue import TaskFailure
from catalog.clock import utcnow
from catalog.database import db
from catalog.lectures import processing, uploads
from catalog.lectures.models import (
    AssetKind,
    LectureStatus,
    MediaUpload,
    Microlecture,
    UploadStatus,
)
from catalog.runtime import runtime
from catalog.uploads import staging_key
from ingest.interfaces import ObjectNotFound
from ingest.local_store import LocalObjectStore

MIB = 1024 * 1024


@pytest.fixture
def author(make_user: Callable[..., User], make_lecture: Callable[..., Any]) -> Any:
    instructor = make_user(Role.INSTRUCTOR)
    return SimpleNamespace(user=instructor, lecture=make_lecture(instructor, ready=False))


def uploaded(author: Any, path: Path) -> str:
    """An upload of ``path`` whose bytes are in storage (planned, sent, not yet processed)."""
    data = path.read_bytes()
    planned = uploads.plan_upload(
        author.user,
        author.lecture.id,
        file_name=path.name,
        size=len(data),
        content_type="video/mp4",
        sha256=None,
    )
    runtime().object_store.put(planned.upload.key, io.BytesIO(data), content_type="video/mp4")
    return str(planned.upload.id)


def objects_of(lecture_id: int) -> set[str]:
    return {o.key for o in runtime().object_store.list(f"lectures/{lecture_id}/")}


class Reported:
    def __init__(self) -> None:
        self.steps: list[int] = []

    def __call__(self, percent: int, message: str | None = None) -> None:
        self.steps.append(percent)


def lecture_of(author: Any) -> Microlecture:
    lecture = db.session.get(Microlecture, author.lecture.id)
    assert lecture is not None
    db.session.refresh(lecture)
    return lecture


def test_a_processed_upload_becomes_the_lectures_media(author: Any, samples: Any) -> None:
    upload_id = uploaded(author, samples.video_small)
    progress = Reported()
    result = processing.process_upload(upload_id, progress)
    assert result["renditions"] == ["audio", "original", "thumbnail"]  # 180p needs no mobile
    assert (result["width"], result["height"]) == (320, 180)
    assert progress.steps == sorted(progress.steps) and progress.steps[-1] == 90
    lecture = lecture_of(author)
    assert (lecture.status, lecture.active_upload_id) == (LectureStatus.READY, upload_id)
    assert lecture.duration_seconds is not None and 1.9 < lecture.duration_seconds < 2.2
    assert sorted(a.kind for a in lecture.active_assets) == [
        AssetKind.AUDIO,
        AssetKind.ORIGINAL,
        AssetKind.THUMBNAIL,
    ]
    assert {a.key for a in lecture.active_assets} == objects_of(lecture.id)
    upload = db.session.get(MediaUpload, upload_id)
    assert upload is not None and upload.status is UploadStatus.DONE


def test_a_damaged_file_ends_the_upload_failed_and_leaves_nothing_in_storage(
    author: Any, samples: Any
) -> None:
    upload_id = uploaded(author, samples.corrupt)
    with pytest.raises(TaskFailure) as failed:
        processing.process_upload(upload_id, Reported())
    upload = db.session.get(MediaUpload, upload_id)
    assert upload is not None
    db.session.refresh(upload)
    assert upload.status is UploadStatus.FAILED
    assert upload.failure_reason == str(failed.value)
    lecture = lecture_of(author)
    assert (lecture.status, lecture.failure_reason) == (LectureStatus.FAILED, str(failed.value))
    assert lecture.assets == []
    assert objects_of(lecture.id) == set()


def test_a_replacement_takes_over_only_once_processed_and_then_deletes_the_old_media(
    author: Any, samples: Any
) -> None:
    first = uploaded(author, samples.video_small)
    processing.process_upload(first, Reported())
    playing = objects_of(author.lecture.id)
    damaged = uploaded(author, samples.corrupt)
    with pytest.raises(TaskFailure):
        processing.process_upload(damaged, Reported())
    lecture = lecture_of(author)
    assert (lecture.status, lecture.active_upload_id) == (LectureStatus.READY, first)
    assert lecture.failure_reason  # the author learns why the replacement failed
    assert objects_of(lecture.id) == playing
    second = uploaded(author, samples.video_small)
    processing.process_upload(second, Reported())
    lecture = lecture_of(author)
    assert (lecture.active_upload_id, lecture.failure_reason) == (second, None)
    assert {a.upload_id for a in lecture.assets} == {second}
    keys = objects_of(lecture.id)
    assert keys and not keys & playing
    assert all(f"/{second}/" in key for key in keys)


def test_abandoned_uploads_expire_and_leave_nothing_in_storage(
    author: Any, samples: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = runtime().object_store
    single = uploaded(author, samples.video_small)
    parts = uploads.plan_upload(
        author.user,
        author.lecture.id,
        file_name="big.mp4",
        size=100 * MIB,  # announced: a multipart upload, abandoned after its first part
        content_type="video/mp4",
        sha256=None,
    ).upload
    assert isinstance(store, LocalObjectStore) and parts.multipart_id  # the tests' store
    store.put_part(staging_key(parts.key), parts.multipart_id, 1, io.BytesIO(b"x" * 1024))
    assert processing.expire_abandoned_uploads() == 0  # not yet
    later = utcnow() + timedelta(hours=24, minutes=1)
    recent = uploaded(author, samples.video_small)  # planned later: still within its day
    db.session.get(MediaUpload, recent).expires_at = later + timedelta(hours=1)
    db.session.commit()
    monkeypatch.setattr("catalog.lectures.processing.utcnow", lambda: later)
    assert processing.expire_abandoned_uploads() == 2
    for upload_id in (single, parts.id):
        upload = db.session.get(MediaUpload, upload_id)
        assert upload is not None and upload.status is UploadStatus.EXPIRED
    with pytest.raises(ObjectNotFound):
        store.list_parts(parts.key, parts.multipart_id)
    recent_upload = db.session.get(MediaUpload, recent)
    assert recent_upload is not None and recent_upload.status is UploadStatus.PENDING
    assert objects_of(author.lecture.id) == {recent_upload.key}
    assert processing.expire_abandoned_uploads() == 0  # once
