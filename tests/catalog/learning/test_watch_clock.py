"""Progress a client cannot inflate (issue 16): whatever heartbeats a phone sends —
overlapping, repeated, reordered, offline batches, several lectures at once — the credited
seconds never exceed the device time they spent at the speed cap, nor any lecture's length."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from catalog.accounts.models import Role, User
from catalog.clock import utcnow
from catalog.database import db
from catalog.learning import progress, recording
from catalog.learning.models import LectureProgress
from catalog.lectures.models import Microlecture
from catalog.runtime import runtime

DURATIONS = (60.0, 100.0, 240.0)

BEAT = st.fixed_dictionaries(
    {
        "lecture": st.integers(0, len(DURATIONS) - 1),
        "start": st.floats(0, 260, allow_nan=False),
        "length": st.floats(-5, 90, allow_nan=False),
        "rate": st.sampled_from([0.5, 1.0, 1.25, 2.0, 3.0, 16.0]),
        # the device's time: often the same few moments (forged or repeated), sometimes any
        "wall": st.one_of(st.sampled_from([0.01, 0.3, 1.0, 15.0]), st.floats(0, 120)),
        "ago": st.one_of(st.sampled_from([0.0, 1.0, 15.0, 30.0]), st.floats(0, 900)),
        "repeat": st.booleans(),  # sent again in a later batch
    }
)


def _statement(beat: dict[str, Any], lecture_id: int, base: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "verb": "progressed",
        "object": {"type": "microlecture", "id": lecture_id},
        "result": {
            "position_from": beat["start"],
            "position_to": beat["start"] + beat["length"],
            "playback_rate": beat["rate"],
            "wall_seconds": beat["wall"],
        },
        "timestamp": (base - timedelta(seconds=beat["ago"])).isoformat(),
    }


def _union(spans: list[tuple[float, float]]) -> float:
    merged: list[list[float]] = []
    for span in spans:
        if span[1] > span[0]:
            merged = progress.merge(merged, span)
    return sum(b - a for a, b in merged)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    beats=st.lists(BEAT, min_size=1, max_size=40),
    batch_sizes=st.lists(st.integers(1, 12), min_size=1, max_size=8),
    reverse_batches=st.booleans(),
)
def test_credited_time_never_exceeds_elapsed_time_at_the_speed_cap(
    app: Flask,
    make_user: Callable[..., User],
    make_lecture: Callable[..., Microlecture],
    beats: list[dict[str, Any]],
    batch_sizes: list[int],
    reverse_batches: bool,
) -> None:
    instructor = make_user(Role.INSTRUCTOR)
    lectures = []
    for duration in DURATIONS:
        lecture = make_lecture(instructor, duration=duration)
        lecture.is_published = True
        lectures.append(lecture)
    db.session.commit()
    learner = make_user(Role.LEARNER)
    base = utcnow()
    statements = [_statement(b, lectures[b["lecture"]].id, base) for b in beats]
    statements += [s for s, b in zip(statements, beats, strict=True) if b["repeat"]]
    batches, position = [], 0
    for size in batch_sizes * 10:
        if position >= len(statements):
            break
        batches.append(statements[position : position + size])
        position += size
    if reverse_batches:  # offline batches reach the server out of order
        batches.reverse()
    stored: dict[str, dict[str, Any]] = {}
    for batch in batches:
        outcomes = recording.record_batch(learner, batch)
        for outcome, statement in zip(outcomes, batch, strict=True):
            if outcome.status == "stored":
                stored[statement["id"]] = statement
    gap = runtime().settings.heartbeat_max_gap_seconds
    spans = []
    for statement in stored.values():
        ended = datetime.fromisoformat(statement["timestamp"]).timestamp()
        wall = min(max(statement["result"]["wall_seconds"], 0.0), gap)
        spans.append((ended - wall, ended))
    elapsed = _union(spans)
    rows = db.session.scalars(
        select(LectureProgress).where(LectureProgress.user_id == learner.id)
    ).all()
    credited = sum(row.seconds_watched for row in rows)
    assert credited <= elapsed * progress.MAX_RATE + 1e-6, (credited, elapsed)
    durations = {lecture.id: lecture.duration_seconds for lecture in lectures}
    for row in rows:
        assert row.seconds_watched <= durations[row.microlecture_id] + 1e-6
        assert 0 <= row.last_position <= durations[row.microlecture_id]
