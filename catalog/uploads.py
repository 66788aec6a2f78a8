"""Direct-to-storage uploads shared by covers, scans, stem images and media: clients write to
a staging key with a presigned URL of the announced size; the server reads the bytes' real
type, and only a checked file moves to its final key, which no URL can write, served as the
type the server decided. A swap after the check (same URL, other bytes) reaches nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import puremagic

from catalog.errors import PayloadTooLarge, UnsupportedMediaType
from catalog.runtime import runtime
from ingest.interfaces import InvalidRange, ObjectNotFound

UNKNOWN = "application/octet-stream"
STAGING = "staging/"  # staging/<final key>: what clients may write; swept when abandoned
QUARANTINE = "quarantine/"  # quarantine/<final key>: accepted, not yet processed; never served


@dataclass
class UploadTicket:
    """Where a client PUTs one file, until when; ``key`` names it once it is there."""

    key: str
    url: str
    method: str
    expires_at: datetime


def staging_key(key: str) -> str:
    return STAGING + key


def quarantine_key(key: str) -> str:
    return QUARANTINE + key


def stored(key: str) -> bool:
    """Whether an object is at ``key``."""
    try:
        runtime().object_store.head(key)
    except ObjectNotFound:
        return False
    return True


def save_to(key: str, path: Path) -> None:
    """The stored object's bytes into a local file, chunk by chunk (raises ObjectNotFound)."""
    with runtime().object_store.get(key) as body, path.open("wb") as out:
        for chunk in body.chunks():
            out.write(chunk)


def sniff(key: str, *, head_bytes: int = 8192) -> str:
    """The stored object's real type from its first bytes (raises ObjectNotFound)."""
    try:
        with runtime().object_store.get(key, start=0, end=head_bytes - 1) as body:
            head = body.read()
    except InvalidRange:  # an empty file is no type of ours
        return UNKNOWN
    return sniff_bytes(head)


def sniff_bytes(head: bytes) -> str:
    """The real type of bytes from their first ones (never from a name or a client's word)."""
    if not head:
        return UNKNOWN
    try:
        matches = puremagic.magic_string(head[:8192])
    except puremagic.PureError:
        return UNKNOWN
    return next((str(m.mime_type) for m in matches if m.mime_type), UNKNOWN)


def plan_image(
    key: str, content_type: str, size: int, *, allowed: set[str], max_bytes: int, what: str
) -> UploadTicket:
    """A presigned PUT of exactly ``size`` bytes for an image of an allowed type; ``what``
    names it (Chinese). The client names ``key`` afterwards; the bytes go to its staging key."""
    if content_type not in allowed:
        raise UnsupportedMediaType(
            f"{what}须为图片（{'、'.join(sorted(allowed))}）/ Allowed image types: "
            + ", ".join(sorted(allowed)),
            details={"content_type": content_type},
        )
    if size > max_bytes:
        raise PayloadTooLarge(
            f"{what}不能超过 {max_bytes // (1024 * 1024)} MiB / The image is too large",
            details={"max_bytes": max_bytes},
        )
    request = runtime().object_store.presign_put(
        staging_key(key), expires_in=runtime().settings.upload_url_seconds, size=size
    )
    return UploadTicket(key, request.url, request.method, request.expires_at)


def accept_upload(
    key: str, *, allowed: set[str], max_bytes: int, refusal: str, into: str | None = None
) -> str:
    """Move the file uploaded for ``key`` there (or ``into`` another key no URL can write:
    a quarantine for files processed before anyone reads them) and check it there, served
    as its real type; then its type. The bytes are checked where no URL can write (checking
    the staging copy and then moving it let a client swap the bytes in between). Accepting
    again reads the moved object, whose type must still be allowed. A refused file is deleted
    and 415 says ``refusal``; ObjectNotFound when nothing was uploaded."""
    store, target = runtime().object_store, into or key
    try:
        existing = store.head(target)
    except ObjectNotFound:
        pass
    else:
        if existing.content_type not in allowed:  # put there by another path (an import)
            raise UnsupportedMediaType(refusal, details={"detected_type": existing.content_type})
        return existing.content_type
    staged = staging_key(key)
    detected = sniff(staged)
    if detected not in allowed:
        store.delete(staged)
        raise UnsupportedMediaType(refusal, details={"detected_type": detected})
    store.promote(staged, target, content_type=detected)
    info, confirmed = store.head(target), sniff(target)
    if confirmed != detected or info.size > max_bytes:
        store.delete(target)
        raise UnsupportedMediaType(refusal, details={"detected_type": confirmed})
    return detected
