"""Heartbeats as an honest player sends them: each stretch of playback ends, by the device's
clock, its wall time after the one before (the watch clock credits each moment once)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from catalog.clock import utcnow


def played(
    lecture_id: int,
    start: float,
    end: float,
    *,
    step: float = 15,
    began: datetime | None = None,
    prefix: str | None = None,
) -> list[dict[str, Any]]:
    """Heartbeats of ``start``→``end`` played at 1× from ``began`` (by default, as long ago
    as the playing took, so the last one ends now), one per ``step`` seconds."""
    began = began or utcnow() - timedelta(seconds=end - start)
    beats, position = [], start
    while position < end:
        stop = min(position + step, end)
        beats.append(
            {
                "id": f"{prefix}-{position:08.1f}" if prefix else str(uuid.uuid4()),
                "verb": "progressed",
                "object": {"type": "microlecture", "id": lecture_id},
                "result": {
                    "position_from": position,
                    "position_to": stop,
                    "playback_rate": 1.0,
                    "wall_seconds": stop - position,
                },
                "timestamp": (began + timedelta(seconds=stop - start)).isoformat(),
            }
        )
        position = stop
    return beats
