"""Instructors upload media straight to storage; it is checked, processed and played back.

Runs on both object stores: the local folder served by the app, and S3 on SeaweedFS.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalog.accounts.models import Organisation, Role
from catalog.background.models import TaskRecord, TaskStatus
from catalog.clock import utcnow
from catalog.database import db
from catalog.lectures.models import LectureStatus, MediaUpload, Microlecture, UploadStatus
from catalog.lectures.tasks import expire_uploads
from catalog.runtime import runtime
from ingest.interfaces import ObjectNotFound
from tests.support.media import Samples, upload_media
from tests.support.presigned import call_url
from tests.support.seaweedfs import s3_settings

MIB = 1024 * 1024


@pytest.fixture(params=["local", "s3"])
def app(request: pytest.FixtureRequest, make_app: Callable[..., Flask]) -> Iterator[Flask]:
    overrides = {"upload_single_max_bytes": 6 * MIB, "upload_part_bytes": 5 * MIB}
    if request.param == "s3":
        overrides.update(s3_settings(request.getfixturevalue("seaweedfs")))
    built = make_app(**overrides)
    with built.app_context():
        yield built


@pytest.fixture
def instructor(login_as: Callable[..., dict], make_org: Callable[..., Organisation]) -> dict:
    return login_as(Role.INSTRUCTOR)


def new_lecture(client: FlaskClient, headers: dict, title: str = "配电网倒闸操作") -> int:
    response = client.post(
        "/api/v1/authoring/microlectures",
        json={
            "title": title,
            "description": "十分钟讲清倒闸操作票",
            "knowledge_points": ["倒闸操作"],
        },
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


def objects_of(lecture_id: int) -> list[str]:
    """What storage holds of the lecture, staged uploads included."""
    store = runtime().object_store
    prefixes = (f"lectures/{lecture_id}/", f"staging/lectures/{lecture_id}/")
    return [o.key for prefix in prefixes for o in store.list(prefix)]


def test_single_upload_is_processed_into_renditions(
    app: Flask, client: FlaskClient, instructor: dict, samples: Samples
) -> None:
    lecture_id = new_lecture(client, instructor)
    done = upload_media(client, app, instructor, lecture_id, samples.video_720p)
    assert done.status_code == 200, done.get_json()
    upload = done.get_json()
    assert upload["status"] == "done"
    assert upload["detected_type"] == "video/mp4"
    task = client.get(f"/api/v1/tasks/{upload['task_id']}", headers=instructor).get_json()
    assert task["status"] == "done"
    assert task["progress"] == 100
    assert task["result"]["renditions"] == ["audio", "mobile", "original", "thumbnail"]
    lecture = client.get(f"/api/v1/authoring/microlectures/{lecture_id}", headers=instructor)
    assert lecture.get_json()["status"] == "ready"
    assert 2.9 < lecture.get_json()["duration_seconds"] < 3.2
    keys = objects_of(lecture_id)
    assert {k.rsplit("/", 1)[1] for k in keys} == {
        "original.mp4",
        "mobile.mp4",
        "audio.m4a",
        "thumbnail.jpg",
    }


def test_multipart_upload_with_presigned_parts(
    app: Flask, client: FlaskClient, instructor: dict, samples: Samples
) -> None:
    lecture_id = new_lecture(client, instructor)
    data = samples.video_7mib.read_bytes()
    plan = client.post(
        f"/api/v1/authoring/microlectures/{lecture_id}/media/uploads",
        json={
            "file_name": "big.mp4",
            "size": len(data),
            "content_type": "video/mp4",
            "sha256": hashlib.sha256(data).hexdigest(),
        },
        headers=instructor,
    ).get_json()
    assert plan["method"] == "multipart"
    assert [p["size"] for p in plan["parts"]] == [5 * MIB, len(data) - 5 * MIB]
    etags = []
    for part in plan["parts"]:
        start = (part["part_number"] - 1) * plan["part_size"]
        answer = call_url(app, "PUT", part["url"], data[start : start + part["size"]])
        assert answer.status == 200
        etags.append({"part_number": part["part_number"], "etag": answer.headers["ETag"]})
    uploads = f"/api/v1/authoring/microlectures/{lecture_id}/media/uploads"
    url = f"{uploads}/{plan['upload']['id']}/complete"
    done = client.post(url, json={"parts": etags}, headers=instructor)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "done"
    # A phone that lost the answer retries: nothing changes, nothing breaks.
    again = client.post(url, json={"parts": etags}, headers=instructor)
    assert again.status_code == 200
    assert again.get_json()["task_id"] == done.get_json()["task_id"]


def test_playback_urls_seek_with_range(
    app: Flask,
    client: FlaskClient,
    instructor: dict,
    samples: Samples,
    login_as: Callable[..., dict],
) -> None:
    lecture_id = new_lecture(client, instructor)
    upload_media(client, app, instructor, lecture_id, samples.video_720p)
    playback = client.get(f"/api/v1/microlectures/{lecture_id}/playback", headers=instructor)
    assert playback.status_code == 200
    body = playback.get_json()
    kinds = [r["kind"] for r in body["renditions"]]
    assert kinds == ["mobile", "original", "audio"]
    mobile = body["renditions"][0]
    assert (mobile["width"], mobile["height"]) == (852, 480)
    assert mobile["content_type"] == "video/mp4"
    seek = call_url(app, "GET", mobile["url"], headers={"Range": "bytes=1000-1999"})
    assert seek.status == 206
    assert len(seek.body) == 1000
    assert seek.headers["Content-Range"] == f"bytes 1000-1999/{mobile['size']}"
    # the local store ignores a Range that does not parse, as HTTP says (it answered 416);
    # SeaweedFS answers 416 itself, AWS S3 ignores it: the service does not see those
    backwards = call_url(app, "GET", mobile["url"], headers={"Range": "bytes=5-2"})
    if runtime().settings.object_store == "local":
        assert backwards.status == 200 and len(backwards.body) == mobile["size"]
    else:
        assert backwards.status in (200, 416)
    thumbnail = call_url(app, "GET", body["thumbnail_url"])
    assert thumbnail.body[:3] == b"\xff\xd8\xff"
    # A learner sees nothing of an unpublished lecture.
    learner = login_as(Role.LEARNER)
    assert (
        client.get(f"/api/v1/microlectures/{lecture_id}/playback", headers=learner).status_code
        == 404
    )


def test_a_body_of_another_size_than_planned_is_refused_by_the_store(
    app: Flask, client: FlaskClient, instructor: dict, samples: Samples
) -> None:
    """A 50 MiB PUT to a 1 MiB plan was stored (removed only when complete noticed): the
    presigned URL now takes exactly the planned size, on the local store and on S3."""
    lecture_id = new_lecture(client, instructor)
    data = samples.video_small.read_bytes()
    plan = client.post(
        f"/api/v1/authoring/microlectures/{lecture_id}/media/uploads",
        json={"file_name": "a.mp4", "size": len(data) + 10, "content_type": "video/mp4"},
        headers=instructor,
    ).get_json()
    for body in (data, data + b"\x00" * 1024):  # short, then long
        answer = call_url(app, "PUT", plan["url"], body, {"Content-Type": "video/mp4"})
        assert answer.status in (403, 413, 422), answer.status  # S3: the signed length differs
    completed = client.post(
        f"/api/v1/authoring/microlectures/{lecture_id}/media/uploads/"
        f"{plan['upload']['id']}/complete",
        json={},
        headers=instructor,
    )
    assert completed.status_code == 422
    assert completed.get_json()["error"]["code"] == "not_uploaded"
    assert objects_of(lecture_id) == []


def test_checksum_mismatch_is_refused(
    app: Flask, client: FlaskClient, instructor: dict, samples: Samples
) -> None:
    lecture_id = new_lecture(client, instructor)
    response = upload_media(
        client, app, instructor, lecture_id, samples.video_small, announce={"sha256": "0" * 64}
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "checksum_mismatch"
    assert objects_of(lecture_id) == []


def test_wrong_type_is_refused_by_its_bytes(
    app: Flask, client: FlaskClient, instructor: dict, samples: Samples
) -> None:
    lecture_id = new_lecture(client, instructor)
    response = upload_media(client, app, instructor, lecture_id, samples.text)
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"
    assert objects_of(lecture_id) == []
    upload = db.session.scalars(db.select(MediaUpload)).one()
    assert upload.status is UploadStatus.FAILED


def test_corrupt_media_fails_with_a_reason_and_leaves_nothing(
    app: Flask, client: FlaskClient, instructor: dict, samples: Samples
) -> None:
    lecture_id = new_lecture(client, instructor)
    response = upload_media(client, app, instructor, lecture_id, samples.corrupt)
    assert response.status_code == 200  # accepted: it looks like an MP4 until decoded
    upload = response.get_json()
    assert upload["status"] == "failed"
    assert "损坏" in upload["failure_reason"] or "无法识别" in upload["failure_reason"]
    task = client.get(f"/api/v1/tasks/{upload['task_id']}", headers=instructor).get_json()
    assert task["status"] == "failed"
    assert task["message"] == upload["failure_reason"]
    lecture = client.get(f"/api/v1/authoring/microlectures/{lecture_id}", headers=instructor)
    assert lecture.get_json()["status"] == "failed"
    assert objects_of(lecture_id) == []


def test_a_failed_replacement_keeps_the_old_media_playing(
    app: Flask, client: FlaskClient, instructor: dict, samples: Samples
) -> None:
    lecture_id = new_lecture(client, instructor)
    upload_media(client, app, instructor, lecture_id, samples.video_small)
    before = set(objects_of(lecture_id))
    upload_media(client, app, instructor, lecture_id, samples.corrupt)
    lecture = client.get(f"/api/v1/authoring/microlectures/{lecture_id}", headers=instructor)
    assert lecture.get_json()["status"] == "ready"
    assert set(objects_of(lecture_id)) == before
    assert (
        client.get(f"/api/v1/microlectures/{lecture_id}/playback", headers=instructor).status_code
        == 200
    )


def test_a_replacement_removes_the_old_media(
    app: Flask, client: FlaskClient, instructor: dict, samples: Samples
) -> None:
    lecture_id = new_lecture(client, instructor)
    first = upload_media(client, app, instructor, lecture_id, samples.video_small).get_json()
    second = upload_media(client, app, instructor, lecture_id, samples.video_720p).get_json()
    keys = objects_of(lecture_id)
    assert keys and all(f"/{second['id']}/" in k for k in keys)
    assert not any(f"/{first['id']}/" in k for k in keys)


def test_announced_size_over_the_limit_is_413(
    make_app: Callable[..., Flask], client: FlaskClient, instructor: dict
) -> None:
    lecture_id = new_lecture(client, instructor)
    response = client.post(
        f"/api/v1/authoring/microlectures/{lecture_id}/media/uploads",
        json={"file_name": "huge.mp4", "size": 5 * 1024**4, "content_type": "video/mp4"},
        headers=instructor,
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["details"]["max_bytes"] == 4 * 1024**3


def test_announced_type_that_is_not_media_is_415(client: FlaskClient, instructor: dict) -> None:
    lecture_id = new_lecture(client, instructor)
    response = client.post(
        f"/api/v1/authoring/microlectures/{lecture_id}/media/uploads",
        json={
            "file_name": "题库.xlsx",
            "size": 1000,
            "content_type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        },
        headers=instructor,
    )
    assert response.status_code == 415


def test_expired_upload_url_is_refused(
    app: Flask, client: FlaskClient, instructor: dict, samples: Samples
) -> None:
    lecture_id = new_lecture(client, instructor)
    data = samples.video_small.read_bytes()
    # The same store that signs upload plans, with a one-second lifetime.
    url = (
        runtime()
        .object_store.presign_put(f"lectures/{lecture_id}/x/original.mp4", expires_in=1)
        .url
    )
    time.sleep(2.1)
    assert call_url(app, "PUT", url, data).status == 403


def test_tampered_upload_url_is_refused(
    app: Flask, client: FlaskClient, instructor: dict, samples: Samples
) -> None:
    lecture_id = new_lecture(client, instructor)
    plan = client.post(
        f"/api/v1/authoring/microlectures/{lecture_id}/media/uploads",
        json={"file_name": "a.mp4", "size": 100, "content_type": "video/mp4"},
        headers=instructor,
    ).get_json()
    url = plan["url"]
    # Point the signed URL at another lecture's key.
    forged = url.replace(f"lectures/{lecture_id}/", f"lectures/{lecture_id + 1}/")
    assert call_url(app, "PUT", forged, b"x" * 100).status == 403
    marker = "Signature=" if "Signature=" in url else "signature="
    head, tail = url.split(marker, 1)
    tampered = head + marker + ("0" if tail[0] != "0" else "1") + tail[1:]
    assert call_url(app, "PUT", tampered, b"x" * 100).status == 403


def test_completing_before_uploading_says_so(client: FlaskClient, instructor: dict) -> None:
    lecture_id = new_lecture(client, instructor)
    plan = client.post(
        f"/api/v1/authoring/microlectures/{lecture_id}/media/uploads",
        json={"file_name": "a.mp4", "size": 100, "content_type": "video/mp4"},
        headers=instructor,
    ).get_json()
    uploads = f"/api/v1/authoring/microlectures/{lecture_id}/media/uploads"
    url = f"{uploads}/{plan['upload']['id']}/complete"
    response = client.post(url, json={}, headers=instructor)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "not_uploaded"
    assert (
        client.get(url.removesuffix("/complete"), headers=instructor).get_json()["status"]
        == "pending"
    )


def test_abandoned_uploads_expire_and_are_cleaned(
    app: Flask, client: FlaskClient, instructor: dict
) -> None:
    lecture_id = new_lecture(client, instructor)
    plan = client.post(
        f"/api/v1/authoring/microlectures/{lecture_id}/media/uploads",
        json={"file_name": "big.mp4", "size": 7 * MIB, "content_type": "video/mp4"},
        headers=instructor,
    ).get_json()
    call_url(app, "PUT", plan["parts"][0]["url"], b"x" * 5 * MIB)
    upload = db.session.get(MediaUpload, plan["upload"]["id"])
    upload.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    record = expire_uploads.enqueue()
    assert db.session.get(TaskRecord, record.id).status is TaskStatus.DONE
    db.session.refresh(upload)
    assert upload.status is UploadStatus.EXPIRED
    with pytest.raises(ObjectNotFound):
        runtime().object_store.list_parts(upload.key, upload.multipart_id)
    url = f"/api/v1/authoring/microlectures/{lecture_id}/media/uploads/{upload.id}/complete"
    assert client.post(url, json={}, headers=instructor).status_code == 409


def test_who_may_upload(
    client: FlaskClient,
    instructor: dict,
    login_as: Callable[..., dict],
    make_org: Callable[..., Organisation],
) -> None:
    lecture_id = new_lecture(client, instructor)
    path = f"/api/v1/authoring/microlectures/{lecture_id}/media/uploads"
    body = {"file_name": "a.mp4", "size": 100, "content_type": "video/mp4"}
    assert client.post(path, json=body).status_code == 401
    assert client.post(path, json=body, headers=login_as(Role.LEARNER)).status_code == 403
    # A colleague instructor may not touch it; an instructor elsewhere does not even see it.
    assert client.post(path, json=body, headers=login_as(Role.INSTRUCTOR)).status_code == 403
    other_org = make_org(code="elsewhere")
    stranger = login_as(Role.INSTRUCTOR, organisation=other_org)
    assert client.post(path, json=body, headers=stranger).status_code == 404
    # The organisation's editor may.
    assert client.post(path, json=body, headers=login_as(Role.EDITOR)).status_code == 201


def test_transcript_from_srt_is_stored_as_webvtt(
    app: Flask, client: FlaskClient, instructor: dict
) -> None:
    lecture_id = new_lecture(client, instructor)
    srt = (
        "1\n00:00:01,000 --> 00:00:03,000\n配电网运维的基本要求\n\n"
        "2\n00:00:04,000 --> 00:00:06,000\n安全第一，预防为主\n"
    )
    response = client.put(
        f"/api/v1/authoring/microlectures/{lecture_id}/transcript",
        json={"format": "srt", "content": srt},
        headers=instructor,
    )
    assert response.status_code == 200
    assert response.get_json()["has_transcript"] is True
    lecture = db.session.get(Microlecture, lecture_id)
    assert lecture.transcript_text == "配电网运维的基本要求\n安全第一，预防为主"
    with runtime().object_store.get(lecture.transcript_key) as body:
        text = body.read().decode()
    assert text.startswith("WEBVTT")
    assert "00:00:01.000 --> 00:00:03.000" in text
    bad = client.put(
        f"/api/v1/authoring/microlectures/{lecture_id}/transcript",
        json={"format": "vtt", "content": "this is not webvtt"},
        headers=instructor,
    )
    assert bad.status_code == 422
    assert lecture.status is LectureStatus.DRAFT


def test_publishing_a_microlecture_on_its_own(
    app: Flask,
    client: FlaskClient,
    instructor: dict,
    samples: Samples,
    login_as: Callable[..., dict],
) -> None:
    lecture_id = new_lecture(client, instructor)
    editor = login_as(Role.EDITOR)
    learner = login_as(Role.LEARNER)
    path = f"/api/v1/authoring/microlectures/{lecture_id}"
    not_ready = client.post(f"{path}/publish", headers=editor)
    assert not_ready.status_code == 422
    assert not_ready.get_json()["error"]["code"] == "not_ready"
    upload_media(client, app, instructor, lecture_id, samples.video_small)
    assert client.post(f"{path}/publish", headers=instructor).status_code == 403
    assert client.post(f"{path}/publish", headers=editor).get_json()["is_published"] is True
    listed = client.get("/api/v1/microlectures", headers=learner).get_json()["items"]
    assert [item["id"] for item in listed] == [lecture_id]
    assert (
        client.get(f"/api/v1/microlectures/{lecture_id}/playback", headers=learner).status_code
        == 200
    )
    client.post(f"{path}/unpublish", headers=editor)
    assert client.get(f"/api/v1/microlectures/{lecture_id}", headers=learner).status_code == 404


def test_end_to_end_upload_publish_and_play(
    app: Flask,
    client: FlaskClient,
    instructor: dict,
    samples: Samples,
    login_as: Callable[..., dict],
    make_industry: Callable,
) -> None:
    """Multipart upload → processing → a published course → a learner seeks in the video."""
    make_industry("power", "电力")
    lecture_id = new_lecture(client, instructor, title="变压器巡视")
    done = upload_media(client, app, instructor, lecture_id, samples.video_7mib)
    assert done.get_json()["status"] == "done"
    course = client.post(
        "/api/v1/authoring/courses",
        json={
            "code": "E2E-1",
            "title": "变电运维",
            "summary": "端到端测试课程",
            "objectives": ["会巡视变压器"],
            "industry": "power",
            "skill_level": 4,
            "class_hours": 2,
            "credits": 0.5,
        },
        headers=instructor,
    ).get_json()
    client.put(
        f"/api/v1/authoring/courses/{course['id']}/chapters",
        json={"chapters": [{"title": "第一章", "items": [{"microlecture_id": lecture_id}]}]},
        headers=instructor,
    )
    client.post(f"/api/v1/authoring/courses/{course['id']}/submit", headers=instructor)
    published = client.post(
        f"/api/v1/authoring/courses/{course['id']}/publish", headers=login_as(Role.EDITOR)
    )
    assert published.status_code == 200, published.get_json()

    learner = login_as(Role.LEARNER)
    assert client.put(f"/api/v1/me/courses/{course['id']}", headers=learner).status_code == 200
    detail = client.get(f"/api/v1/courses/{course['id']}", headers=learner).get_json()
    played_id = detail["chapters"][0]["microlectures"][0]["id"]
    assert played_id == lecture_id
    playback = client.get(f"/api/v1/microlectures/{played_id}/playback", headers=learner).get_json()
    mobile = playback["renditions"][0]
    assert mobile["kind"] == "mobile" and mobile["height"] == 480
    middle = mobile["size"] // 2
    seek = call_url(app, "GET", mobile["url"], headers={"Range": f"bytes={middle}-{middle + 4095}"})
    assert seek.status == 206
    assert len(seek.body) == 4096
    assert seek.headers["Content-Range"] == f"bytes {middle}-{middle + 4095}/{mobile['size']}"
    whole = call_url(app, "GET", mobile["url"])
    assert whole.body[middle : middle + 4096] == seek.body


def test_published_microlectures_are_sorted_and_paged(
    client: FlaskClient,
    make_user: Callable,
    make_lecture: Callable,
    login_as: Callable[..., dict],
) -> None:
    instructor = make_user(Role.INSTRUCTOR)
    for title, minutes in (("乙讲", 9), ("甲讲", 3), ("丙讲", 15)):
        lecture = make_lecture(instructor, title=title, duration=minutes * 60.0)
        lecture.is_published = True
        lecture.published_at = utcnow()
    db.session.commit()
    learner = login_as(Role.LEARNER)

    def titles(query: str) -> list[str]:
        page = client.get(f"/api/v1/microlectures?{query}", headers=learner).get_json()
        return [item["title"] for item in page["items"]]

    assert titles("sort=duration_seconds") == ["甲讲", "乙讲", "丙讲"]
    assert titles("sort=-duration_seconds") == ["丙讲", "乙讲", "甲讲"]
    first = client.get(
        "/api/v1/microlectures?sort=duration_seconds&limit=2", headers=learner
    ).get_json()
    rest = client.get(
        f"/api/v1/microlectures?sort=duration_seconds&limit=2&cursor={first['next_cursor']}",
        headers=learner,
    ).get_json()
    assert [i["title"] for i in first["items"] + rest["items"]] == ["甲讲", "乙讲", "丙讲"]
    assert client.get("/api/v1/microlectures?sort=secret", headers=learner).status_code == 422


@pytest.mark.parametrize("app", ["local"], indirect=True)
def test_signed_urls_follow_the_address_served_unless_one_is_set(
    app: Flask, make_app: Callable[..., Flask], login_as: Callable[..., dict]
) -> None:
    """`make run PORT=8101`, or a phone on the LAN, got links to :8000 it could not follow."""
    instructor = login_as(Role.INSTRUCTOR)
    body = {"file_name": "a.mp4", "size": 1000, "content_type": "video/mp4", "sha256": "0" * 64}

    def upload_url(client: FlaskClient, base: str) -> str:
        lecture = new_lecture(client, instructor)
        plan = client.post(
            f"/api/v1/authoring/microlectures/{lecture}/media/uploads",
            json=body,
            headers=instructor,
            base_url=base,
        )
        assert plan.status_code == 201, plan.get_json()
        return str(plan.get_json()["url"])

    served = upload_url(app.test_client(), "http://192.168.3.7:8101")
    assert served.startswith("http://192.168.3.7:8101/storage/staging/")
    fixed = make_app(public_base_url="https://learn.example.cn")
    with fixed.app_context():
        assert upload_url(fixed.test_client(), "http://10.0.0.2:8101").startswith(
            "https://learn.example.cn/storage/"
        )
