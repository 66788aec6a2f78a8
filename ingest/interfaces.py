"""The ObjectStore interface: where media, documents and import files live, and its errors."""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import IO, Protocol


class StorageError(Exception):
    """Base of the object store's errors (vendor errors never leave an adapter)."""


class ObjectNotFound(StorageError):
    """No object (or no multipart upload) under that key."""


class StorageUnavailable(StorageError):
    """The store does not answer or refused the request for a reason of its own."""


class InvalidRange(StorageError):
    """The byte range asked for lies outside the object."""


class InvalidUpload(StorageError):
    """A multipart completion with missing, reordered, mismatched or too small parts."""


class InvalidKey(StorageError, ValueError):
    """A key that is empty, absolute, or climbs out of its folder."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str  # without quotes
    content_type: str
    last_modified: datetime


@dataclass(frozen=True)
class PartInfo:
    part_number: int
    size: int
    etag: str  # without quotes


@dataclass(frozen=True)
class PresignedRequest:
    """A URL a client calls directly, with the method and any headers it must send."""

    url: str
    method: str
    expires_at: datetime
    headers: dict[str, str]


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


class ObjectBody:
    """An open object, or a byte range of it; read it in chunks and close it."""

    def __init__(self, info: ObjectInfo, stream: Readable, start: int, end: int) -> None:
        self.info = info
        self.start = start
        self.end = end  # inclusive, as in Content-Range
        self._stream = stream

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)

    def chunks(self, size: int = 1024 * 1024) -> Iterator[bytes]:
        while chunk := self._stream.read(size):
            yield chunk

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> ObjectBody:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class ObjectStore(Protocol):
    """Objects under string keys like ``lectures/12/original.mp4``.

    Implementations: ``LocalObjectStore`` (a folder, served by the app) and ``S3ObjectStore``
    (any S3-compatible service). Every method raises ``StorageUnavailable`` when the store does
    not answer, and ``ObjectNotFound`` for a missing key or upload.
    """

    def put(
        self, key: str, stream: IO[bytes], *, content_type: str = "application/octet-stream"
    ) -> ObjectInfo:
        """Store the stream's bytes under ``key`` (replacing any object), read in chunks."""
        ...

    def get(self, key: str, *, start: int | None = None, end: int | None = None) -> ObjectBody:
        """Open the object, or bytes ``start``..``end`` inclusive; ``InvalidRange`` if outside."""
        ...

    def head(self, key: str) -> ObjectInfo:
        """Size, ETag, content type and time of the object."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; removing a missing object is not an error."""
        ...

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every object whose key starts with ``prefix``, in key order."""
        ...

    def presign_get(
        self, key: str, *, expires_in: int, download_name: str | None = None
    ) -> PresignedRequest:
        """A URL that reads the object (Range requests included) until it expires."""
        ...

    def presign_put(
        self, key: str, *, expires_in: int, size: int | None = None
    ) -> PresignedRequest:
        """A URL that stores one object at ``key`` with a single PUT until it expires; with
        ``size``, a body of any other length is refused."""
        ...

    def promote(self, source: str, target: str, *, content_type: str) -> ObjectInfo:
        """Move a checked upload from ``source`` (a staging key clients wrote) to ``target``,
        served from then on as ``content_type`` (the server's reading of its bytes) with the
        disposition ``ingest.serving`` decides; no URL issued for ``source`` reaches it."""
        ...

    def create_multipart(self, key: str, *, content_type: str = "application/octet-stream") -> str:
        """Start a multipart upload; returns its upload id."""
        ...

    def presign_part(
        self,
        key: str,
        upload_id: str,
        part_number: int,
        *,
        expires_in: int,
        size: int | None = None,
    ) -> PresignedRequest:
        """A URL that PUTs part ``part_number`` (1–10000) of the upload (of ``size`` bytes)."""
        ...

    def list_parts(self, key: str, upload_id: str) -> builtins.list[PartInfo]:
        """The parts uploaded so far, in part-number order."""
        ...

    def complete_multipart(
        self, key: str, upload_id: str, parts: builtins.list[PartInfo] | None = None
    ) -> ObjectInfo:
        """Join the parts (the given ones, or all uploaded) into the object."""
        ...

    def abort_multipart(self, key: str, upload_id: str) -> None:
        """Discard an upload and its parts; aborting a finished upload is not an error."""
        ...

    def check(self) -> None:
        """Raise ``StorageUnavailable`` unless the store answers (for /readyz)."""
        ...
