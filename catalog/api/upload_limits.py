"""One per-user limit on the upload URLs workers and assessors ask for (evidence photos and
clips, certificate scans): what they PUT waits in staging, unchecked, until something takes
it or the sweep removes it, so asking is counted."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_jwt_extended import get_jwt_identity, verify_jwt_in_request
from flask_jwt_extended.exceptions import JWTExtendedException
from flask_limiter.util import get_remote_address
from jwt import PyJWTError

from catalog.extensions import limiter


def _limit() -> str:
    return str(current_app.config["UPLOAD_URL_RATE_LIMIT"])


def _asker() -> str:
    try:
        verify_jwt_in_request()
        return f"upload-url:{get_jwt_identity()}"
    except (JWTExtendedException, PyJWTError):  # answered 401 by the view
        return f"upload-url:{get_remote_address()}"


def upload_urls_counted() -> Any:
    """The decorator: every endpoint wearing it draws on the same count per user."""
    return limiter.shared_limit(_limit, scope="upload-url", key_func=_asker)
