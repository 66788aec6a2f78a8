"""PyAV processing on real generated media: probe, thumbnail, renditions, refusals."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from ingest import media
from tests.support.media import Samples


def test_probe_reads_a_real_video(samples: Samples) -> None:
    info = media.probe(samples.video_720p)
    assert (info.width, info.height) == (1280, 720)
    assert info.video_codec == "h264"
    assert info.audio_codec == "aac"
    assert 2.9 < info.duration_seconds < 3.2
    assert info.bitrate > 0
    assert info.frame_rate == 25


def test_thumbnail_is_a_jpeg_frame(samples: Samples, tmp_path: Path) -> None:
    target = tmp_path / "thumb.jpg"
    media.thumbnail(samples.video_720p, target, at_seconds=1)
    assert target.read_bytes()[:3] == b"\xff\xd8\xff"
    with av.open(str(target)) as image:
        frame = next(image.decode(video=0))
        assert (frame.width, frame.height) == (640, 360)


def test_mobile_rendition_is_480p_h264_aac_with_fast_start(
    samples: Samples, tmp_path: Path
) -> None:
    target = tmp_path / "mobile.mp4"
    media.mobile_rendition(samples.video_720p, target, max_height=480)
    info = media.probe(target)
    assert info.height == 480
    assert info.width == 852
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    head = target.read_bytes()[:4096]
    assert (
        head.index(b"moov") < 64
    )  # the index comes first: playback starts before the download ends
    assert abs(info.duration_seconds - 3) < 0.2


def test_audio_rendition_has_no_video(samples: Samples, tmp_path: Path) -> None:
    target = tmp_path / "audio.m4a"
    media.audio_rendition(samples.video_720p, target)
    info = media.probe(target)
    assert not info.has_video
    assert info.audio_codec == "aac"
    assert info.bitrate < 100_000


def test_which_originals_need_a_mobile_rendition(samples: Samples) -> None:
    big = media.probe(samples.video_720p)
    small = media.probe(samples.video_small)
    assert media.needs_mobile_rendition(big, max_height=480, max_bitrate=1_200_000)
    assert not media.needs_mobile_rendition(small, max_height=480, max_bitrate=1_200_000)
    heavy_but_small = media.needs_mobile_rendition(small, max_height=480, max_bitrate=100_000)
    assert heavy_but_small


@pytest.mark.parametrize("which", ["corrupt", "text"])
def test_non_media_gets_a_readable_reason(samples: Samples, which: str) -> None:
    with pytest.raises(media.MediaError) as raised:
        media.probe(getattr(samples, which))
    assert "/" in str(raised.value)  # Chinese / English
    assert "无法识别" in str(raised.value) or "损坏" in str(raised.value)
