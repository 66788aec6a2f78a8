"""Playback service: short-lived URLs of each rendition, smallest first, for whom and when."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pytest

from catalog.accounts.models import Role, User
from catalog.clock import utcnow
from catalog.database import db
from catalog.errors import Conflict, NotFound
from catalog.lectures import authoring, playback, processing, uploads
from catalog.lectures.models import LectureStatus, Microlecture
from catalog.runtime import runtime


@pytest.fixture
def people(make_user: Callable[..., User], make_lecture: Callable[..., Any]) -> Any:
    instructor = make_user(Role.INSTRUCTOR)
    return SimpleNamespace(
        instructor=instructor,
        editor=make_user(Role.EDITOR),
        learner=make_user(Role.LEARNER),
        lecture=make_lecture(instructor, ready=False),
    )


def process(people: Any, path: Path) -> None:
    """Upload ``path`` to the lecture and process it, as the media task does."""
    data = path.read_bytes()
    planned = uploads.plan_upload(
        people.instructor,
        people.lecture.id,
        file_name=path.name,
        size=len(data),
        content_type="video/mp4",
        sha256=None,
    )
    runtime().object_store.put(planned.upload.key, io.BytesIO(data), content_type="video/mp4")
    processing.process_upload(planned.upload.id, lambda percent, message=None: None)


def test_playback_offers_each_rendition_smallest_first_with_short_lived_urls(
    people: Any, samples: Any
) -> None:
    process(people, samples.video_720p)
    before = utcnow()
    played = playback.playback(people.instructor, people.lecture.id)
    assert [r.kind for r in played.renditions] == ["mobile", "original", "audio"]
    mobile = played.renditions[0]
    assert (mobile.width, mobile.height, mobile.content_type) == (852, 480, "video/mp4")
    lecture = db.session.get(Microlecture, people.lecture.id)
    assert lecture is not None
    assets = {a.kind.value: a for a in lecture.active_assets}
    for rendition in played.renditions:
        assert quote(assets[rendition.kind].key) in rendition.url
        assert rendition.size == assets[rendition.kind].size
    assert played.thumbnail_url is not None and "thumbnail.jpg" in played.thumbnail_url
    seconds = runtime().settings.playback_url_seconds
    assert before + timedelta(seconds=seconds - 5) <= played.expires_at
    assert played.expires_at <= utcnow() + timedelta(seconds=seconds + 1)
    assert played.duration_seconds is not None and 2.9 < played.duration_seconds < 3.2
    assert played.transcript_url is None
    vtt = "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n倒闸操作\n"
    authoring.set_transcript(people.instructor, people.lecture.id, format="vtt", content=vtt)
    played = playback.playback(people.instructor, people.lecture.id)
    assert played.transcript_url is not None and "transcript.vtt" in played.transcript_url


def replacing(lecture_id: int) -> None:
    """The state completing a replacement upload leaves until the media task has run."""
    lecture = db.session.get(Microlecture, lecture_id)
    assert lecture is not None and lecture.active_upload_id is not None
    lecture.status = LectureStatus.PROCESSING
    db.session.commit()


def test_learners_play_only_published_lectures_whose_media_is_ready(
    people: Any, samples: Any
) -> None:
    with pytest.raises(Conflict) as refused:
        playback.playback(people.instructor, people.lecture.id)
    assert (refused.value.code, refused.value.details) == ("not_ready", {"status": "draft"})
    process(people, samples.video_small)
    with pytest.raises(NotFound):
        playback.playback(people.learner, people.lecture.id)
    authoring.publish(people.editor, people.lecture.id)
    played = playback.playback(people.learner, people.lecture.id)
    assert played.microlecture_id == people.lecture.id
    assert [r.kind for r in played.renditions] == ["original", "audio"]  # 180p: no mobile
    assert played.thumbnail_url is not None
    replacing(people.lecture.id)  # the author keeps playing the media being replaced
    again = playback.playback(people.instructor, people.lecture.id).renditions
    assert _unsigned(again) == _unsigned(played.renditions)  # the same objects, newly signed


def _unsigned(renditions: list[Any]) -> list[Any]:
    """Renditions without their URLs' signatures: a second may tick between two signings."""
    return [dataclasses.replace(r, url=r.url.split("?", 1)[0]) for r in renditions]


def test_learners_keep_playing_a_published_lecture_while_its_replacement_is_processed(
    people: Any, samples: Any
) -> None:
    process(people, samples.video_small)
    authoring.publish(people.editor, people.lecture.id)
    before = playback.playback(people.learner, people.lecture.id).renditions
    replacing(people.lecture.id)
    assert [r.kind for r in playback.playback(people.learner, people.lecture.id).renditions] == [
        r.kind for r in before
    ]
