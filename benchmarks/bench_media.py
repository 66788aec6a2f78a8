"""Processing a 60-second 720p H.264 upload: probe, thumbnail, 480p and audio renditions.

Target: ≤ 15 s on the 2-core machine, end to end through the real upload path (complete →
process_media task inline) on the local object store. Steps are also timed one by one.
Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_media.py``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.measure import emit, figure
from benchmarks.setup import bench_app
from catalog.lectures import authoring, uploads
from catalog.runtime import runtime
from catalog.uploads import staging_key
from ingest import media

SECONDS = 60


def timed(label: str, call: object, rows: list[tuple[str, float]]) -> None:
    started = time.perf_counter()
    call()  # type: ignore[operator]
    rows.append((label, time.perf_counter() - started))


def main() -> None:
    rows: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        original = work / "lecture-720p.mp4"
        timed(
            "generate the 60 s 720p sample (not counted)",
            lambda: media.sample_video(
                original, seconds=SECONDS, width=1280, height=720, video_bitrate=2_500_000
            ),
            rows,
        )
        info = media.probe(original)
        timed("probe", lambda: media.probe(original), rows)
        timed("thumbnail", lambda: media.thumbnail(original, work / "t.jpg", at_seconds=3), rows)
        timed(
            "480p H.264/AAC rendition",
            lambda: media.mobile_rendition(original, work / "m.mp4", max_height=480),
            rows,
        )
        timed("AAC audio rendition", lambda: media.audio_rendition(original, work / "a.m4a"), rows)
        with bench_app() as bench:
            instructor = bench.users["instructor"]
            lecture = authoring.create(
                instructor, title="基准微课", description="", knowledge_points=[]
            )
            data_size = original.stat().st_size
            plan = uploads.plan_upload(
                instructor,
                lecture.id,
                file_name=original.name,
                size=data_size,
                content_type="video/mp4",
                sha256=None,
            )
            with original.open("rb") as source:
                runtime().object_store.put(
                    staging_key(plan.upload.key), source, content_type="video/mp4"
                )
            started = time.perf_counter()
            upload = uploads.complete_upload(instructor, lecture.id, plan.upload.id, None)
            total = time.perf_counter() - started
            assert upload.status.value == "done", upload.failure_reason
    print(
        f"media processing, {SECONDS} s {info.width}x{info.height} {info.video_codec}/"
        f"{info.audio_codec} at {info.bitrate // 1000} kb/s ({data_size / 1e6:.1f} MB)"
    )
    for label, seconds in rows:
        print(f"  {label:<45} {seconds:6.2f} s")
    end_to_end = figure("complete → processed (end to end)", total, "s", "≤ 15 s")
    print(
        f"  {'complete → processed (end to end)':<45} {total:6.2f} s   target ≤ 15 s: "
        f"{end_to_end.verdict}"
    )
    emit("media", [*(figure(label, seconds, "s") for label, seconds in rows), end_to_end])


if __name__ == "__main__":
    main()
