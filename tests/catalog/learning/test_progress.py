"""The interval merge behind honest video progress: seeking, replaying, speed and gaps."""

from __future__ import annotations

from catalog.learning.progress import Heartbeat, countable, covered, merge, spend, wall_span


def watch(beats: list[Heartbeat], duration: float = 600.0, max_gap: float = 30.0) -> float:
    intervals: list[list[float]] = []
    for beat in beats:
        counted = countable(beat, duration, max_gap)
        if counted:
            intervals = merge(intervals, counted)
    return covered(intervals)


def test_continuous_viewing_counts_in_full() -> None:
    beats = [Heartbeat(t, t + 15, 1.0, 15) for t in range(0, 600, 15)]
    assert watch(beats) == 600


def test_seeking_ahead_counts_only_what_was_played() -> None:
    beats = [Heartbeat(0, 15, 1.0, 15), Heartbeat(500, 515, 1.0, 15)]  # jumped to 500
    assert watch(beats) == 30


def test_replaying_counts_once() -> None:
    once = [Heartbeat(0, 15, 1.0, 15), Heartbeat(15, 30, 1.0, 15)]
    assert watch(once + once + [Heartbeat(5, 20, 1.0, 15)]) == 30


def test_a_segment_counts_no_more_than_its_wall_time_allows() -> None:
    assert watch([Heartbeat(0, 30, 2.0, 15)]) == 30  # 2× is allowed
    assert watch([Heartbeat(0, 120, 8.0, 15)]) == 31  # but capped at 2× (and a second of slack)


def test_a_seek_counts_nothing() -> None:
    """0→4 s in 0.3 s counted 1.3 s (issue 16): further than the reported rate could play is a
    seek, and a seek plays nothing."""
    assert watch([Heartbeat(0, 4, 1.0, 0.3)]) == 0
    assert watch([Heartbeat(0, 300, 1.0, 15)]) == 0
    assert watch([Heartbeat(0, 15.5, 1.0, 15)]) == 15.5  # a player's clock is not exact


def test_a_gap_without_heartbeats_ends_the_segment() -> None:
    # The phone went quiet for five minutes and then claims it played all along.
    assert watch([Heartbeat(0, 300, 1.0, 300)]) == 31  # only the longest gap allowed counts


def test_positions_stay_within_the_video() -> None:
    assert watch([Heartbeat(590, 640, 1.0, 50)], max_gap=60) == 10
    assert watch([Heartbeat(20, 10, 1.0, 15)]) == 0


def test_merge_keeps_intervals_sorted_and_disjoint() -> None:
    intervals = merge(merge(merge([], (50, 60)), (0, 10)), (9, 51))
    assert intervals == [[0, 60]]
    assert merge([[0, 10], [20, 30]], (12, 15)) == [[0, 10], [12, 15], [20, 30]]


def test_each_moment_of_the_watch_clock_is_spent_once() -> None:
    clock: list[list[float]] = []
    clock, fresh = spend(clock, (100.0, 115.0), since=0)
    assert fresh == 15
    clock, fresh = spend(clock, (100.0, 115.0), since=0)  # the same moment again
    assert fresh == 0
    clock, fresh = spend(clock, (110.0, 130.0), since=0)  # half of it new
    assert fresh == 15 and clock == [[100.0, 130.0]]
    clock, fresh = spend(clock, (50.0, 60.0), since=0)  # an offline stretch from earlier
    assert fresh == 10 and clock == [[50.0, 60.0], [100.0, 130.0]]
    clock, fresh = spend(clock, (200.0, 210.0), since=90)  # what ended before 90 is forgotten
    assert fresh == 10 and clock == [[100.0, 130.0], [200.0, 210.0]]


def test_a_heartbeat_spends_its_wall_time_up_to_the_longest_gap() -> None:
    assert wall_span(Heartbeat(0, 15, 1.0, 15), 1000.0, 30) == (985.0, 1000.0)
    assert wall_span(Heartbeat(0, 15, 1.0, 600), 1000.0, 30) == (970.0, 1000.0)
    assert wall_span(Heartbeat(0, 15, 1.0, -5), 1000.0, 30) == (1000.0, 1000.0)
