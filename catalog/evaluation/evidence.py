"""An assessor's evidence: photos and short clips of the candidate at work. At submission
each is checked by its bytes and moved into a quarantine that no URL writes and nobody reads;
a background task, isolated with its own memory and time limits (a file built to exhaust a
decoder fails its own task, never a web request or the database), writes it again without
what the phone put in it — who took it, the phone, where and when (``ingest.scrub``) — where
it is served. One that cannot be cleared is refused and named in the history; the scores
stand without it."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from catalog.background.queue import Progress, TaskFailure
from catalog.clock import utcnow
from catalog.errors import PayloadTooLarge
from catalog.runtime import runtime
from catalog.uploads import accept_upload, quarantine_key, stored
from ingest.interfaces import ObjectNotFound
from ingest.media import MediaError
from ingest.scrub import FORMATS, scrub_clip, scrub_photo

IMAGE_TYPES = set(FORMATS)
VIDEO_TYPES = {"video/mp4"}
IMAGE_MAX_BYTES = 10 * 1024 * 1024
VIDEO_MAX_BYTES = 200 * 1024 * 1024  # a short clip from a phone
CLEAR_SECONDS = 120  # a phone's photo clears in about a second, a clip in less
REFUSAL = "证据须为照片或 MP4 视频 / Evidence is a photo or an MP4 clip"
PREFIX = "evaluation/assessments/"  # <assessment id>/evidence-<token>


def receive(key: str) -> bool:
    """Take the upload for ``key`` into quarantine, checked by its bytes (an image no larger
    than an image may be); whether it waits to be cleared (False: cleared already)."""
    if stored(key):
        return False
    held = quarantine_key(key)
    detected = accept_upload(
        key,
        allowed=IMAGE_TYPES | VIDEO_TYPES,
        max_bytes=VIDEO_MAX_BYTES,
        refusal=REFUSAL,
        into=held,
    )
    store = runtime().object_store
    if detected in IMAGE_TYPES and store.head(held).size > IMAGE_MAX_BYTES:
        store.delete(held)
        raise PayloadTooLarge("照片过大 / The photo is too large", details={"key": key})
    return True


def clear(key: str, progress: Progress) -> dict[str, Any]:
    """The job: the quarantined file written again, cleared, where it is served."""
    store, held = runtime().object_store, quarantine_key(key)
    try:
        content_type = store.head(held).content_type or ""
    except ObjectNotFound:
        return {"key": key, "cleared": stored(key)}  # a retry of a task that finished
    with tempfile.TemporaryDirectory(prefix="evidence-") as folder:
        source, target = Path(folder) / "source", Path(folder) / "target"
        with store.get(held) as body, source.open("wb") as copy:
            for chunk in body.chunks():
                copy.write(chunk)
        try:
            if content_type in IMAGE_TYPES:
                target.write_bytes(scrub_photo(source.read_bytes(), content_type))
            else:
                scrub_clip(source, target)
        except MediaError as unreadable:
            raise TaskFailure(str(unreadable)) from None
        with target.open("rb") as cleared:
            store.put(key, cleared, content_type=content_type)
    store.delete(held)
    return {"key": key, "cleared": True}


def stranded(*, older_than_seconds: int) -> list[tuple[str, str]]:
    """(assessment id, key) of evidence in quarantine longer than clearing ever takes."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    found = []
    for info in runtime().object_store.list(quarantine_key(PREFIX)):
        key = info.key.removeprefix(quarantine_key(""))
        assessment_id = key.removeprefix(PREFIX).split("/", 1)[0]
        if info.last_modified < cutoff and assessment_id:
            found.append((assessment_id, key))
    return found


def forget(key: str) -> None:
    runtime().object_store.delete(quarantine_key(key))


def shown(keys: list[str], *, cleared_only: bool) -> list[dict[str, Any]]:
    """Each piece of evidence with its state: ``cleared`` (with a download URL), ``checking``
    (still in quarantine) or ``refused``; ``cleared_only`` for those who see only the first."""
    found: list[dict[str, Any]] = []
    for key in keys:
        if stored(key):
            found.append({"key": key, "url": url(key), "status": "cleared"})
        elif not cleared_only:
            state = "checking" if stored(quarantine_key(key)) else "refused"
            found.append({"key": key, "url": None, "status": state})
    return found


def url(key: str) -> str:
    store, seconds = runtime().object_store, runtime().settings.playback_url_seconds
    return store.presign_get(key, expires_in=seconds).url
