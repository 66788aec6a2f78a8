"""The learners' calendar (TIME_ZONE): which day a moment falls on, and when a day ends."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from catalog.registry import services


def local_day(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(services().settings.time_zone)).date()


def end_of(day: date) -> datetime:
    """The first instant (UTC) after the local day."""
    zone = ZoneInfo(services().settings.time_zone)
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
