"""Direct-to-storage uploads shared by covers, stem images and media: plans and real types."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import puremagic

from catalog.errors import PayloadTooLarge, UnsupportedMediaType
from catalog.runtime import runtime

UNKNOWN = "application/octet-stream"


@dataclass
class UploadTicket:
    """Where a client PUTs one file, until when."""

    key: str
    url: str
    method: str
    expires_at: datetime


def sniff(key: str, *, head_bytes: int = 8192) -> str:
    """The stored object's real type from its first bytes (raises ObjectNotFound)."""
    with runtime().object_store.get(key, start=0, end=head_bytes - 1) as body:
        head = body.read()
    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        return UNKNOWN
    return next((str(m.mime_type) for m in matches if m.mime_type), UNKNOWN)


def plan_image(
    key: str, content_type: str, size: int, *, allowed: set[str], max_bytes: int, what: str
) -> UploadTicket:
    """A presigned PUT for an image of an allowed type and size; ``what`` names it (Chinese)."""
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
        key, expires_in=runtime().settings.upload_url_seconds
    )
    return UploadTicket(key, request.url, request.method, request.expires_at)


def accept_upload(key: str, *, allowed: set[str], max_bytes: int, refusal: str) -> str:
    """The uploaded object's real type, if allowed and small enough; otherwise the object is
    deleted and 415 says ``refusal`` (raises ObjectNotFound when nothing was uploaded)."""
    store = runtime().object_store
    info = store.head(key)
    detected = sniff(key)
    if detected not in allowed or info.size > max_bytes:
        store.delete(key)
        raise UnsupportedMediaType(refusal, details={"detected_type": detected})
    return detected
