"""Photos and clips lose what the phone wrote into them besides the picture and the sound:
an assessor's evidence named its taker (EXIF Artist), and a candidate could read it."""

from __future__ import annotations

import io
from pathlib import Path

import av
import pytest
from PIL import Image, PngImagePlugin

from ingest.media import MediaError
from ingest.scrub import scrub_clip, scrub_photo
from tests.support.phone_media import TAKER, phone_clip

WHO = TAKER


def tagged_exif() -> bytes:
    exif = Image.Exif()
    exif[0x013B] = WHO  # Artist
    exif[0x010F] = "HUAWEI"  # Make
    exif[0x0112] = 6  # Orientation: the camera was held upright
    return exif.tobytes()


def photo(fmt: str) -> bytes:
    picture = Image.new("RGB", (40, 20), "red")
    picture.putpixel((0, 0), (0, 0, 255))
    out = io.BytesIO()
    if fmt == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Author", WHO)
        picture.save(out, fmt, pnginfo=text, exif=tagged_exif())
    elif fmt == "WEBP":
        picture.save(out, fmt, exif=tagged_exif(), xmp=f"<x>{WHO}</x>".encode())
    else:
        picture.save(out, fmt, exif=tagged_exif(), comment=WHO.encode())
    return out.getvalue()


@pytest.mark.parametrize(
    "content_type, fmt", [("image/jpeg", "JPEG"), ("image/png", "PNG"), ("image/webp", "WEBP")]
)
def test_a_photo_keeps_its_picture_upright_and_nothing_else(content_type: str, fmt: str) -> None:
    original = photo(fmt)
    assert WHO.encode() in original
    clean = scrub_photo(original, content_type)
    assert WHO.encode() not in clean and b"HUAWEI" not in clean
    with Image.open(io.BytesIO(clean)) as shown:
        assert shown.format == fmt
        assert dict(shown.getexif()) == {}
        assert shown.size == (20, 40)  # turned as the phone meant it, then untagged
        assert not {"comment", "xmp", "Author"} & shown.info.keys()


def test_a_file_that_is_not_that_photo_is_refused() -> None:
    with pytest.raises(MediaError):
        scrub_photo(photo("PNG"), "image/jpeg")
    with pytest.raises(MediaError):
        scrub_photo(b"\xff\xd8\xff\xe0 not really a jpeg", "image/jpeg")


def test_a_picture_too_large_to_decode_safely_is_refused() -> None:
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, "PNG")  # 64 megapixels in a few kilobytes
    with pytest.raises(MediaError):
        scrub_photo(out.getvalue(), "image/png")


def test_a_clip_keeps_its_picture_and_sound_and_nothing_else(tmp_path: Path) -> None:
    tagged, clean = tmp_path / "tagged.mp4", tmp_path / "clean.mp4"
    phone_clip(tagged)
    assert TAKER.encode() in tagged.read_bytes()
    scrub_clip(tagged, clean)
    assert TAKER.encode() not in clean.read_bytes()
    with av.open(str(clean)) as kept, av.open(str(tagged)) as before:
        assert not {"title", "artist", "location"} & kept.metadata.keys()
        assert [(s.type, s.frames) for s in kept.streams] == [
            (s.type, s.frames) for s in before.streams
        ]


def test_a_file_that_is_not_a_clip_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    with pytest.raises(MediaError):
        scrub_clip(broken, tmp_path / "out.mp4")


def test_a_photo_whose_metadata_is_not_what_it_says_is_refused_not_a_crash() -> None:
    """A PNG whose eXIf chunk is not TIFF made Pillow raise SyntaxError: a 500, and the retry
    served the original bytes, the taker's name and GPS text in them."""
    out = io.BytesIO()
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", WHO)
    Image.new("RGB", (64, 64), "grey").save(out, "PNG", pnginfo=text, exif=b"XXXXXXXXXXXX")
    with pytest.raises(MediaError):
        scrub_photo(out.getvalue(), "image/png")


def test_a_clip_in_a_codec_phones_do_not_record_is_refused(tmp_path: Path) -> None:
    """An MJPEG clip keeps each frame's EXIF through a stream copy (the taker, ten times)."""
    clip = tmp_path / "mjpeg.mp4"
    with av.open(str(clip), "w", format="mp4") as output:
        stream = output.add_stream("mjpeg", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuvj420p"
        for _ in range(10):
            frame = av.VideoFrame.from_image(Image.new("RGB", (64, 48), "blue"))
            for packet in stream.encode(frame.reformat(format="yuvj420p")):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)
    with pytest.raises(MediaError, match="mjpeg"):
        scrub_clip(clip, tmp_path / "out.mp4")


def test_a_jpeg_of_endless_scans_is_refused_before_it_is_decoded() -> None:
    """A progressive JPEG whose last scan is repeated 10,000 times (942 KB) kept a decoder busy
    for 50 s."""
    out = io.BytesIO()
    Image.new("L", (64, 64)).save(out, "JPEG", progressive=True)
    data = out.getvalue()
    last_scan = data[data.rindex(b"\xff\xda") : -2]
    endless = data[:-2] + last_scan * 200 + b"\xff\xd9"
    scrub_photo(data, "image/jpeg")  # a camera's progressive JPEG clears
    with pytest.raises(MediaError, match="scans"):
        scrub_photo(endless, "image/jpeg")
