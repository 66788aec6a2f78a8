"""Errors: domain exceptions raised by services and the one JSON error envelope of the API.

Every error leaves the service as
``{"error": {"code": "...", "message": "...", "details": {...}}}`` with its HTTP status;
no HTML page is ever rendered.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import marshmallow as ma
from flask import Flask, Response, g, jsonify
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from ingest.interfaces import (
    InvalidKey,
    InvalidRange,
    InvalidUpload,
    ObjectNotFound,
    StorageError,
)
from search.interfaces import SearchError, SearchUnavailable

log = logging.getLogger("jiangyun.errors")

# Bilingual messages for the statuses the API answers with (Chinese first: users read it).
STATUS_MESSAGES: dict[int, tuple[str, str]] = {
    400: ("bad_request", "请求格式有误 / Malformed request"),
    401: ("unauthorized", "需要登录 / Authentication required"),
    403: ("forbidden", "无权执行此操作 / You do not have permission to do this"),
    404: ("not_found", "资源不存在 / Not found"),
    405: ("method_not_allowed", "不支持该请求方法 / Method not allowed"),
    409: ("conflict", "与现有数据冲突 / Conflict with existing data"),
    413: ("payload_too_large", "请求内容过大 / Request body too large"),
    415: ("unsupported_media_type", "不支持的内容类型 / Unsupported media type"),
    416: ("range_not_satisfiable", "请求的字节范围无效 / Requested range not satisfiable"),
    422: ("validation_error", "提交的数据未通过校验 / Validation failed"),
    429: ("rate_limited", "请求过于频繁，请稍后再试 / Too many requests, retry later"),
    500: (
        "internal_error",
        "服务器内部错误，请提供请求编号 / Internal error: quote the request id",
    ),
    503: ("unavailable", "服务暂不可用 / Service unavailable"),
}

# marshmallow's field messages, given a Chinese reading for people who fill forms on phones.
_FIELD_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), chinese)
    for pattern, chinese in (
        (r"^Missing data for required field\.$", "必填字段"),
        (r"^Unknown field\.$", "未知字段"),
        (r"^Field may not be null\.$", "不能为空"),
        (r"^Not a valid string\.$", "应为字符串"),
        (r"^Not a valid integer\.$", "应为整数"),
        (r"^Not a valid number\.$", "应为数字"),
        (r"^Not a valid boolean\.$", "应为布尔值"),
        (r"^Not a valid list\.$", "应为列表"),
        (r"^Not a valid UUID\.$", "应为 UUID"),
        (r"^Not a valid datetime\.$", "应为日期时间"),
        (r"^Not a valid date\.$", "应为日期"),
        (r"^Not a valid email address\.$", "邮箱格式不正确"),
        (r"^Invalid input type\.$", "数据类型不正确"),
        (r"^Invalid JSON body\.$", "JSON 格式不正确"),
        (r"^Must be one of: ", "取值不在允许范围内"),
        (r"^Length must be ", "长度不符合要求"),
        (r"^Shorter than minimum length ", "长度过短"),
        (r"^Longer than maximum length ", "长度过长"),
        (r"^Must be (greater|less) than ", "数值超出范围"),
        (r"^String does not match expected pattern\.$", "格式不正确"),
        (r"^Invalid value\.$", "取值无效"),
    )
)


def bilingual(message: str) -> str:
    """Prefix a known English validation message with its Chinese reading."""
    for pattern, chinese in _FIELD_MESSAGES:
        if pattern.search(message):
            return f"{chinese} / {message}"
    return message


def _translate(messages: Any) -> Any:
    if isinstance(messages, str):
        return bilingual(messages)
    if isinstance(messages, list):
        return [_translate(m) for m in messages]
    if isinstance(messages, dict):
        return {key: _translate(value) for key, value in messages.items()}
    return messages


class DomainError(Exception):
    """Raised by services for a rule the request breaks; rendered as a JSON error."""

    status = 400
    code = "bad_request"

    def __init__(
        self, message: str | None = None, *, code: str | None = None, details: Any = None
    ) -> None:
        super().__init__(message or STATUS_MESSAGES[self.status][1])
        self.message = message or STATUS_MESSAGES[self.status][1]
        if code:
            self.code = code
        self.details = details or {}


class NotFound(DomainError):
    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Invalid(DomainError):
    status = 422
    code = "validation_error"


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"


class Unavailable(DomainError):
    status = 503
    code = "unavailable"


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "stable machine-readable code"})
    message = ma.fields.String(required=True, metadata={"description": "中文 / English message"})
    details = ma.fields.Dict(
        required=True,
        metadata={"description": "per-field messages, limits, the request id of a 500, …"},
    )


class ErrorResponseSchema(ma.Schema):
    error = ma.fields.Nested(ErrorBodySchema, required=True)


def error_response(
    status: int,
    *,
    code: str | None = None,
    message: str | None = None,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    default_code, default_message = STATUS_MESSAGES.get(
        status, (f"http_{status}", f"HTTP {status}")
    )
    response = jsonify(
        {
            "error": {
                "code": code or default_code,
                "message": message or default_message,
                "details": details if details is not None else {},
            }
        }
    )
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    if status < 400:  # 304 Not Modified from an ETag match: no body at all
        return Response(status=status)
    if status >= 500:
        return _handle_unexpected(error)
    data: dict[str, Any] = getattr(error, "data", None) or {}
    details = data.get("details")
    if details is None and "messages" in data:
        details = _translate(data["messages"])
    # Keep what the exception says in headers (Allow on 405, Content-Range on 416, …).
    headers = {name: value for name, value in error.get_headers() if name != "Content-Type"}
    headers.update(data.get("headers") or {})
    if status == 405 and getattr(error, "valid_methods", None):
        details = {"allowed_methods": sorted(error.valid_methods)}  # type: ignore[attr-defined]
    if status == 413:
        from flask import request

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
    from catalog.extensions import limiter

    current = limiter.current_limit
    if current is None:
        return 60
    # The same arithmetic as flask-limiter's Retry-After header, so the two agree.
    return max(1, int(current.reset_at - time.time()))


def _handle_domain_error(error: DomainError) -> Response:
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
    from catalog.extensions import db

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
