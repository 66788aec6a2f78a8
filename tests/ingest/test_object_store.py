"""The ObjectStore contract, run against LocalObjectStore and S3ObjectStore (on SeaweedFS).

Presigned URLs are called for real: S3's over HTTP to SeaweedFS, the local store's through the
app's /storage route, which is what serves them in production.
"""

from __future__ import annotations

import hashlib
import io
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from catalog import create_app
from catalog.runtime import runtime
from ingest.interfaces import (
    InvalidRange,
    InvalidUpload,
    ObjectNotFound,
    ObjectStore,
    PartInfo,
    StorageUnavailable,
)
from tests.support.database import base_settings
from tests.support.ports import free_ports
from tests.support.presigned import Answer, call_url
from tests.support.seaweedfs import S3Server, s3_settings

MIB = 1024 * 1024


class Harness:
    """A store, plus a way to call its presigned URLs as a phone would."""

    def __init__(self, app: Flask, kind: str) -> None:
        self.app = app
        self.kind = kind
        self.store: ObjectStore = app.extensions["jiangyun"].object_store

    def call(
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        return call_url(self.app, method, url, body, headers)


@pytest.fixture(params=["local", "s3"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    overrides = {}
    if request.param == "s3":
        server: S3Server = request.getfixturevalue("seaweedfs")
        overrides = s3_settings(server)
    app = create_app(base_settings(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}", **overrides))
    with app.app_context():
        yield Harness(app, request.param)


def put_bytes(store: ObjectStore, key: str, data: bytes, content_type: str = "text/plain") -> None:
    store.put(key, io.BytesIO(data), content_type=content_type)


def test_put_head_get_round_trip(harness: Harness) -> None:
    store = harness.store
    data = "电力安全规程 — 第一章".encode() * 1000
    info = store.put("docs/rules.txt", io.BytesIO(data), content_type="text/plain; charset=utf-8")
    assert info.size == len(data)
    assert info.etag == hashlib.md5(data, usedforsecurity=False).hexdigest()
    head = store.head("docs/rules.txt")
    assert head.size == len(data)
    assert head.content_type == "text/plain; charset=utf-8"
    with store.get("docs/rules.txt") as body:
        assert body.read() == data
        assert (body.start, body.end) == (0, len(data) - 1)


def test_put_replaces(harness: Harness) -> None:
    put_bytes(harness.store, "a/b.txt", b"first")
    put_bytes(harness.store, "a/b.txt", b"second version")
    with harness.store.get("a/b.txt") as body:
        assert body.read() == b"second version"


def test_byte_ranges(harness: Harness) -> None:
    store = harness.store
    put_bytes(store, "r.bin", bytes(range(256)) * 4)
    with store.get("r.bin", start=0, end=9) as body:
        assert body.read() == bytes(range(10))
        assert (body.start, body.end, body.info.size) == (0, 9, 1024)
    with store.get("r.bin", start=1000) as body:
        assert body.read() == (bytes(range(256)) * 4)[1000:]
        assert body.end == 1023
    with store.get("r.bin", start=1020, end=5000) as body:  # clamped, as S3 does
        assert body.read() == bytes(range(252, 256))
    with pytest.raises(InvalidRange):
        store.get("r.bin", start=1024)


def test_missing_objects(harness: Harness) -> None:
    store = harness.store
    with pytest.raises(ObjectNotFound):
        store.head("nope/missing.txt")
    with pytest.raises(ObjectNotFound):
        store.get("nope/missing.txt")
    store.delete("nope/missing.txt")  # not an error


def test_delete_and_list(harness: Harness) -> None:
    store = harness.store
    for key in ("lectures/2/b.mp4", "lectures/1/a.mp4", "lectures/1/thumb.jpg", "banks/1.json"):
        put_bytes(store, key, key.encode())
    assert [o.key for o in store.list("lectures/")] == [
        "lectures/1/a.mp4",
        "lectures/1/thumb.jpg",
        "lectures/2/b.mp4",
    ]
    assert [o.size for o in store.list("banks/")] == [len(b"banks/1.json")]
    store.delete("lectures/1/a.mp4")
    assert [o.key for o in store.list("lectures/1/")] == ["lectures/1/thumb.jpg"]
    with pytest.raises(ObjectNotFound):
        store.head("lectures/1/a.mp4")


def test_presigned_get_with_range(harness: Harness) -> None:
    data = os.urandom(300_000)
    put_bytes(harness.store, "video/clip.mp4", data, content_type="video/mp4")
    url = harness.store.presign_get("video/clip.mp4", expires_in=60).url
    whole = harness.call("GET", url)
    assert whole.status == 200
    assert whole.body == data
    part = harness.call("GET", url, headers={"Range": "bytes=1000-1999"})
    assert part.status == 206
    assert part.body == data[1000:2000]
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(data)}"
    assert part.headers["Accept-Ranges"] == "bytes"
    tail = harness.call("GET", url, headers={"Range": "bytes=-500"})
    assert tail.status == 206
    assert tail.body == data[-500:]
    beyond = harness.call("GET", url, headers={"Range": f"bytes={len(data) + 10}-"})
    assert beyond.status == 416


def test_presigned_put(harness: Harness) -> None:
    request = harness.store.presign_put("uploads/u1/original.mp4", expires_in=60)
    assert request.method == "PUT"
    answer = harness.call("PUT", request.url, body=b"\x00\x00\x00\x18ftypmp42" + b"x" * 5000)
    assert answer.status == 200
    assert harness.store.head("uploads/u1/original.mp4").size == 5012


def _tamper(url: str) -> str:
    marker = "Signature=" if "Signature=" in url else "signature="
    head, tail = url.split(marker, 1)
    flipped = ("0" if tail[0] != "0" else "1") + tail[1:]
    return head + marker + flipped


def test_tampered_signature_is_refused(harness: Harness) -> None:
    put_bytes(harness.store, "secret.txt", b"not for everyone")
    get_url = harness.store.presign_get("secret.txt", expires_in=60).url
    assert harness.call("GET", _tamper(get_url)).status == 403
    put_url = harness.store.presign_put("secret.txt", expires_in=60).url
    assert harness.call("PUT", _tamper(put_url), body=b"overwritten").status == 403
    # A URL signed for one key does not open another.
    other = get_url.replace("secret.txt", "secret2.txt")
    assert harness.call("GET", other).status in {403, 404}
    # A GET URL cannot be used to write.
    assert harness.call("PUT", get_url, body=b"overwritten").status == 403
    with harness.store.get("secret.txt") as body:
        assert body.read() == b"not for everyone"


def test_expired_url_is_refused(harness: Harness) -> None:
    put_bytes(harness.store, "soon.txt", b"gone soon")
    url = harness.store.presign_get("soon.txt", expires_in=1).url
    time.sleep(2.1)
    assert harness.call("GET", url).status == 403


def _upload_parts(harness: Harness, key: str, upload_id: str, chunks: list[bytes]) -> list[str]:
    etags = []
    for number, chunk in enumerate(chunks, start=1):
        url = harness.store.presign_part(key, upload_id, number, expires_in=60).url
        answer = harness.call("PUT", url, body=chunk)
        assert answer.status == 200, answer.body[:500]
        etags.append(answer.headers["ETag"].strip('"'))
    return etags


def test_multipart_upload(harness: Harness) -> None:
    store = harness.store
    key = "uploads/big/original.mp4"
    chunks = [os.urandom(5 * MIB), os.urandom(5 * MIB), os.urandom(123)]
    upload_id = store.create_multipart(key, content_type="video/mp4")
    etags = _upload_parts(harness, key, upload_id, chunks)
    listed = store.list_parts(key, upload_id)
    assert [(p.part_number, p.size, p.etag) for p in listed] == [
        (1, 5 * MIB, etags[0]),
        (2, 5 * MIB, etags[1]),
        (3, 123, etags[2]),
    ]
    info = store.complete_multipart(key, upload_id)
    assert info.size == sum(len(c) for c in chunks)
    assert info.etag.endswith("-3")
    assert store.head(key).content_type == "video/mp4"
    with store.get(key, start=5 * MIB - 2, end=5 * MIB + 1) as body:
        assert body.read() == chunks[0][-2:] + chunks[1][:2]


def test_multipart_with_a_wrong_part_list_is_refused(harness: Harness) -> None:
    store = harness.store
    key = "uploads/bad/original.mp4"
    upload_id = store.create_multipart(key)
    _upload_parts(harness, key, upload_id, [os.urandom(5 * MIB), b"tail"])
    with pytest.raises(InvalidUpload):
        store.complete_multipart(key, upload_id, [PartInfo(1, 5 * MIB, "0" * 32)])
    with pytest.raises(ObjectNotFound):
        store.head(key)


def test_abort_discards_the_upload(harness: Harness) -> None:
    store = harness.store
    key = "uploads/gone/original.mp4"
    upload_id = store.create_multipart(key)
    _upload_parts(harness, key, upload_id, [b"some bytes"])
    store.abort_multipart(key, upload_id)
    with pytest.raises(ObjectNotFound):
        store.list_parts(key, upload_id)
    store.abort_multipart(key, upload_id)  # twice is fine
    with pytest.raises(ObjectNotFound):
        store.head(key)


def test_check_answers(harness: Harness) -> None:
    harness.store.check()


def test_unreachable_s3_is_unavailable(tmp_path: Path) -> None:
    (port,) = free_ports(1)
    app = create_app(
        base_settings(
            tmp_path,
            f"sqlite:///{tmp_path / 'unused.db'}",
            **s3_settings(S3Server(f"http://127.0.0.1:{port}", "k", "s")),
        )
    )
    with app.app_context():
        store = runtime().object_store
        with pytest.raises(StorageUnavailable):
            store.check()
        with pytest.raises(StorageUnavailable):
            store.head("anything")
