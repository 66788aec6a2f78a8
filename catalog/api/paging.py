"""Numbered pages of a query, for staff lists."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from catalog.extensions import db


def paginate(query: Select[Any], *, page: int, page_size: int) -> dict[str, Any]:
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = db.session.scalars(query.limit(page_size).offset((page - 1) * page_size)).all()
    return {"items": items, "page": page, "page_size": page_size, "total": total or 0}
