"""The local object store's presigned URLs, served as S3 would: GET with Range, PUT, parts.

Registered only when OBJECT_STORE=local. Every request must carry a valid, unexpired signature
for its method and key; no session or token is involved, exactly as with S3's presigned URLs.
"""

from __future__ import annotations

from flask import Blueprint, Response, request, send_file
from werkzeug.http import parse_range_header

from catalog.errors import error_response
from catalog.runtime import runtime
from ingest.local_store import LocalObjectStore, SignatureExpired, SignatureInvalid, TooLarge
from ingest.serving import SAFE_HEADERS, disposition

blp = Blueprint("storage", __name__)


def _store() -> LocalObjectStore:
    store = runtime().object_store
    assert isinstance(store, LocalObjectStore)
    return store


def _verify(store: LocalObjectStore, key: str) -> dict[str, str] | Response:
    try:
        repeated = any(len(values) > 1 for values in request.args.listvalues())
        return store.verify(request.method, key, request.args.to_dict(), repeated=repeated)
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
    if "Range" in request.headers and parse_range_header(request.headers["Range"]) is None:
        # a Range that does not parse (bytes=5-2) is ignored, as S3 does: the whole object
        request.environ.pop("HTTP_RANGE", None)
    response = send_file(
        path,
        mimetype=info.content_type or "application/octet-stream",
        conditional=True,  # Range → 206 with Content-Range; a bad range → 416
        etag=info.etag,
        last_modified=info.last_modified,
        max_age=300,
    )
    response.headers["Accept-Ranges"] = "bytes"
    # kept by the one browser that holds the signed URL, never by a shared cache
    response.headers["Cache-Control"] = "private, max-age=300"
    # The stored type exactly: send_file appends "; charset=utf-8" to text types, even to one
    # that names its charset already.
    response.headers["Content-Type"] = info.content_type or "application/octet-stream"
    # The type the server decided when it checked the bytes; shown inline only when harmless.
    response.headers["Content-Disposition"] = disposition(info.content_type, download or None)
    response.headers.update(SAFE_HEADERS)
    return response


@blp.route("/storage/<path:key>", methods=["PUT"])
def write_object(key: str) -> Response:
    store = _store()
    params = _verify(store, key)
    if isinstance(params, Response):
        return params
    # Uploads are bounded by the media limit, not by the API's small request-body limit.
    request.max_content_length = runtime().settings.media_max_bytes
    size = int(params["size"]) if "size" in params else None
    if size is not None and request.content_length is not None and request.content_length > size:
        return error_response(
            413,
            message="超出上传计划的大小 / Larger than the upload plan",
            details={"max_bytes": size},
        )
    try:
        if "uploadId" in params:
            part = store.put_part(
                key, params["uploadId"], int(params["partNumber"]), request.stream, size
            )
            etag = part.etag
        elif size is not None:
            etag = store.put_bounded(
                key, request.stream, size, content_type="application/octet-stream"
            ).etag
        else:
            etag = store.put(key, request.stream, content_type="application/octet-stream").etag
    except TooLarge:
        return error_response(
            413,
            message="超出上传计划的大小 / Larger than the upload plan",
            details={"max_bytes": size},
        )
    response = Response(status=200)
    response.headers["ETag"] = f'"{etag}"'
    response.headers.update(SAFE_HEADERS)
    return response
