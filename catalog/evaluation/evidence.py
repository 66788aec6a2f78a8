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

from catalog.background.queue import Progress
from catalog.clock import utcnow
from catalog.database import db
from catalog.errors import PayloadTooLarge
from catalog.evaluation.models import Assessment
from catalog.runtime import runtime
from catalog.uploads import accept_upload, quarantine_key, save_to, stored
from ingest.interfaces import ObjectNotFound
from ingest.media import MediaError
from ingest.scrub import FORMATS, scrub_clip, scrub_photo

IMAGE_TYPES = set(FORMATS)
VIDEO_TYPES = {"video/mp4"}
IMAGE_MAX_BYTES = 10 * 1024 * 1024
VIDEO_MAX_BYTES = 200 * 1024 * 1024  # a short clip from a phone
CLEAR_SECONDS = 120  # for a whole submission: a phone's photo clears in about a second
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


def clear(keys: list[str], progress: Progress) -> dict[str, Any]:
    """The job: a submission's quarantined files written again, cleared, where they are
    served; those that cannot be, with why (the parent refuses them)."""
    refused: dict[str, str] = {}
    for done, key in enumerate(keys):
        try:
            _clear_one(key)
        except MediaError as unreadable:
            refused[key] = str(unreadable)
        progress(100 * (done + 1) // len(keys))
    return {"cleared": [k for k in keys if k not in refused], "refused": refused}


def _clear_one(key: str) -> None:
    store, held = runtime().object_store, quarantine_key(key)
    try:
        content_type = store.head(held).content_type or ""
    except ObjectNotFound:
        return  # a retry of a task that got this far
    with tempfile.TemporaryDirectory(prefix="evidence-") as folder:
        source, target = Path(folder) / "source", Path(folder) / "target"
        save_to(held, source)
        if content_type in IMAGE_TYPES:
            target.write_bytes(scrub_photo(source.read_bytes(), content_type))
        else:
            scrub_clip(source, target)
        with target.open("rb") as cleared:
            store.put(key, cleared, content_type=content_type)
    store.delete(held)


def stranded(*, older_than_seconds: int) -> list[tuple[str, str]]:
    """(assessment id, key) of evidence submitted longer ago than clearing ever takes and
    still in quarantine (its worker lost, its task never queued). Quarantined files no
    submission names (one refused after its evidence was taken in) are deleted."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    found = []
    for info in runtime().object_store.list(quarantine_key(PREFIX)):
        key = info.key.removeprefix(quarantine_key(""))
        assessment = db.session.get(Assessment, key.removeprefix(PREFIX).split("/", 1)[0])
        named = assessment is not None and key in (assessment.evidence_keys or [])
        if named and assessment is not None and assessment.submitted_at is not None:
            if assessment.submitted_at < cutoff:
                found.append((assessment.id, key))
        elif info.last_modified < cutoff:
            forget(key)
    return found


def waiting(key: str) -> bool:
    return stored(quarantine_key(key))


def forget(key: str, *, cleared_too: bool = False) -> None:
    store = runtime().object_store
    store.delete(quarantine_key(key))
    if cleared_too:
        store.delete(key)


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
