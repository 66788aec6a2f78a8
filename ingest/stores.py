"""Chooses the object store from settings, once, at app start."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from config import Settings
from ingest.interfaces import ObjectStore
from ingest.local_store import LocalObjectStore
from ingest.s3_store import S3ObjectStore

# Where signed URLs point outside a request (a task, the CLI) when PUBLIC_BASE_URL is unset.
FALLBACK_BASE_URL = "http://127.0.0.1:8000"


def object_store_from(
    settings: Settings, served_address: Callable[[], str | None] = lambda: None
) -> ObjectStore:
    """The configured store; `served_address` names the address the current request came to.

    The local store's URLs point at PUBLIC_BASE_URL when it is set, else at the address the
    service is actually reached at, so `make run PORT=8101` or a phone on the LAN gets links
    it can follow.
    """
    if settings.object_store == "s3":
        return S3ObjectStore(
            bucket=settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url or None,
            public_endpoint_url=settings.s3_public_endpoint_url or None,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id or None,
            secret_access_key=settings.s3_secret_access_key or None,
            addressing_style=settings.s3_addressing_style,
        )
    return LocalObjectStore(
        settings.objects_path,
        base_url=(
            (lambda: settings.public_base_url)
            if settings.public_base_url
            else (lambda: served_address() or FALLBACK_BASE_URL)
        ),
        # A key of its own, derived from the secret, so URLs cannot be confused with tokens.
        signing_key=hmac.new(
            settings.secret_key.encode(), b"jiangyun local object store", hashlib.sha256
        ).digest(),
    )
