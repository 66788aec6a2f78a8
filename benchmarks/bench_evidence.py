"""Clearing an assessor's evidence of its metadata at submission: a 12-megapixel phone photo
(JPEG, EXIF with the taker, the phone and an orientation) decoded, turned upright and
written again; a 60-second 720p clip copied stream by stream without its metadata.

Targets on the 2-core machine: a photo p50 ≤ 1500 ms, a clip ≤ 5 s (the submission waits
for them). Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_evidence.py``.
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image

from benchmarks.measure import emit, figure, measure
from ingest import media
from ingest.scrub import scrub_clip, scrub_photo


def phone_jpeg() -> bytes:
    """4000×3000, textured like a photo (noise over a gradient), tagged like a phone's."""
    size = (4000, 3000)
    shade = Image.linear_gradient("L").resize(size)
    grain = Image.effect_noise(size, 24)
    picture = Image.merge("RGB", (shade, grain, Image.blend(shade, grain, 0.5)))
    exif = Image.Exif()
    exif[0x013B], exif[0x010F], exif[0x0112] = "Zhou BJ-0042", "HUAWEI", 6
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


def main() -> None:
    photo = phone_jpeg()
    photos = measure(
        "12 MP JPEG photo cleared",
        lambda: scrub_photo(photo, "image/jpeg"),
        runs=10,
        target="p50 ≤ 1500 ms",
    )
    with tempfile.TemporaryDirectory() as folder:
        clip, cleared = Path(folder) / "clip.mp4", Path(folder) / "cleared.mp4"
        media.sample_video(clip, seconds=60, width=1280, height=720, video_bitrate=2_500_000)
        started = time.perf_counter()
        scrub_clip(clip, cleared)
        seconds = time.perf_counter() - started
        size_mb = clip.stat().st_size / 1e6
    clips = figure("60 s 720p clip cleared", seconds, "s", "≤ 5 s")
    print(
        f"evidence cleared of its metadata (photo {len(photo) / 1e6:.1f} MB, clip {size_mb:.1f} MB)"
    )
    print(f"  {photos.row()}")
    print(f"  {clips.row()}")
    emit("evidence", [photos, clips])


if __name__ == "__main__":
    main()
