"""Make an MP4 small enough for an upload limit: H.264 + AAC with PyAV, audio kept.

Blocking and CPU-bound: call `fit_video` through `asyncio.to_thread`. The bitrate is worked
out from the duration and the target size; x264 does not hit a bitrate exactly, so the
result is measured and, when still too big, encoded again with a lower bitrate and a smaller
picture, down to a floor below which the video would be unwatchable.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

log = logging.getLogger(__name__)

AUDIO_BPS = 64_000
# The MP4 container and the encoders' rate control need some room under the target.
HEADROOM = 0.85
MAX_ATTEMPTS = 4


class TranscodeError(Exception):
    """`key` names a localised reason: `video.unreadable` or `video.cannot_fit`."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class VideoInfo:
    duration: float  # seconds
    width: int
    height: int
    fps: Fraction
    has_audio: bool


@dataclass(frozen=True)
class Floor:
    """The least a transcoded video may have."""

    short_side: int = 240
    video_bps: int = 150_000


def probe(data: bytes) -> VideoInfo:
    try:
        with av.open(io.BytesIO(data)) as container:
            if not container.streams.video:
                raise TranscodeError("video.unreadable")
            stream = container.streams.video[0]
            duration = _duration(container, stream)
            fps = stream.average_rate or Fraction(24)
            return VideoInfo(
                duration,
                stream.codec_context.width,
                stream.codec_context.height,
                Fraction(fps),
                bool(container.streams.audio),
            )
    except av.FFmpegError:
        raise TranscodeError("video.unreadable") from None


def _duration(container: av.container.InputContainer, stream: av.VideoStream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    raise TranscodeError("video.unreadable")


def plan_bitrate(duration: float, target_bytes: int, has_audio: bool) -> int:
    """Video bits per second that leave the file under `target_bytes`."""
    budget = target_bytes * 8 * HEADROOM / max(duration, 0.1)
    return int(budget - (AUDIO_BPS if has_audio else 0))


def _even(value: float) -> int:
    return max(2, int(value) // 2 * 2)


def fit_video(path: Path, target_bytes: int, floor: Floor = Floor()) -> bytes:
    """The video at `path` re-encoded under `target_bytes`, or TranscodeError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        log.error("cannot read result file %s: %s", path, exc)
        raise TranscodeError("video.unreadable") from None
    info = probe(data)
    video_bps = plan_bitrate(info.duration, target_bytes, info.has_audio)
    short = min(info.width, info.height)
    least_short = min(floor.short_side, short)  # never upscale to reach the floor
    # Fewer pixels at a low bitrate look better than many starved ones: about 0.1 bit per
    # pixel per frame is where H.264 stops smearing.
    # (A target too small for the sound alone leaves no bitrate: the floor refuses it below.)
    pixels_ok = max(video_bps, 1) / (0.1 * float(info.fps))
    scale = min(1.0, (pixels_ok / (info.width * info.height)) ** 0.5)
    scale = max(scale, least_short / short)
    for attempt in range(MAX_ATTEMPTS):
        width, height = _even(info.width * scale), _even(info.height * scale)
        if video_bps < floor.video_bps:
            break
        encoded = _encode(data, info, width, height, video_bps)
        size = len(encoded)
        log.info(
            "transcoded %d bytes to %d (%dx%d, %d kbit/s, attempt %d, target %d)",
            len(data),
            size,
            width,
            height,
            video_bps // 1000,
            attempt + 1,
            target_bytes,
        )
        if size <= target_bytes:
            return encoded
        video_bps = int(video_bps * target_bytes / size * 0.9)
        scale = max(scale * 0.8, least_short / short)
    raise TranscodeError(
        "video.cannot_fit",
        size=f"{len(data) / 2**20:.1f}",
        max=f"{target_bytes / 2**20:.1f}",
    )


def _encode(data: bytes, info: VideoInfo, width: int, height: int, video_bps: int) -> bytes:
    out = io.BytesIO()
    try:
        with av.open(io.BytesIO(data)) as source, av.open(out, "w", format="mp4") as target:
            in_video = source.streams.video[0]
            in_audio = source.streams.audio[0] if source.streams.audio else None
            fps = info.fps
            video = target.add_stream("libx264", rate=fps)
            video.width, video.height, video.pix_fmt = width, height, "yuv420p"
            video.bit_rate = video_bps
            kbps = max(1, video_bps // 1000)
            # A VBV buffer keeps x264 near the average even on content that will not
            # compress, where plain ABR overshoots.
            video.options = {"preset": "veryfast", "maxrate": f"{kbps}k", "bufsize": f"{kbps}k"}
            audio = None
            if in_audio is not None:
                audio = target.add_stream("aac", rate=in_audio.codec_context.sample_rate)
                audio.layout = in_audio.codec_context.layout.name
                audio.bit_rate = AUDIO_BPS
            streams = [in_video] + ([in_audio] if in_audio is not None else [])
            frames = 0
            for packet in source.demux(*streams):
                for frame in packet.decode():
                    if isinstance(frame, av.VideoFrame):
                        frame = frame.reformat(width=width, height=height, format="yuv420p")
                        frame.pts = frames
                        frame.time_base = 1 / fps
                        frames += 1
                        target.mux(video.encode(frame))
                    elif audio is not None:
                        frame.pts = None
                        target.mux(audio.encode(frame))
            target.mux(video.encode(None))
            if audio is not None:
                target.mux(audio.encode(None))
    except av.FFmpegError as exc:
        log.warning("transcoding failed: %s", exc)
        raise TranscodeError("video.unreadable") from None
    return out.getvalue()
