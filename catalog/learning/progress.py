"""Honest video progress: heartbeat segments merged into the unique seconds watched, and no
more of them than time itself allows.

What counts (the README says the same):

- a heartbeat is a stretch of playback: media ``position_from`` → ``position_to`` at
  ``playback_rate``, taking ``wall_seconds`` of the device's time and ending at its timestamp;
- positions are clamped to the lecture; a stretch longer than its wall time at its own rate
  allows (plus a second of slack) is a seek and counts nothing; a played stretch counts at most
  its wall time at the reported rate, capped at 2× (plus the second of slack);
- a stretch longer than the longest gap allowed between heartbeats counts only that gap (a
  player left running in a pocket, or a long silence, earns nothing beyond it);
- replays count once (segments are merged into the lecture's watched intervals);
- across all lectures, each moment of the learner's device time is spent once: a heartbeat
  earns at most 2× the part of its wall time no earlier heartbeat used (the learner's *watch
  clock*). Twenty heartbeats stamped with the same moment earn one heartbeat's worth; two
  lectures played at once share one clock; an offline batch is held to the same bound.
"""

from __future__ import annotations

import math
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
    """The media interval this heartbeat may count on its own, or None."""
    start = min(max(beat.position_from, 0.0), duration)
    end = min(max(beat.position_to, 0.0), duration)
    if end <= start:
        return None
    wall = min(max(beat.wall_seconds, 0.0), max_gap)
    rate = max(beat.playback_rate, 0.0)
    claimed = beat.position_to - beat.position_from  # as sent: clamping hides a seek
    if claimed > max(beat.wall_seconds, 0.0) * rate + SLACK_SECONDS:
        return None  # further than playing could go: a seek
    end = min(end, start + wall * min(rate, MAX_RATE) + SLACK_SECONDS)
    return (start, end) if end > start else None


def wall_span(beat: Heartbeat, ended_at: float, max_gap: float) -> tuple[float, float]:
    """The device time (epoch seconds) the heartbeat spent: its wall time, up to the longest
    gap allowed, ending at its timestamp."""
    wall = min(max(beat.wall_seconds, 0.0), max_gap)
    return (ended_at - wall, ended_at)


def within(interval: tuple[float, float], budget: float) -> tuple[float, float] | None:
    """The interval cut to ``budget`` media seconds from its start, or None when none."""
    start, end = interval
    end = min(end, start + max(budget, 0.0))
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
    """The seconds the intervals cover, to the millisecond below (never rounded up: credited
    time stays within what was earned; the 1e-6 absorbs floating-point noise)."""
    return math.floor(sum(b - a for a, b in intervals) * 1000 + 1e-6) / 1000


def spend(
    clock: list[list[float]], span: tuple[float, float], since: float
) -> tuple[list[list[float]], float]:
    """Spend a stretch of device time on the watch clock: the clock afterwards (stretches
    ending before ``since`` forgotten: nothing older may be claimed) and how many seconds of
    the stretch no earlier heartbeat had spent."""
    kept = [list(i) for i in clock if i[1] >= since]
    if span[1] <= span[0]:
        return kept, 0.0
    after = merge(kept, span)
    return after, max(0.0, sum(b - a for a, b in after) - sum(b - a for a, b in kept))
