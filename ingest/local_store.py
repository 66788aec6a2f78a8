"""LocalObjectStore: objects in a folder, with presigned URLs served by the app itself.

The folder holds each object at its key, its metadata under ``.meta/`` and unfinished multipart
uploads under ``.uploads/``. Presigned URLs point at the app's ``/storage/<key>`` route and carry
an HMAC-SHA256 signature bound to the method, the key, the expiry and (for parts) the upload and
part number, so a phone uses them exactly as it would use S3's.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO
from urllib.parse import quote, urlencode

from ingest.interfaces import (
    InvalidKey,
    InvalidRange,
    InvalidUpload,
    ObjectBody,
    ObjectInfo,
    ObjectNotFound,
    PartInfo,
    PresignedRequest,
    StorageError,
    StorageUnavailable,
)

CHUNK = 1024 * 1024
MIN_PART_BYTES = 5 * 1024 * 1024  # as S3: every part but the last
MAX_PART_NUMBER = 10_000
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,1023}$")
_UPLOAD_ID = re.compile(r"^[a-f0-9]{32}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
SIGNED_PARAMETERS = frozenset({"expires", "download", "uploadId", "partNumber", "size"})


class SignatureInvalid(StorageError):
    """A presigned URL whose signature does not match (tampered, or for another method/key)."""


class SignatureExpired(StorageError):
    """A presigned URL used after its expiry."""


def _check_key(key: str) -> str:
    parts = key.split("/")
    if not _KEY.match(key) or any(p in {"", ".", ".."} or p.startswith(".") for p in parts):
        raise InvalidKey(f"invalid object key: {key!r}")
    return key


class LocalObjectStore:
    def __init__(
        self,
        root: Path,
        *,
        base_url: str | Callable[[], str],
        signing_key: bytes,
        url_prefix: str = "/storage",
    ) -> None:
        self.root = root
        # A fixed address, or one asked for at each signing (the address a request came to).
        self._base_url = base_url if callable(base_url) else (lambda: base_url)
        self.url_prefix = url_prefix
        self._signing_key = signing_key

    @property
    def base_url(self) -> str:
        return self._base_url()

    # --- paths -----------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def _meta_path(self, key: str) -> Path:
        return self.root / ".meta" / f"{_check_key(key)}.json"

    def _upload_dir(self, upload_id: str) -> Path:
        if not _UPLOAD_ID.match(upload_id):
            raise ObjectNotFound(f"no multipart upload {upload_id!r}")
        return self.root / ".uploads" / upload_id

    def path_for(self, key: str) -> Path:
        """The file holding the object (for serving with ``send_file``)."""
        path = self._path(key)
        if not path.is_file():
            raise ObjectNotFound(key)
        return path

    # --- objects ---------------------------------------------------------------------------

    def _write(
        self, key: str, chunks: Iterator[bytes], content_type: str, etag: str | None
    ) -> ObjectInfo:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.md5(usedforsecurity=False)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, prefix=".tmp-") as tmp:
                try:
                    for chunk in chunks:
                        digest.update(chunk)
                        tmp.write(chunk)
                except BaseException:
                    tmp.close()
                    Path(tmp.name).unlink(missing_ok=True)
                    raise
            Path(tmp.name).replace(path)
            meta = {"content_type": content_type, "etag": etag or digest.hexdigest()}
            _replace_text(self._meta_path(key), json.dumps(meta))
        except OSError as exc:
            raise StorageUnavailable(f"local store cannot write {key}: {exc}") from exc
        return self.head(key)

    def put(
        self, key: str, stream: IO[bytes], *, content_type: str = "application/octet-stream"
    ) -> ObjectInfo:
        return self._write(key, iter(lambda: stream.read(CHUNK), b""), content_type, None)

    def put_bounded(
        self, key: str, stream: IO[bytes], size: int, *, content_type: str
    ) -> ObjectInfo:
        """What a presigned PUT with a size does: exactly ``size`` bytes, or ``TooLarge`` /
        ``InvalidUpload`` and nothing kept."""
        return self._write(key, _bounded(stream, size), content_type, None)

    def head(self, key: str) -> ObjectInfo:
        path = self._path(key)
        try:
            stat = path.stat()
            meta = json.loads(self._meta_path(key).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ObjectNotFound(key) from None
        except OSError as exc:
            raise StorageUnavailable(str(exc)) from exc
        return ObjectInfo(
            key=key,
            size=stat.st_size,
            etag=meta["etag"],
            content_type=meta["content_type"],
            last_modified=datetime.fromtimestamp(stat.st_mtime, UTC),
        )

    def get(self, key: str, *, start: int | None = None, end: int | None = None) -> ObjectBody:
        info = self.head(key)
        first = start or 0
        last = info.size - 1 if end is None else min(end, info.size - 1)
        empty_whole = info.size == 0 and start is None and end is None
        out_of_bounds = first < 0 or (start is not None and first >= info.size) or last < first
        if out_of_bounds and not empty_whole:
            raise InvalidRange(f"bytes {start}-{end} of {info.size}")
        stream = self._path(key).open("rb")
        stream.seek(first)
        return ObjectBody(info, _Limited(stream, max(0, last - first + 1)), first, last)

    def promote(self, source: str, target: str, *, content_type: str) -> ObjectInfo:
        info = self.head(source)
        path = self._path(target)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # A rename: the staging file's URLs name a path that no longer exists.
            self._path(source).replace(path)
            meta = {"content_type": content_type, "etag": info.etag}
            _replace_text(self._meta_path(target), json.dumps(meta))
            self._meta_path(source).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageUnavailable(f"local store cannot move {source}: {exc}") from exc
        return self.head(target)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
        self._meta_path(key).unlink(missing_ok=True)

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        if not self.root.exists():
            return
        found: list[str] = []
        for directory, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            base = Path(directory).relative_to(self.root)
            for name in filenames:
                if name.startswith("."):
                    continue
                key = (base / name).as_posix()
                if key.startswith(prefix):
                    found.append(key)
        for key in sorted(found):
            try:
                yield self.head(key)
            except ObjectNotFound:
                continue  # deleted while listing

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / f".probe-{secrets.token_hex(4)}"
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError as exc:
            raise StorageUnavailable(f"local store {self.root} is not writable: {exc}") from exc

    # --- multipart -------------------------------------------------------------------------

    def create_multipart(self, key: str, *, content_type: str = "application/octet-stream") -> str:
        _check_key(key)
        upload_id = secrets.token_hex(16)
        folder = self._upload_dir(upload_id)
        folder.mkdir(parents=True)
        manifest = {"key": key, "content_type": content_type, "created": time.time()}
        _replace_text(folder / "manifest.json", json.dumps(manifest))
        return upload_id

    def _manifest(self, key: str, upload_id: str) -> dict[str, object]:
        try:
            manifest: dict[str, object] = json.loads(
                (self._upload_dir(upload_id) / "manifest.json").read_text(encoding="utf-8")
            )
        except FileNotFoundError:
            raise ObjectNotFound(f"no multipart upload {upload_id!r}") from None
        if manifest["key"] != key:
            raise ObjectNotFound(f"upload {upload_id!r} is not for {key!r}")
        return manifest

    def put_part(
        self,
        key: str,
        upload_id: str,
        part_number: int,
        stream: IO[bytes],
        size: int | None = None,
    ) -> PartInfo:
        """Store one part (what a presigned part URL does when it is called)."""
        self._manifest(key, upload_id)
        if not 1 <= part_number <= MAX_PART_NUMBER:
            raise InvalidUpload(f"part number {part_number} outside 1–{MAX_PART_NUMBER}")
        folder = self._upload_dir(upload_id)
        digest = hashlib.md5(usedforsecurity=False)
        chunks = (
            _bounded(stream, size) if size is not None else iter(lambda: stream.read(CHUNK), b"")
        )
        with tempfile.NamedTemporaryFile(dir=folder, delete=False, prefix=".tmp-") as tmp:
            try:
                for chunk in chunks:
                    digest.update(chunk)
                    tmp.write(chunk)
            except BaseException:
                tmp.close()
                Path(tmp.name).unlink(missing_ok=True)
                raise
        Path(tmp.name).replace(folder / f"part-{part_number:05d}")
        _replace_text(folder / f"part-{part_number:05d}.etag", digest.hexdigest())
        return PartInfo(
            part_number, (folder / f"part-{part_number:05d}").stat().st_size, digest.hexdigest()
        )

    def list_parts(self, key: str, upload_id: str) -> builtins.list[PartInfo]:
        self._manifest(key, upload_id)
        folder = self._upload_dir(upload_id)
        parts = []
        for path in sorted(folder.glob("part-[0-9][0-9][0-9][0-9][0-9]")):
            etag_path = path.with_name(path.name + ".etag")
            if etag_path.exists():
                number = int(path.name.removeprefix("part-"))
                parts.append(PartInfo(number, path.stat().st_size, etag_path.read_text("ascii")))
        return parts

    def complete_multipart(
        self, key: str, upload_id: str, parts: builtins.list[PartInfo] | None = None
    ) -> ObjectInfo:
        manifest = self._manifest(key, upload_id)
        uploaded = {p.part_number: p for p in self.list_parts(key, upload_id)}
        chosen = list(uploaded.values()) if parts is None else parts
        if not chosen:
            raise InvalidUpload("no parts were uploaded")
        numbers = [p.part_number for p in chosen]
        if numbers != sorted(set(numbers)):
            raise InvalidUpload("parts must be listed once each, in ascending order")
        for index, part in enumerate(chosen):
            stored = uploaded.get(part.part_number)
            if stored is None or stored.etag != part.etag.strip('"'):
                raise InvalidUpload(f"part {part.part_number} was not uploaded as listed")
            if index < len(chosen) - 1 and stored.size < MIN_PART_BYTES:
                raise InvalidUpload(f"part {part.part_number} is smaller than 5 MiB")
        folder = self._upload_dir(upload_id)
        combined = hashlib.md5(usedforsecurity=False)
        for part in chosen:
            combined.update(bytes.fromhex(uploaded[part.part_number].etag))

        def chunks() -> Iterator[bytes]:
            for part in chosen:
                with (folder / f"part-{part.part_number:05d}").open("rb") as source:
                    yield from iter(lambda: source.read(CHUNK), b"")

        info = self._write(
            key, chunks(), str(manifest["content_type"]), f"{combined.hexdigest()}-{len(chosen)}"
        )
        shutil.rmtree(folder, ignore_errors=True)
        return info

    def abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            self._manifest(key, upload_id)
        except ObjectNotFound:
            return
        shutil.rmtree(self._upload_dir(upload_id), ignore_errors=True)

    # --- presigned URLs --------------------------------------------------------------------

    def _signature(self, method: str, key: str, params: Mapping[str, str]) -> str:
        # One canonical form: a JSON list cannot be spliced the way joined lines could (a value
        # holding "\nuploadId=…" signed like two parameters).
        signed = json.dumps([method.upper(), key, sorted(params.items())], ensure_ascii=True)
        return hmac.new(self._signing_key, signed.encode(), hashlib.sha256).hexdigest()

    def _presign(self, method: str, key: str, expires_in: int, **extra: str) -> PresignedRequest:
        _check_key(key)
        expires = int(time.time()) + expires_in
        params = {"expires": str(expires), **extra}
        query = urlencode({**params, "signature": self._signature(method, key, params)})
        return PresignedRequest(
            url=f"{self.base_url.rstrip('/')}{self.url_prefix}/{quote(key)}?{query}",
            method=method,
            expires_at=datetime.fromtimestamp(expires, UTC),
            headers={},
        )

    def presign_get(
        self, key: str, *, expires_in: int, download_name: str | None = None
    ) -> PresignedRequest:
        extra = {"download": download_name} if download_name else {}
        return self._presign("GET", key, expires_in, **extra)

    def presign_put(
        self, key: str, *, expires_in: int, size: int | None = None
    ) -> PresignedRequest:
        extra = {"size": str(size)} if size is not None else {}
        return self._presign("PUT", key, expires_in, **extra)

    def presign_part(
        self,
        key: str,
        upload_id: str,
        part_number: int,
        *,
        expires_in: int,
        size: int | None = None,
    ) -> PresignedRequest:
        extra = {"size": str(size)} if size is not None else {}
        return self._presign(
            "PUT", key, expires_in, uploadId=upload_id, partNumber=str(part_number), **extra
        )

    def verify(
        self, method: str, key: str, query: Mapping[str, str], *, repeated: bool = False
    ) -> dict[str, str]:
        """Check a presigned request; returns its signed parameters (upload id, part, …).

        Only the canonical form passes: known parameter names, each once (``repeated``: the
        query held one twice), no control characters.
        """
        if repeated or set(query) - SIGNED_PARAMETERS - {"signature"}:
            raise SignatureInvalid("unknown or repeated parameters")
        if any(_CONTROL.search(value) for value in query.values()):
            raise SignatureInvalid("control characters in the URL")
        params = {name: value for name, value in query.items() if name != "signature"}
        expected = self._signature("GET" if method == "HEAD" else method, key, params)
        if not hmac.compare_digest(expected, query.get("signature", "")):
            raise SignatureInvalid("signature does not match")
        try:
            expires = int(params["expires"])
        except (KeyError, ValueError):
            raise SignatureInvalid("no expiry") from None
        if expires < time.time():
            raise SignatureExpired("the URL has expired")
        return params


class TooLarge(InvalidUpload):
    """A body longer than its presigned size (refused while it streams in)."""


def _replace_text(path: Path, text: str) -> None:
    """Write a small file whole or not at all: a reader at the same moment sees the old
    content or the new, never an empty file (two PUTs at once gave 500s)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, delete=False, prefix=".tmp-", encoding="utf-8"
    ) as tmp:
        tmp.write(text)
    Path(tmp.name).replace(path)


def _bounded(stream: IO[bytes], size: int) -> Iterator[bytes]:
    """The stream's chunks, refusing it once it runs past ``size`` or ends short of it."""
    seen = 0
    for chunk in iter(lambda: stream.read(CHUNK), b""):
        seen += len(chunk)
        if seen > size:
            raise TooLarge(f"more than the {size} bytes announced")
        yield chunk
    if seen != size:
        raise InvalidUpload(f"{seen} bytes, not the {size} announced")


class _Limited:
    """A file object that reads at most ``remaining`` bytes."""

    def __init__(self, stream: IO[bytes], remaining: int) -> None:
        self._stream = stream
        self._remaining = remaining

    def read(self, size: int = -1) -> bytes:
        if self._remaining <= 0:
            return b""
        if size < 0 or size > self._remaining:
            size = self._remaining
        data = self._stream.read(size)
        self._remaining -= len(data)
        return data

    def close(self) -> None:
        self._stream.close()
