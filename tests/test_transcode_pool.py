"""Video transcodes run in worker processes of their own: at most `workers` at once (the
others wait holding only a path), each stopped at its time limit, and never in asyncio's
default thread pool. (How much a trivial `to_thread` call is delayed is measured by
`python -m bench.transcodes`, not timed here.)"""

from __future__ import annotations

import asyncio
import io
import os
import sys
from pathlib import Path

import av
import pytest

from bot.media.transcode import Floor, TranscodeError
from bot.media.transcode_pool import TranscodePool
from mps_emulator.videos import VideoParams, render_video

# A worker that says who it is, then never finishes (argv: source, out, target, floor…).
STUCK = (
    sys.executable,
    "-c",
    "import os, sys, time; open(sys.argv[1] + '.pid', 'w').write(str(os.getpid())); "
    "time.sleep(600)",
)


def seconds_of(data: bytes) -> float:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        return sum(1 for _ in container.decode(stream)) / float(stream.average_rate)


async def test_transcodes_run_one_at_a_time_in_worker_processes(tmp_path: Path) -> None:
    path = tmp_path / "big.mp4"
    path.write_bytes(render_video(VideoParams(320, 180, 2, True, "noise")))
    assert path.stat().st_size > 3 * 2**20
    pool = TranscodePool(workers=1, time_limit=120)
    target = 2**20
    fitted = await asyncio.gather(*(pool.fit(path, target, Floor()) for _ in range(3)))
    assert all(len(data) <= target for data in fitted)
    assert all(abs(seconds_of(data) - 2) < 0.1 for data in fitted)
    # Three asked at once, one worker process at a time.
    assert pool.peak == 1 and pool.running == 0


async def test_a_transcode_past_its_time_limit_is_stopped(tmp_path: Path) -> None:
    source = tmp_path / "video.mp4"
    source.write_bytes(b"whatever")
    pool = TranscodePool(workers=1, time_limit=0.5, command=STUCK)
    async with asyncio.timeout(30):  # bounded: the worker itself would sleep ten minutes
        with pytest.raises(TranscodeError) as stopped:
            await pool.fit(source, 2**20, Floor())
    assert stopped.value.key == "video.transcode_timeout"
    assert stopped.value.params == {"seconds": "0.5"}
    pid = int((tmp_path / "video.mp4.pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # killed and reaped
    assert pool.running == 0


async def test_a_file_that_is_no_video_fails_as_unreadable(tmp_path: Path) -> None:
    source = tmp_path / "bad.mp4"
    source.write_bytes(b"\x00\x00\x00\x18ftypmp42 not really" * 1000)
    pool = TranscodePool(workers=1, time_limit=60)
    with pytest.raises(TranscodeError) as refused:
        await pool.fit(source, 1024, Floor())
    assert refused.value.key == "video.unreadable"
