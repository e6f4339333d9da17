"""Video transcodes in worker processes of their own, few at a time, each with a time limit.

A transcode decodes and encodes every frame: seconds of CPU and tens of MB per video. Run in
asyncio's default thread pool, six of them filled it, and every other `to_thread` call
(image checks, result writes, re-encodes) waited behind them. Here each transcode is a
child process (`python -m bot.media.transcode_worker`): at most `workers` run at once, the
others wait for a slot holding nothing but their file's path (memory does not grow with
the videos in flight), and one that runs past `time_limit` seconds is killed (a process can
be stopped; a thread cannot). The default thread pool is left to the light work.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
import tempfile
from pathlib import Path

from .transcode import Floor, TranscodeError

log = logging.getLogger(__name__)

WORKER = (sys.executable, "-m", "bot.media.transcode_worker")
# The reasons a worker may give (its TranscodeError's key), as the keys they are here.
WORKER_REASONS = {"video.unreadable": "video.unreadable", "video.cannot_fit": "video.cannot_fit"}


class TranscodePool:
    def __init__(
        self, workers: int = 1, time_limit: float = 300.0, command: tuple[str, ...] = WORKER
    ) -> None:
        self.workers = workers
        self.time_limit = time_limit
        self._command = command
        self._slots = asyncio.Semaphore(workers)
        self.running = 0
        self.peak = 0  # the most worker processes alive at once (for tests and logs)

    async def fit(self, path: Path, target_bytes: int, floor: Floor) -> bytes:
        """The video at `path` re-encoded under `target_bytes` (see `transcode.fit_video`),
        or TranscodeError: its own reasons, and `video.transcode_timeout`."""
        async with self._slots:
            with tempfile.TemporaryDirectory(prefix="transcode-") as folder:
                out = Path(folder) / "out.mp4"
                await self._run(path, out, target_bytes, floor)
                return await asyncio.to_thread(out.read_bytes)

    async def _run(self, path: Path, out: Path, target_bytes: int, floor: Floor) -> None:
        args = (str(path), str(out), str(target_bytes), str(floor.short_side))
        proc = await asyncio.create_subprocess_exec(
            *self._command,
            *args,
            str(floor.video_bps),
            str(self.time_limit),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
        )
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            answer, _ = await asyncio.wait_for(proc.communicate(), self.time_limit)
        except TimeoutError:
            log.warning("a transcode ran past %.0fs and was stopped", self.time_limit)
            raise TranscodeError(
                "video.transcode_timeout", seconds=f"{self.time_limit:g}"
            ) from None
        finally:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
            self.running -= 1
        if proc.returncode != 0:
            raise _refusal(answer)


def _refusal(answer: bytes) -> TranscodeError:
    """The worker's TranscodeError, from the JSON line it printed (or `video.unreadable`)."""
    try:
        said = json.loads(answer.decode().strip().splitlines()[-1])
        key = WORKER_REASONS[said["key"]]
        return TranscodeError(key, **dict(said.get("params") or {}))
    except (ValueError, IndexError, KeyError, TypeError):
        return TranscodeError("video.unreadable")
