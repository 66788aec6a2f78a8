"""Schema fields every domain shares: one rule for what a client may send."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from marshmallow import validate


class AwareDateTime(ma.fields.AwareDateTime):
    """A date-time with its offset (a naive one is a 422 naming the field) that is a real
    instant: one whose offset carries it past year 1 or 9999 (``0001-01-01T00:00+23:59``) is
    refused here, not by the database as a 500."""

    default_error_messages = {"out_of_range": "日期时间超出范围 / Date-time out of range"}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment: datetime = super()._deserialize(value, attr, data, **kwargs)
        try:
            moment.astimezone(UTC)
        except OverflowError:
            raise self.make_error("out_of_range") from None
        return moment


class Pattern(validate.Regexp):
    """A pattern the whole text must match: Python's ``$`` also matches before a final
    newline (a 64-character id and a line break passed as 65). The pattern stays ``^…$`` so
    that the OpenAPI document, read by ECMAScript rules, says the same."""

    def __call__(self, value: Any) -> Any:
        if self.regex.fullmatch(value) is None:
            raise ma.ValidationError(self._format_error(value))
        return value
