"""Chooses the object store from settings, once, at app start."""

from __future__ import annotations

import hashlib
import hmac

from config import Settings
from ingest.interfaces import ObjectStore
from ingest.local_store import LocalObjectStore
from ingest.s3_store import S3ObjectStore


def object_store_from(settings: Settings) -> ObjectStore:
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
        base_url=settings.public_base_url,
        # A key of its own, derived from the secret, so URLs cannot be confused with tokens.
        signing_key=hmac.new(
            settings.secret_key.encode(), b"jiangyun local object store", hashlib.sha256
        ).digest(),
    )
