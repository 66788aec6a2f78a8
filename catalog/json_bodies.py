"""Request bodies read strictly, once for every endpoint: JSON that strict parsers on phones
and in PostgreSQL would refuse never gets in. Refused: ``NaN`` and ``Infinity`` (not JSON,
even when spelled ``1e999``), integers of more than 30 digits, strings holding a lone UTF-16
surrogate or a NUL (not text we can store or send back), and nesting deeper than any of our
documents (a parser's stack is not a place for an attack)."""

from __future__ import annotations

import json
import math
from typing import Any

from flask.json.provider import DefaultJSONProvider

MAX_DEPTH = 32
MAX_INT_DIGITS = 30  # no id, count or amount of ours needs more


class BodyRefused(ValueError):
    """The body is not JSON we accept; the message says why (Chinese / English)."""


def _no_constants(name: str) -> Any:
    raise BodyRefused(f"JSON 中不能有 {name} / {name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e999: not NaN or Infinity by name, but the same once parsed
        raise BodyRefused(f"数值超出范围：{text[:40]} / Number out of range: {text[:40]}")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise BodyRefused(
            f"整数超过 {MAX_INT_DIGITS} 位 / An integer longer than {MAX_INT_DIGITS} digits"
        )
    return int(text)


def strict_loads(data: str | bytes) -> Any:
    """Parse a request body, or raise :class:`BodyRefused`."""
    try:
        value = json.loads(
            data, parse_constant=_no_constants, parse_float=_finite, parse_int=_bounded_int
        )
    except RecursionError:
        raise BodyRefused(
            f"JSON 嵌套过深（最多 {MAX_DEPTH} 层）/ JSON nested deeper than {MAX_DEPTH} levels"
        ) from None
    except UnicodeDecodeError:
        raise BodyRefused("请求体须为 UTF-8 / The body must be UTF-8") from None
    except json.JSONDecodeError as error:
        raise BodyRefused(f"JSON 格式不正确 / Invalid JSON: {error.msg}") from None
    except BodyRefused:
        raise
    except ValueError:  # whatever else the parser refuses: never a 500
        raise BodyRefused("JSON 格式不正确 / Invalid JSON") from None
    _check(value)
    return value


def _check(value: Any) -> None:
    """Depth and text of every part, without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        part, depth = stack.pop()
        if isinstance(part, dict | list):
            if depth > MAX_DEPTH:
                raise BodyRefused(
                    f"JSON 嵌套过深（最多 {MAX_DEPTH} 层）/ JSON nested deeper than {MAX_DEPTH} "
                    "levels"
                )
            if isinstance(part, dict):
                for key, item in part.items():
                    _text(key)
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in part)
        elif isinstance(part, str):
            _text(part)


def _text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BodyRefused(
            "文本中有无效字符（孤立的代理项）/ Text holds an invalid character (a lone surrogate)"
        ) from None
    if "\x00" in text:  # PostgreSQL cannot store it; nothing we keep needs it
        raise BodyRefused("文本中不能有空字符 / Text cannot hold a NUL character")


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading request bodies with :func:`strict_loads`."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return strict_loads(s)
