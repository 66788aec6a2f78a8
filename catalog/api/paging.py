"""Pages of a query, in two styles on purpose: keyset cursors for long lists that grow while
they are read (the catalogue, questions, history, the ledger: stable under inserts, never
counted), and numbered pages with a total for bounded lists whose reader needs the total
(staff tables, the mistakes book, an organisation's quiz papers)."""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select

from catalog.database import UTCDateTime, db
from catalog.errors import Invalid


def paginate(query: Select[Any], *, page: int, page_size: int) -> dict[str, Any]:
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = db.session.scalars(query.limit(page_size).offset((page - 1) * page_size)).all()
    return {"items": items, "page": page, "page_size": page_size, "total": total or 0}


@dataclass(frozen=True)
class SortKey:
    """Order by ``column`` (then ``id_column``); the cursor reads the value back from an item.

    By default the item's attribute of the column's name is read; ``value_of`` overrides that.
    """

    column: Any  # a mapped attribute or column expression
    id_column: Any
    descending: bool
    value_of: Callable[[Any], Any] | None = None

    def read(self, item: Any) -> Any:
        return self.value_of(item) if self.value_of else getattr(item, self.column.key)

    @property
    def is_time(self) -> bool:
        return isinstance(self.column.type, UTCDateTime)


def sort_keys(id_column: Any, *columns: Any, **named: Any) -> dict[str, SortKey]:
    """``name`` (ascending) and ``-name`` (descending) keys for each column, and for each
    ``name=column`` sorted by another column than its name says (``title`` by its pinyin key)."""
    keys = {}
    for name, column in [*((c.key, c) for c in columns), *named.items()]:
        keys[name] = SortKey(column, id_column, False)
        keys[f"-{name}"] = SortKey(column, id_column, True)
    return keys


def _encode(value: Any, item_id: int | str) -> str:
    raw = json.dumps([value.isoformat() if isinstance(value, datetime) else value, item_id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(
    cursor: str, is_time: bool, id_type: type, value_type: type | None
) -> tuple[Any, int | str]:
    """The cursor's value and id, each of the sort column's kind: a text column's value is
    text (valid Unicode), a number column's a finite number, never null (attack on issue 19:
    a title cursor sent to a number sort, a number to a title sort, null, NaN or a lone
    surrogate each gave a 500)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, item_id = json.loads(raw)
        if is_time:
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise ValueError("the cursor's time has no offset")
            value = value.astimezone(UTC)  # out of range at the calendar's ends: refused
        elif value is None or isinstance(value, bool) or not isinstance(value, str | int | float):
            raise TypeError("the cursor's value is not a plain value")
        elif value_type is str:
            if not isinstance(value, str):
                raise TypeError("the cursor's value is not text")
            value.encode("utf-8")  # a lone surrogate raises UnicodeEncodeError (a ValueError)
        elif value_type in (int, float) and (
            not isinstance(value, int | float) or not math.isfinite(value)
        ):
            raise TypeError("the cursor's value is not a number")
        if not isinstance(item_id, int | str) or type(item_id) is not id_type:
            raise TypeError("the cursor's id is not of the list's kind")
        return value, item_id
    except (ValueError, TypeError, OverflowError, binascii.Error, json.JSONDecodeError):
        raise Invalid(
            "翻页游标无效 / The cursor is not valid", details={"query": {"cursor": ["invalid"]}}
        ) from None


def _python_type(column: Any) -> type | None:
    try:
        return column.type.python_type  # type: ignore[no-any-return]
    except NotImplementedError:
        return None


def keyset_page(
    query: Select[Any], sort: SortKey, *, cursor: str | None, limit: int
) -> dict[str, Any]:
    """A page after ``cursor``, stable under inserts, and the cursor of the next page."""
    column, id_column = sort.column, sort.id_column
    if cursor:
        value, last_id = _decode(
            cursor, sort.is_time, id_column.type.python_type, _python_type(column)
        )
        if sort.descending:
            query = query.where(or_(column < value, and_(column == value, id_column < last_id)))
        else:
            query = query.where(or_(column > value, and_(column == value, id_column > last_id)))
    order = (column.desc(), id_column.desc()) if sort.descending else (column, id_column)
    rows = db.session.scalars(query.order_by(*order).limit(limit + 1)).unique().all()
    items = list(rows[:limit])
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = _encode(sort.read(last), last.id)
    return {"items": items, "next_cursor": next_cursor}
