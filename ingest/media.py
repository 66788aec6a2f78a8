"""Media processing with PyAV: probe, thumbnail, mobile and audio renditions, sample videos."""

from __future__ import annotations

import fractions
import re
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import av
import av.error
from av.audio.stream import AudioStream
from av.video.stream import VideoStream

MOBILE_VIDEO_CODEC = "libx264"
AUDIO_CODEC = "aac"


class MediaError(Exception):
    """The file is not audio or video, or it is damaged; the message is for the uploader."""


@dataclass(frozen=True)
class Probe:
    duration_seconds: float
    bitrate: int  # bits per second, whole file
    width: int | None
    height: int | None
    video_codec: str | None
    audio_codec: str | None
    frame_rate: float | None

    @property
    def has_video(self) -> bool:
        return self.video_codec is not None

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None


def probe(path: Path) -> Probe:
    """What the file holds; ``MediaError`` when it holds no playable audio or video."""
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            video = next((s for s in container.streams.video), None)
            audio = next((s for s in container.streams.audio), None)
            main: VideoStream | AudioStream | None = video or audio
            if main is None:
                raise MediaError("文件中没有音频或视频 / The file holds no audio or video")
            duration = _duration(container, main)
            if duration <= 0:
                raise MediaError(
                    "无法读取时长，文件可能已损坏 / No duration: the file may be damaged"
                )
            bitrate = container.bit_rate or int(path.stat().st_size * 8 / duration)
            # Decode the first frame: a header that parses over a broken body is caught here.
            _first_frame(container, main)
            _whole(container, main, duration)
            rate = float(video.average_rate) if video is not None and video.average_rate else None
            return Probe(
                duration_seconds=round(duration, 3),
                bitrate=int(bitrate),
                width=video.codec_context.width if video is not None else None,
                height=video.codec_context.height if video is not None else None,
                video_codec=video.codec_context.name if video is not None else None,
                audio_codec=audio.codec_context.name if audio is not None else None,
                frame_rate=rate,
            )
    except MediaError:
        raise
    except (av.error.FFmpegError, ValueError, StopIteration) as exc:
        raise MediaError(
            f"无法识别的媒体文件或文件已损坏 / Not a readable media file: {_why(exc)}"
        ) from exc


def _why(exc: BaseException) -> str:
    """What went wrong, without the server's paths or error numbers (instructors read it)."""
    reason = getattr(exc, "strerror", None) or str(exc)
    return re.sub(r"(/[^\s'\"]+)+", "…", str(reason)).strip()[:200] or type(exc).__name__


def _duration(container: av.container.InputContainer, stream: av.stream.Stream) -> float:
    if container.duration:
        return float(container.duration / av.time_base)
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return 0.0


def _first_frame(container: av.container.InputContainer, stream: av.stream.Stream) -> None:
    for _frame in container.decode(stream):
        return
    raise MediaError("文件无法解码 / The file cannot be decoded")


def _whole(
    container: av.container.InputContainer, stream: VideoStream | AudioStream, duration: float
) -> None:
    """Read every packet of ``stream`` (without decoding): a file cut short in transfer has a
    header promising more than its packets hold, and would stop playing part way."""
    first: float | None = None
    end = 0.0
    for packet in container.demux(stream):
        if packet.pts is None or packet.time_base is None:
            continue
        start = float(packet.pts * packet.time_base)
        first = start if first is None else min(first, start)
        end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
    covered = end - (first or 0.0)
    if covered < duration - max(1.0, duration * 0.02):
        raise MediaError(
            f"文件不完整：只有 {covered:.0f} 秒可播放，应有 {duration:.0f} 秒，请重新上传 / "
            f"The file is incomplete: {covered:.0f} s of {duration:.0f} s can play; upload it again"
        )


def thumbnail(source: Path, target: Path, *, at_seconds: float, max_width: int = 640) -> None:
    """Write a JPEG of the frame at (or just after) ``at_seconds``."""
    try:
        with av.open(str(source)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            if at_seconds > 0 and stream.time_base:
                container.seek(int(at_seconds / stream.time_base), stream=stream, backward=True)
            frame = next(container.decode(stream))
            width, height = _fit(frame.width, frame.height, max_width, max_width)
            with av.open(str(target), "w", format="image2") as output:
                encoder = output.add_stream("mjpeg", rate=1)
                encoder.width, encoder.height = width, height
                encoder.pix_fmt = "yuvj420p"
                image = frame.reformat(width=width, height=height, format="yuvj420p")
                image.pts = 0
                for packet in encoder.encode(image):
                    output.mux(packet)
                for packet in encoder.encode(None):
                    output.mux(packet)
    except (av.error.FFmpegError, StopIteration, IndexError) as exc:
        raise MediaError(f"无法生成缩略图 / Cannot make a thumbnail: {_why(exc)}") from exc


def _fit(width: int, height: int, max_width: int, max_height: int) -> tuple[int, int]:
    """Scale down to fit, keeping the aspect ratio, with even sides (H.264 needs them)."""
    scale = min(1.0, max_width / width, max_height / height)
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def needs_mobile_rendition(info: Probe, *, max_height: int, max_bitrate: int) -> bool:
    if not info.has_video:
        return False
    return (
        (info.height or 0) > max_height
        or info.bitrate > max_bitrate
        or info.video_codec != "h264"
        or (info.has_audio and info.audio_codec != "aac")
    )


def mobile_rendition(
    source: Path,
    target: Path,
    *,
    max_height: int,
    video_bitrate: int = 700_000,
    audio_bitrate: int = 96_000,
) -> None:
    """H.264 (≤ ``max_height``) with AAC in an MP4 whose index comes first (fast start)."""
    _transcode(
        source,
        target,
        max_height=max_height,
        video_bitrate=video_bitrate,
        audio_bitrate=audio_bitrate,
        keep_video=True,
    )


def audio_rendition(source: Path, target: Path, *, audio_bitrate: int = 64_000) -> None:
    """AAC only, in an M4A with fast start, for listening on a poor connection."""
    _transcode(
        source, target, max_height=0, video_bitrate=0, audio_bitrate=audio_bitrate, keep_video=False
    )


def _transcode(
    source: Path,
    target: Path,
    *,
    max_height: int,
    video_bitrate: int,
    audio_bitrate: int,
    keep_video: bool,
) -> None:
    try:
        with (
            av.open(str(source)) as container,
            av.open(str(target), "w", format="mp4", options={"movflags": "+faststart"}) as output,
        ):
            in_video = (
                container.streams.video[0] if keep_video and container.streams.video else None
            )
            in_audio = container.streams.audio[0] if container.streams.audio else None
            if in_video is None and in_audio is None:
                raise MediaError("没有可转码的音视频流 / Nothing to transcode")
            out_video: VideoStream | None = None
            out_audio: AudioStream | None = None
            streams: list[VideoStream | AudioStream] = []
            if in_video is not None:
                in_video.thread_type = "AUTO"
                rate = in_video.average_rate or fractions.Fraction(25)
                width, height = _fit(
                    in_video.codec_context.width,
                    in_video.codec_context.height,
                    max_height * 16 // 9 + 2,
                    max_height,
                )
                out_video = cast(VideoStream, output.add_stream(MOBILE_VIDEO_CODEC, rate=rate))
                out_video.width, out_video.height = width, height
                out_video.pix_fmt = "yuv420p"
                out_video.bit_rate = video_bitrate
                out_video.options = {
                    "preset": "veryfast",
                    "profile": "main",
                    "maxrate": str(video_bitrate * 3 // 2),
                    "bufsize": str(video_bitrate * 2),
                    "g": str(max(1, round(float(rate) * 2))),  # a keyframe every 2 s: quick seeks
                }
                out_video.codec_context.thread_count = 0
                streams.append(in_video)
            if in_audio is not None:
                out_audio = cast(
                    AudioStream,
                    output.add_stream(AUDIO_CODEC, rate=min(in_audio.rate or 44100, 48000)),
                )
                out_audio.bit_rate = audio_bitrate
                out_audio.layout = "stereo" if (in_audio.channels or 1) > 1 else "mono"
                streams.append(in_audio)
            for frame in container.decode(*streams):
                if out_video is not None and isinstance(frame, av.VideoFrame):
                    scaled = frame.reformat(
                        width=out_video.width, height=out_video.height, format="yuv420p"
                    )
                    for packet in out_video.encode(scaled):
                        output.mux(packet)
                elif out_audio is not None and isinstance(frame, av.AudioFrame):
                    frame.pts = None
                    for packet in out_audio.encode(frame):
                        output.mux(packet)
            if out_video is not None:
                for packet in out_video.encode(None):
                    output.mux(packet)
            if out_audio is not None:
                for packet in out_audio.encode(None):
                    output.mux(packet)
    except MediaError:
        raise
    except (av.error.FFmpegError, ValueError, IndexError) as exc:
        raise MediaError(f"转码失败 / Transcoding failed: {_why(exc)}") from exc


def sample_video(
    target: Path,
    *,
    seconds: float,
    width: int = 640,
    height: int = 360,
    fps: int = 25,
    with_audio: bool = True,
    video_bitrate: int = 1_500_000,
) -> None:
    """A real H.264/AAC MP4 from FFmpeg's test sources (demo data, tests and benchmarks)."""
    picture = av.open(
        f"testsrc2=size={width}x{height}:rate={fps}:duration={seconds}", format="lavfi"
    )
    tone = av.open(f"sine=frequency=440:sample_rate=44100:duration={seconds}", format="lavfi")
    with (
        picture,
        tone,
        av.open(str(target), "w", format="mp4", options={"movflags": "+faststart"}) as output,
    ):
        video = output.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.bit_rate = video_bitrate
        video.options = {"preset": "ultrafast", "g": str(fps * 2)}
        audio = output.add_stream("aac", rate=44100) if with_audio else None
        if audio is not None:
            audio.bit_rate = 96_000
        sound = tone.decode(audio=0)
        sound_time = 0.0
        for frame in picture.decode(video=0):
            for packet in video.encode(frame.reformat(format="yuv420p")):
                output.mux(packet)
            # Interleave: keep the sound up with the pictures.
            while audio is not None and sound_time <= (frame.time or 0):
                chunk = next(sound, None)
                if chunk is None:
                    break
                sound_time = chunk.time or sound_time + 0.02
                chunk.pts = None
                for packet in audio.encode(chunk):
                    output.mux(packet)
        for packet in video.encode(None):
            output.mux(packet)
        if audio is not None:
            for chunk in sound:
                chunk.pts = None
                for packet in audio.encode(chunk):
                    output.mux(packet)
            for packet in audio.encode(None):
                output.mux(packet)
