"""Serves the web app's shell and assets with a strict Content-Security-Policy.

No build step: the files under ``static/`` are what the phone runs. Assets are revalidated on
each load (ETag → 304) and cached by the service worker, whose cache is named after a digest
of every asset, so a new release replaces the old shell in one step.
"""

from __future__ import annotations

import hashlib
import mimetypes
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, request
from werkzeug.security import safe_join

from catalog.runtime import runtime

STATIC = Path(__file__).with_name("static")

blp = Blueprint("web", __name__)


@cache
def release() -> str:
    """A digest of every asset: the service worker's cache name changes when any file does."""
    digest = hashlib.sha256()
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(STATIC).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def content_security_policy() -> str:
    """Scripts, styles and workers only from this origin, no inline script or style; media,
    images and API calls from here and from where signed storage URLs point."""
    settings = runtime().settings
    storage = " ".join(
        sorted(
            {
                f"{parts.scheme}://{parts.netloc}"
                for url in (
                    settings.public_base_url,
                    settings.s3_public_endpoint_url or settings.s3_endpoint_url
                    if settings.object_store == "s3"
                    else "",
                )
                if url and (parts := urlsplit(url)).netloc
            }
        )
    )
    sources = f"'self' {storage}".strip()
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {sources} data: blob:",
            f"media-src {sources} blob:",
            f"connect-src {sources}",
            "worker-src 'self'",
            "manifest-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        ]
    )


def _served(response: Response, *, cache_control: str = "no-cache") -> Response:
    response.headers["Content-Security-Policy"] = content_security_policy()
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = cache_control
    return response


def _file(filename: str, mimetype: str | None = None) -> Response:
    """A small asset from memory with its ETag (304 when unchanged); a path outside the
    folder, or no such file, is a 404. Bytes, not a file stream: the compression layer
    compresses them without holding a file open."""
    path = safe_join(str(STATIC), filename)
    if path is None or not Path(path).is_file():
        abort(404)
    body = Path(path).read_bytes()
    response = Response(body, mimetype=mimetype or mimetypes.guess_type(path)[0])
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.make_conditional(request)
    return _served(response)


@blp.get("/")
def shell() -> Response:
    """The app's one page; the router draws every screen inside it."""
    return _file("index.html")


@blp.get("/app/<path:filename>")
def asset(filename: str) -> Response:
    if filename == "sw.js":
        abort(404)  # served at /sw.js only, with its release filled in
    return _file(filename, "text/javascript" if filename.endswith(".js") else None)


@blp.get("/manifest.webmanifest")
def manifest() -> Response:
    return _file("manifest.webmanifest", "application/manifest+json")


@blp.get("/sw.js")
def service_worker() -> Response:
    """At the root, so it controls the whole app; its release names its cache."""
    body = (STATIC / "sw.js").read_text(encoding="utf-8").replace("__RELEASE__", release())
    response = Response(body, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    return _served(response, cache_control="no-cache, max-age=0")
