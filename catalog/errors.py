"""Errors: domain exceptions raised by services and the one JSON error envelope of the API.

Every error leaves the service as
``{"error": {"code": "...", "message": "...", "details": {...}}}`` with its HTTP status;
no HTML page is ever rendered (``catalog.error_handlers`` turns every exception into one).
"""

from __future__ import annotations

import re
from typing import Any

import marshmallow as ma
from flask import Response, jsonify

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
        (r"^Not a valid aware datetime\.$", "日期时间须带时区，如 2026-12-05T08:00:00+08:00"),
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


def translate(messages: Any) -> Any:
    """marshmallow's messages (nested), each with its Chinese reading."""
    if isinstance(messages, str):
        return bilingual(messages)
    if isinstance(messages, list):
        return [translate(m) for m in messages]
    if isinstance(messages, dict):
        return {key: translate(value) for key, value in messages.items()}
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
