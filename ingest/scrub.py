"""What a phone writes into a photo or a clip besides the picture — the owner's name, the
phone's make and model, where and when it was taken (EXIF, XMP, PNG text, MP4 user data) —
taken out before anyone else reads the file. Photos are decoded and written again with the
orientation applied (a phone's portrait photo stays upright); clips are copied stream by
stream, without their metadata, never re-encoded."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import av
from PIL import Image, ImageOps

from ingest.media import MediaError

MAX_PIXELS = 50_000_000  # a 48-megapixel phone camera fits; a decompression bomb does not
MAX_SCANS = 100  # a progressive camera JPEG has about ten (and its thumbnail's)

FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}

CLIP_CODECS = {"video": {"h264", "hevc"}, "audio": {"aac"}}
CLIP_MAX_SECONDS = 15 * 60  # the longest a microlecture is; evidence is shorter
CLIP_MAX_PACKETS = CLIP_MAX_SECONDS * 120  # 60 fps pictures, or AAC's ~47 packets a second


def scrub_photo(data: bytes, content_type: str) -> bytes:
    """The photo again, with nothing but its pixels (and colour profile)."""
    # A marker cannot hide in a JPEG's coded data (an 0xFF there is followed by 0x00): this
    # counts its scans, each of which a decoder runs over the whole picture again.
    if content_type == "image/jpeg" and data.count(b"\xff\xda") > MAX_SCANS:
        raise MediaError("照片扫描段过多 / The photo has too many scans to be a camera's")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[FORMATS[content_type]]) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise MediaError("照片像素过多 / The photo has too many pixels")
                upright = ImageOps.exif_transpose(image)
                upright.load()
    except MediaError:
        raise
    except Exception:  # a decoder meets what it was never meant to (SyntaxError, struct.error…)
        raise MediaError("照片无法读取 / The photo cannot be read") from None
    profile = image.info.get("icc_profile")
    upright.info = {}  # EXIF, XMP, comments, text chunks: none is written again
    out = io.BytesIO()
    options: dict[str, object] = {"icc_profile": profile} if profile else {}
    if content_type == "image/jpeg":
        if upright.mode not in ("RGB", "L", "CMYK"):
            upright = upright.convert("RGB")
        upright.save(out, "JPEG", quality=90, optimize=True, **options)
    elif content_type == "image/webp":
        upright.save(out, "WEBP", quality=90, **options)
    else:
        upright.save(out, "PNG", **options)
    return out.getvalue()


def scrub_clip(source: Path, target: Path) -> None:
    """The clip's first picture and sound streams copied into a new MP4, packet for packet,
    with no container or stream metadata (title, artist, location, creation time, device).
    Only what phones record (H.264 or HEVC pictures, AAC sound): other codecs carry their own
    metadata inside each frame (an MJPEG frame's EXIF), and a clip is short."""
    try:
        with (
            av.open(str(source), metadata_errors="ignore") as container,
            av.open(str(target), "w", format="mp4", options={"movflags": "+faststart"}) as output,
        ):
            kept = container.streams.video[:1] + container.streams.audio[:1]
            if not kept:
                raise MediaError("视频没有音视频流 / The clip has no picture or sound")
            for stream in kept:
                if stream.codec_context.name not in CLIP_CODECS[stream.type]:
                    raise MediaError(
                        f"视频须为手机录制的 H.264/HEVC 与 AAC / A clip is H.264 or HEVC with AAC "
                        f"sound, not {stream.codec_context.name}"
                    )
                base = stream.time_base
                seconds = float(stream.duration * base) if stream.duration and base else 0.0
                if seconds > CLIP_MAX_SECONDS or (stream.frames or 0) > CLIP_MAX_PACKETS:
                    raise MediaError("视频过长 / The clip is too long for evidence")
            copies = {stream.index: output.add_stream_from_template(stream) for stream in kept}
            for copy in copies.values():
                copy.metadata.clear()
            for count, packet in enumerate(container.demux(*kept)):
                if count > CLIP_MAX_PACKETS * 2:
                    raise MediaError("视频过长 / The clip is too long for evidence")
                if packet.dts is None:  # the demuxer's flush packet
                    continue
                packet.stream = copies[packet.stream.index]
                output.mux(packet)
    except MediaError:
        raise
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise MediaError("视频无法读取 / The clip cannot be read") from exc
