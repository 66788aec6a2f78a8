"""Media for upload tests: sample files made once per session, and uploading one to a lecture."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from ingest import media
from tests.support.presigned import call_url


@dataclass(frozen=True)
class Samples:
    video_720p: Path  # 3 s, H.264/AAC, needs a 480p rendition
    video_small: Path  # 2 s, 320x180: no mobile rendition needed
    video_7mib: Path  # 4 s at 14 Mb/s: two 5 MiB parts
    corrupt: Path  # an MP4 header followed by garbage
    text: Path  # not media at all


def make_samples(folder: Path) -> Samples:
    found = Samples(
        video_720p=folder / "lecture-720p.mp4",
        video_small=folder / "lecture-small.mp4",
        video_7mib=folder / "lecture-big.mp4",
        corrupt=folder / "corrupt.mp4",
        text=folder / "notes.mp4",
    )
    media.sample_video(found.video_720p, seconds=3, width=1280, height=720)
    media.sample_video(found.video_small, seconds=2, width=320, height=180, video_bitrate=300_000)
    media.sample_video(
        found.video_7mib, seconds=4, width=1280, height=720, video_bitrate=14_000_000
    )
    mp4_header = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    found.corrupt.write_bytes(mp4_header + os.urandom(60_000))
    found.text.write_bytes("配电网运维规程：第一章 总则。\n".encode() * 2000)
    return found


def upload_media(
    client: FlaskClient,
    app: Flask,
    headers: dict[str, str],
    lecture_id: int,
    path: Path,
    *,
    content_type: str = "video/mp4",
    announce: dict[str, Any] | None = None,
    body: bytes | None = None,
) -> TestResponse:
    """Plan an upload, send the bytes to the presigned URL(s), complete it; returns the response."""
    data = path.read_bytes() if body is None else body
    plan_body = {"file_name": path.name, "size": len(data), "content_type": content_type}
    plan_body.update(announce or {})
    plan = client.post(
        f"/api/v1/authoring/microlectures/{lecture_id}/media/uploads",
        json=plan_body,
        headers=headers,
    )
    assert plan.status_code == 201, plan.get_json()
    plan_json = plan.get_json()
    if plan_json["method"] == "single":
        answer = call_url(app, "PUT", plan_json["url"], data, {"Content-Type": content_type})
        assert answer.status == 200, answer.body[:300]
    else:
        for part in plan_json["parts"]:
            start = (part["part_number"] - 1) * plan_json["part_size"]
            chunk = data[start : start + part["size"]]
            answer = call_url(app, "PUT", part["url"], chunk)
            assert answer.status == 200, answer.body[:300]
    upload_id = plan_json["upload"]["id"]
    return client.post(
        f"/api/v1/authoring/microlectures/{lecture_id}/media/uploads/{upload_id}/complete",
        json={},
        headers=headers,
    )
