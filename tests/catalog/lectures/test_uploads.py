"""Media upload services: plans, and completion checking size, checksum, real type, expiry."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from catalog.accounts.models import Role, User
from catalog.background.models import TaskRecord
from catalog.clock import utcnow
from catalog.database import db
from catalog.errors import Conflict, Invalid, PayloadTooLarge, UnsupportedMediaType
from catalog.lectures import uploads
from catalog.lectures.models import LectureStatus, MediaUpload, Microlecture, UploadStatus
from catalog.runtime import runtime
from catalog.uploads import staging_key

MIB = 1024 * 1024


@pytest.fixture
def author(make_user: Callable[..., User], make_lecture: Callable[..., Any]) -> Any:
    instructor = make_user(Role.INSTRUCTOR)
    return SimpleNamespace(user=instructor, lecture=make_lecture(instructor, ready=False))


def plan(author: Any, data: bytes, **changes: Any) -> uploads.UploadPlan:
    announced: dict[str, Any] = {
        "file_name": "倒闸操作.mp4",
        "size": len(data),
        "content_type": "video/mp4",
        "sha256": None,
        **changes,
    }
    return uploads.plan_upload(author.user, author.lecture.id, **announced)


def send(planned: uploads.UploadPlan, data: bytes) -> None:
    """What the phone does with a single-PUT plan: the bytes land under the planned key."""
    runtime().object_store.put(
        staging_key(planned.upload.key), io.BytesIO(data), content_type="video/mp4"
    )


def objects_of(lecture_id: int) -> list[str]:
    return [o.key for o in runtime().object_store.list(f"lectures/{lecture_id}/")]


def test_plans_give_small_files_one_put_large_ones_parts_and_refuse_the_rest(
    author: Any,
) -> None:
    with pytest.raises(PayloadTooLarge) as too_large:
        plan(author, b"", size=5 * 1024**4)
    assert too_large.value.details["max_bytes"] == 4 * 1024**3
    with pytest.raises(UnsupportedMediaType):
        plan(author, b"x" * 1000, file_name="题库.xlsx", content_type="application/vnd.ms-excel")
    assert db.session.scalar(select(func.count()).select_from(MediaUpload)) == 0
    small = plan(author, b"x" * 1000)
    upload = small.upload
    assert (small.method, upload.status, upload.size) == ("single", UploadStatus.PENDING, 1000)
    assert upload.key == f"lectures/{author.lecture.id}/{upload.id}/original.mp4"
    assert small.url is not None and small.parts == []
    lifetime = upload.expires_at - upload.created_at
    assert timedelta(hours=23, minutes=59) < lifetime <= timedelta(hours=24)
    size = 100 * MIB  # announced only: plans need no bytes
    large = uploads.plan_upload(
        author.user,
        author.lecture.id,
        file_name="big video.MOV",
        size=size,
        content_type="video/quicktime",
        sha256="AB" * 32,
    )
    assert large.method == "multipart" and large.upload.multipart_id
    assert large.part_size == 16 * MIB
    assert [p.part_number for p in large.parts] == list(range(1, 8))
    assert [p.size for p in large.parts] == [16 * MIB] * 6 + [4 * MIB]
    assert large.upload.key.endswith("/original.mov")
    assert large.upload.sha256 == "ab" * 32


def test_completion_checks_the_bytes_size_checksum_and_real_type_and_keeps_nothing_refused(
    author: Any, samples: Any
) -> None:
    early = plan(author, b"x" * 1000)
    with pytest.raises(Invalid) as not_yet:
        uploads.complete_upload(author.user, author.lecture.id, early.upload.id, None)
    assert not_yet.value.code == "not_uploaded"
    waiting = uploads.get_upload(author.user, author.lecture.id, early.upload.id)
    assert waiting.status is UploadStatus.PENDING  # the phone may still send the bytes
    video = samples.video_small.read_bytes()
    cases: list[tuple[bytes, dict[str, Any], type[Exception], str]] = [
        (video, {"size": len(video) + 10}, Invalid, "size_mismatch"),
        (video, {"sha256": "0" * 64}, Invalid, "checksum_mismatch"),
        (samples.text.read_bytes(), {}, UnsupportedMediaType, "unsupported_media_type"),
    ]
    for data, announced, error, code in cases:
        planned = plan(author, data, **announced)
        send(planned, data)
        with pytest.raises(error) as refused:
            uploads.complete_upload(author.user, author.lecture.id, planned.upload.id, None)
        assert refused.value.code == code
        ended = db.session.get(MediaUpload, planned.upload.id)
        assert ended is not None and ended.status is UploadStatus.FAILED, code
        assert ended.failure_reason
    assert objects_of(author.lecture.id) == []
    lecture = db.session.get(Microlecture, author.lecture.id)
    assert lecture is not None and lecture.status is LectureStatus.DRAFT


def test_completing_again_returns_the_accepted_upload_unchanged(author: Any, samples: Any) -> None:
    data = samples.video_small.read_bytes()
    planned = plan(author, data, sha256=hashlib.sha256(data).hexdigest())
    send(planned, data)
    done = uploads.complete_upload(author.user, author.lecture.id, planned.upload.id, None)
    assert (done.status, done.detected_type) == (UploadStatus.DONE, "video/mp4")
    tasks = db.session.scalar(select(func.count()).select_from(TaskRecord))
    again = uploads.complete_upload(author.user, author.lecture.id, planned.upload.id, None)
    assert (again.status, again.task_id, again.completed_at) == (
        UploadStatus.DONE,
        done.task_id,
        done.completed_at,
    )
    assert db.session.scalar(select(func.count()).select_from(TaskRecord)) == tasks  # no rerun
    lecture = db.session.get(Microlecture, author.lecture.id)
    assert lecture is not None and lecture.status is LectureStatus.READY


def test_an_expired_upload_cannot_be_completed(
    author: Any, samples: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = samples.video_small.read_bytes()
    planned = plan(author, data)
    send(planned, data)
    later = utcnow() + timedelta(hours=24, minutes=1)
    monkeypatch.setattr("catalog.lectures.uploads.utcnow", lambda: later)
    with pytest.raises(Conflict) as expired:
        uploads.complete_upload(author.user, author.lecture.id, planned.upload.id, None)
    assert expired.value.code == "upload_expired"
    upload = db.session.get(MediaUpload, planned.upload.id)
    assert upload is not None and upload.status is UploadStatus.EXPIRED
    assert objects_of(author.lecture.id) == []
    with pytest.raises(Conflict) as closed:
        uploads.complete_upload(author.user, author.lecture.id, planned.upload.id, None)
    assert closed.value.code == "upload_closed"
    assert closed.value.details["status"] == "expired"
