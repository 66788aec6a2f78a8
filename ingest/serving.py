"""How stored objects are served, decided by the server for every store: only types a browser
shows harmlessly are shown inline; everything else (PDF, archives, reports, unknown media) is
an attachment, and no response lets a browser guess another type."""

from __future__ import annotations

from urllib.parse import quote

INLINE_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/gif",
        "video/mp4",
        "audio/mp4",
        "audio/mpeg",
        "text/vtt",
    }
)
# What every response of the local store carries (S3 is told the type and disposition).
SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'; media-src 'self'; img-src 'self'",
}


def base_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def disposition(content_type: str, download_name: str | None = None) -> str:
    """``inline`` for the harmless types (unless a download is asked), else ``attachment``."""
    if download_name is None and base_type(content_type) in INLINE_TYPES:
        return "inline"
    if not download_name:
        return "attachment"
    ascii_name = download_name.encode("ascii", "ignore").decode().replace('"', "") or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(download_name)}"
