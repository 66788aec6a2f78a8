"""A real headless Chromium (Debian's package, never a downloaded browser) driven by
Playwright, against the app served on loopback by a threaded WSGI server."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT_ROOT / "var" / "screenshots"
PHONE = {"width": 360, "height": 740}
CHROMIUM_FLAGS = [
    "--no-sandbox",  # the tests run as root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # this machine's network is closed: no calls home, no component updates
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it with apt-get)")
    return found


def closing(app: Flask) -> Callable[[dict[str, Any], Any], Iterator[bytes]]:
    """The app's answers closed however the connection ends. Werkzeug's development server
    skips ``close()`` when the browser resets a connection mid-answer (its drain of the
    socket raises first): a video the player stopped fetching left its file open, and the
    ResourceWarning failed a test now and then. A generator's ``finally`` runs even when it
    is only collected."""

    def answer(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        inner = app(environ, start_response)
        try:
            yield from inner
        finally:
            close = getattr(inner, "close", None)
            if close is not None:
                close()

    return answer


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """The app on 127.0.0.1 on a free port, many requests at once, as gunicorn would."""
    server = make_server("127.0.0.1", 0, closing(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
