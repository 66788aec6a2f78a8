"""Photos and clips as a phone leaves them: the picture and the sound, and in their metadata
who took them, on which phone, where."""

from __future__ import annotations

import io
from pathlib import Path

import av
from PIL import Image

from ingest.media import sample_video

TAKER = "Zhou (assessor) BJ-0042"
WHERE = "+39.9042+116.4074/"


def phone_photo(size: tuple[int, int] = (32, 24)) -> bytes:
    """A real PNG whose EXIF names its taker and the phone's make."""
    exif = Image.Exif()
    exif[0x013B] = TAKER  # Artist
    exif[0x010F] = "HUAWEI"  # Make
    out = io.BytesIO()
    Image.new("RGB", size, "orange").save(out, "PNG", exif=exif.tobytes())
    return out.getvalue()


def phone_clip(target: Path) -> None:
    """A real one-second H.264/AAC MP4 whose title, artist, location and track handlers say
    who took it and where."""
    plain = target.with_suffix(".plain.mp4")
    sample_video(plain, seconds=1, width=160, height=90)
    with av.open(str(plain)) as source, av.open(str(target), "w", format="mp4") as output:
        copies = {s.index: output.add_stream_from_template(s) for s in source.streams}
        output.metadata.update({"title": TAKER, "artist": TAKER, "location": WHERE})
        for copy in copies.values():
            copy.metadata["handler_name"] = TAKER
        for packet in source.demux():
            if packet.dts is not None:
                packet.stream = copies[packet.stream.index]
                output.mux(packet)
    plain.unlink()
