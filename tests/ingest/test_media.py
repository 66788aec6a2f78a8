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


@pytest.mark.parametrize("share", [0.3, 0.7])
def test_a_video_cut_short_in_transfer_is_refused(
    samples: Samples, tmp_path: Path, share: float
) -> None:
    """A truncated MP4 (fast-start: the index first, then part of the media) was accepted and
    would have stopped playing part way; its header promises more than its packets hold."""
    whole = samples.video_720p.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole[: int(len(whole) * share)])
    with pytest.raises(media.MediaError, match="不完整"):
        media.probe(cut)


def test_a_whole_video_with_audio_only_is_read(tmp_path: Path) -> None:
    sound = tmp_path / "sound.mp4"
    media.sample_video(sound, seconds=4, with_audio=True)
    media.audio_rendition(sound, tmp_path / "sound.m4a")
    info = media.probe(tmp_path / "sound.m4a")
    assert 3.8 < info.duration_seconds < 4.3 and not info.has_video
