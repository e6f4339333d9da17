"""Result videos: real, playable MP4 files (H.264 video, optional AAC audio) made with PyAV.

A video depends only on its `VideoParams`, never on the task, so equal requests share one
encoding (see `ResultFiles`). Encoding is blocking and CPU-bound: call `render_video` through
asyncio.to_thread.

Two kinds of picture, as for images:
  gradient  a colour ramp that slides one step per frame: compresses to a few hundred KB
  noise     fresh random pixels every frame, encoded lossless: the file is about
            width * height * 1.5 bytes per frame (e.g. 320x180 at 24 fps: ~2 MiB a second),
            which is how a test gets a result over Discord's upload limit
"""

from __future__ import annotations

import hashlib
import io
import math
import random
from array import array
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from .config import VideoMode

if TYPE_CHECKING:
    import av

FPS = 24
SAMPLE_RATE = 48000
AUDIO_FRAME_SAMPLES = 1024  # what FFmpeg's AAC encoder takes per frame
TONE_HZ = 440.0


@dataclass(frozen=True)
class VideoParams:
    width: int  # even: H.264 in yuv420p needs even sides
    height: int
    duration: int  # seconds
    audio: bool
    mode: VideoMode = "gradient"


def render_video(params: VideoParams) -> bytes:
    """Encode one MP4 of exactly `duration` seconds. Pure and blocking."""
    # Imported here: FFmpeg's libraries weigh ~20 MB, and only video tasks need them (the
    # benchmark's processes import the emulator's configuration, not its videos).
    import av

    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        video = container.add_stream("libx264", rate=FPS)
        video.width, video.height = params.width, params.height
        video.pix_fmt = "yuv420p"
        if params.mode == "noise":
            # Lossless and intra-only: random pixels stay as big as they are raw, so the size
            # is predictable, and no time is spent searching motion in noise.
            video.options = {"preset": "ultrafast", "qp": "0", "g": "1"}
        else:
            video.options = {"preset": "ultrafast", "crf": "28"}
        audio = container.add_stream("aac", rate=SAMPLE_RATE) if params.audio else None
        if audio is not None:
            audio.layout = "mono"

        rng = random.Random(hashlib.sha256(repr(params).encode()).digest())
        for index in range(params.duration * FPS):
            frame = _picture(params, index, rng)
            frame.pts = index
            frame.time_base = Fraction(1, FPS)
            container.mux(video.encode(frame))
        container.mux(video.encode(None))

        if audio is not None:
            total = params.duration * SAMPLE_RATE
            for start in range(0, total, AUDIO_FRAME_SAMPLES):
                samples = min(AUDIO_FRAME_SAMPLES, total - start)
                container.mux(audio.encode(_tone(start, samples)))
            container.mux(audio.encode(None))
    return out.getvalue()


def _picture(params: VideoParams, index: int, rng: random.Random) -> av.VideoFrame:
    import av

    frame = av.VideoFrame(params.width, params.height, "yuv420p")
    for number, plane in enumerate(frame.planes):
        if params.mode == "noise":
            plane.update(rng.randbytes(plane.buffer_size))
            continue
        rows = plane.buffer_size // plane.line_size
        if number == 0:
            # Luma ramps left to right and slides with time, so the video visibly moves.
            shift = index * 4
            row = bytes((x * 256 // plane.width + shift) % 256 for x in range(plane.line_size))
        else:
            row = bytes([64 + 64 * number]) * plane.line_size
        plane.update(row * rows)
    return frame


def _tone(start: int, samples: int) -> av.AudioFrame:
    import av

    frame = av.AudioFrame(format="fltp", layout="mono", samples=samples)
    step = 2 * math.pi * TONE_HZ / SAMPLE_RATE
    values = [0.2 * math.sin(step * (start + i)) for i in range(samples)]
    data = array("f", values).tobytes()
    frame.planes[0].update(data + bytes(frame.planes[0].buffer_size - len(data)))
    frame.sample_rate = SAMPLE_RATE
    frame.pts = start
    frame.time_base = Fraction(1, SAMPLE_RATE)
    return frame
