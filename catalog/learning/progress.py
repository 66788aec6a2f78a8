"""Honest video progress: heartbeat segments merged into the unique seconds watched.

Seeking ahead counts nothing (the skipped stretch is in no segment), replaying counts once
(segments are merged), a segment counts no more media time than its wall-clock span allows at
the reported rate (capped at 2×), and a span longer than the longest gap allowed between
heartbeats is cut to that gap (a player left running in a pocket, or a long silence, earns
nothing beyond it).
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_RATE = 2.0
SLACK_SECONDS = 1.0  # clocks and players are not exact


@dataclass(frozen=True)
class Heartbeat:
    position_from: float  # media seconds
    position_to: float
    playback_rate: float
    wall_seconds: float  # how long the segment took, by the device's clock


def countable(beat: Heartbeat, duration: float, max_gap: float) -> tuple[float, float] | None:
    """The media interval this heartbeat may count, or None."""
    start = min(max(beat.position_from, 0.0), duration)
    end = min(max(beat.position_to, 0.0), duration)
    if end <= start:
        return None
    wall = min(max(beat.wall_seconds, 0.0), max_gap)
    rate = min(max(beat.playback_rate, 0.0), MAX_RATE)
    end = min(end, start + wall * rate + SLACK_SECONDS)
    return (start, end) if end > start else None


def merge(intervals: list[list[float]], new: tuple[float, float]) -> list[list[float]]:
    """The union of sorted, disjoint intervals and one more, sorted and disjoint."""
    merged: list[list[float]] = []
    start, end = new
    placed = False
    for a, b in intervals:
        if b < start:
            merged.append([a, b])
        elif a > end:
            if not placed:
                merged.append([start, end])
                placed = True
            merged.append([a, b])
        else:
            start, end = min(a, start), max(b, end)
    if not placed:
        merged.append([start, end])
    merged.sort()
    return merged


def covered(intervals: list[list[float]]) -> float:
    return round(sum(b - a for a, b in intervals), 3)
