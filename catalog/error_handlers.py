"""Error handlers: every exception a request raises becomes the one JSON error envelope."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, g, request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from catalog.database import db
from catalog.errors import DomainError, error_response, translate
from catalog.extensions import limiter
from ingest.interfaces import (
    InvalidKey,
    InvalidRange,
    InvalidUpload,
    ObjectNotFound,
    StorageError,
)
from search.interfaces import SearchError, SearchUnavailable

log = logging.getLogger("jiangyun.errors")


def _handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    if status < 400:  # 304 Not Modified from an ETag match: no body at all
        return Response(status=status)
    if status >= 500:
        return _handle_unexpected(error)
    data: dict[str, Any] = getattr(error, "data", None) or {}
    details = data.get("details")
    if details is None and "messages" in data:
        details = translate(data["messages"])
    # Keep what the exception says in headers (Allow on 405, Content-Range on 416, …).
    headers = {name: value for name, value in error.get_headers() if name != "Content-Type"}
    headers.update(data.get("headers") or {})
    if status == 405 and getattr(error, "valid_methods", None):
        details = {"allowed_methods": sorted(error.valid_methods)}  # type: ignore[attr-defined]
    if status == 413:
        # This request's limit: uploads of imports and media have larger ones than JSON.
        details = {"max_bytes": request.max_content_length}
    if status == 429:
        details = {"retry_after": _retry_after_seconds(), "limit": error.description}
    return error_response(
        status,
        code=data.get("code"),
        message=data.get("message"),
        details=details,
        headers=headers,
    )


def _retry_after_seconds() -> int:
    current = limiter.current_limit
    if current is None:
        return 60
    # The same arithmetic as flask-limiter's Retry-After header, so the two agree.
    return max(1, int(current.reset_at - time.time()))


def _handle_domain_error(error: DomainError) -> Response:
    """A broken rule: whatever the request had written but not committed is undone."""
    _roll_back()
    return error_response(
        error.status, code=error.code, message=error.message, details=error.details
    )


def _handle_unexpected(error: BaseException) -> Response:
    request_id = getattr(g, "request_id", None)
    original = getattr(error, "original_exception", None) or error
    log.error(
        "unhandled error",
        exc_info=(type(original), original, original.__traceback__),
        extra={"request_id": request_id},
    )
    return error_response(500, details={"request_id": request_id})


def _handle_storage_error(error: StorageError) -> Response:
    if isinstance(error, ObjectNotFound | InvalidKey):
        return error_response(404, code="object_not_found", message="文件不存在 / No such object")
    if isinstance(error, InvalidUpload):
        return error_response(
            422, code="invalid_upload", message=f"上传不完整或有误 / Invalid upload: {error}"
        )
    if isinstance(error, InvalidRange):
        return error_response(416)
    log.warning("object store unavailable: %s", error)
    return error_response(
        503,
        code="storage_unavailable",
        message="文件存储暂不可用，请稍后重试 / File storage is unavailable, retry later",
    )


def _handle_search_error(error: SearchError) -> Response:
    if isinstance(error, SearchUnavailable):
        log.warning("search unavailable: %s", error)
        return error_response(
            503,
            code="search_unavailable",
            message="搜索暂不可用，请稍后重试（其他功能正常）/ Search is unavailable; retry later",
        )
    return error_response(400, code="bad_search", message=f"搜索条件无效 / {error}")


# How long a client should wait before retrying when the database is busy or away.
DATABASE_RETRY_AFTER_SECONDS = 5


def _roll_back() -> None:
    """End the failed transaction, so the session serves the next request."""
    try:
        db.session.rollback()
    except sa_exc.SQLAlchemyError:  # the connection itself is gone: the pool replaces it
        log.warning("rollback after a database error failed", exc_info=True)


def _handle_database_unavailable(error: Exception) -> Response:
    """Locked (SQLite), out of connections, a lock or statement timeout, or not answering.

    The failed transaction is rolled back; the client retries the same request (statements,
    answers and uploads are idempotent by their client ids).
    """
    _roll_back()
    log.warning("database unavailable: %s", str(error).splitlines()[0][:300])
    return error_response(
        503,
        code="database_busy",
        message="数据库繁忙，请稍后重试 / The database is busy; retry later",
        details={"retry_after": DATABASE_RETRY_AFTER_SECONDS},
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )


def _handle_out_of_range(error: Exception) -> Response:
    """A number or text the database cannot hold: the client's value, not a server fault."""
    _roll_back()
    log.info("value out of the database's range: %s", str(error).splitlines()[0][:300])
    return error_response(
        422,
        code="out_of_range",
        message="数值过大或文本过长，超出允许范围 / A value is out of range (number too large or "
        "text too long)",
    )


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(DomainError, _handle_domain_error)
    app.register_error_handler(sa_exc.OperationalError, _handle_database_unavailable)
    app.register_error_handler(sa_exc.TimeoutError, _handle_database_unavailable)
    app.register_error_handler(sa_exc.DataError, _handle_out_of_range)
    app.register_error_handler(OverflowError, _handle_out_of_range)
    app.register_error_handler(SearchError, _handle_search_error)
    app.register_error_handler(StorageError, _handle_storage_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(Exception, _handle_unexpected)
