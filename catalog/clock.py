"""The server's clock and the learners' calendar (TIME_ZONE): now, which day a moment falls
on, and when a day ends. Times clients send are checked against this clock, never trusted."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from catalog.runtime import runtime


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_day(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(runtime().settings.time_zone)).date()


def end_of(day: date) -> datetime:
    """The first instant (UTC) after the local day."""
    zone = ZoneInfo(runtime().settings.time_zone)
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
