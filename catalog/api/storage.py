"""The local object store's presigned URLs, served as S3 would: GET with Range, PUT, parts.

Registered only when OBJECT_STORE=local. Every request must carry a valid, unexpired signature
for its method and key; no session or token is involved, exactly as with S3's presigned URLs.
"""

from __future__ import annotations

from flask import Blueprint, Response, request, send_file

from catalog.errors import error_response
from catalog.runtime import runtime
from ingest.local_store import LocalObjectStore, SignatureExpired, SignatureInvalid

blp = Blueprint("storage", __name__)


def _store() -> LocalObjectStore:
    store = runtime().object_store
    assert isinstance(store, LocalObjectStore)
    return store


def _verify(store: LocalObjectStore, key: str) -> dict[str, str] | Response:
    try:
        return store.verify(request.method, key, request.args.to_dict())
    except SignatureExpired:
        return error_response(
            403, code="url_expired", message="链接已过期，请重新获取 / This URL has expired"
        )
    except SignatureInvalid:
        return error_response(
            403, code="signature_invalid", message="链接签名无效 / The URL signature is invalid"
        )


@blp.route("/storage/<path:key>", methods=["GET", "HEAD"])
def read_object(key: str) -> Response:
    store = _store()
    params = _verify(store, key)
    if isinstance(params, Response):
        return params
    path = store.path_for(key)
    info = store.head(key)
    download = params.get("download")
    response = send_file(
        path,
        mimetype=info.content_type or "application/octet-stream",
        conditional=True,  # Range → 206 with Content-Range; a bad range → 416
        etag=info.etag,
        last_modified=info.last_modified,
        as_attachment=bool(download),
        download_name=download or None,
        max_age=300,
    )
    response.headers["Accept-Ranges"] = "bytes"
    return response


@blp.route("/storage/<path:key>", methods=["PUT"])
def write_object(key: str) -> Response:
    store = _store()
    params = _verify(store, key)
    if isinstance(params, Response):
        return params
    # Uploads are bounded by the media limit, not by the API's small request-body limit.
    request.max_content_length = runtime().settings.media_max_bytes
    if "uploadId" in params:
        part = store.put_part(key, params["uploadId"], int(params["partNumber"]), request.stream)
        etag = part.etag
    else:
        info = store.put(
            key, request.stream, content_type=request.mimetype or "application/octet-stream"
        )
        etag = info.etag
    response = Response(status=200)
    response.headers["ETag"] = f'"{etag}"'
    return response
