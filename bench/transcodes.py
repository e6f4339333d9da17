"""``python -m bench.transcodes``: how long a trivial ``asyncio.to_thread`` call waits while
videos are transcoded, with transcodes in asyncio's default thread pool (the baseline: how
the bot did it before) and in the bot's `TranscodePool` (worker processes, one at a time).

Examples::

    python -m bench.transcodes                     # six transcodes of a 6-s 640x360 clip
    python -m bench.transcodes --size 1280x720     # the same at 720p (a 300 MB clip)
    python -m bench.transcodes --videos 3 --json out/transcodes.json

Each variant starts the same number of transcodes at once and, while they run, asks
``to_thread`` for a no-op every 100 ms; it reports how long those calls took (p50, p95,
max), how long the transcodes took together, and the peak RSS of the process. The bot's
image checks, result writes and re-encodes are such ``to_thread`` calls.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.media.transcode import Floor, fit_video
from bot.media.transcode_pool import TranscodePool
from mps_emulator.videos import VideoParams, render_video

PROBE_EVERY = 0.1


async def _probe(stop: asyncio.Event, waits: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.to_thread(lambda: None)
        waits.append(time.perf_counter() - started)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), PROBE_EVERY)


async def _variant(name: str, transcode: Callable[[], Awaitable[bytes]], videos: int) -> dict:
    waits: list[float] = []
    stop = asyncio.Event()
    probe = asyncio.create_task(_probe(stop, waits))
    started = time.perf_counter()
    outputs = await asyncio.gather(*(transcode() for _ in range(videos)))
    took = time.perf_counter() - started
    stop.set()
    await probe
    waits.sort()
    return {
        "variant": name,
        "videos": videos,
        "transcodes_s": round(took, 2),
        "output_bytes": [len(o) for o in outputs],
        "probes": len(waits),
        "to_thread_p50_ms": round(statistics.median(waits) * 1000, 2),
        "to_thread_p95_ms": round(waits[int(len(waits) * 0.95)] * 1000, 2),
        "to_thread_max_ms": round(waits[-1] * 1000, 2),
    }


async def run(videos: int, workers: int, width: int, height: int) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="transcodes-") as folder:
        path = Path(folder) / "clip.mp4"
        # Fresh noise in every frame, stored lossless: a clip no encoder can shrink cheaply.
        params = VideoParams(width, height, 6, True, "noise")
        clip = await asyncio.to_thread(render_video, params)
        path.write_bytes(clip)
        del clip
        target = 4 * 2**20  # under a 10 MiB upload limit's per-file share: all transcoded
        pool = TranscodePool(workers=workers, time_limit=600)
        results = [
            await _variant(
                "default thread pool (baseline)",
                lambda: asyncio.to_thread(fit_video, path, target, Floor()),
                videos,
            ),
            await _variant(
                f"TranscodePool ({workers} worker)", lambda: pool.fit(path, target, Floor()), videos
            ),
        ]
        for result in results:
            result["clip"] = f"{width}x{height}, 6 s, {path.stat().st_size} bytes"
            result["target_bytes"] = target
        results[-1]["pool_peak_workers"] = pool.peak
    # The process' own peak: the baseline decodes in this process, the pool in its workers.
    results[-1]["peak_rss_mb_after_both"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
    )
    return results


def table(results: list[dict]) -> str:
    lines = [f"{'variant':<34}{'transcodes':>11}{'to_thread p50':>15}{'p95':>10}{'max':>10}"]
    for r in results:
        lines.append(
            f"{r['variant']:<34}{r['transcodes_s']:>10.1f}s{r['to_thread_p50_ms']:>13.1f}ms"
            f"{r['to_thread_p95_ms']:>8.1f}ms{r['to_thread_max_ms']:>8.1f}ms"
        )
    base, pool = results[0], results[-1]
    ratio = pool["to_thread_max_ms"] / max(base["to_thread_max_ms"], 0.001)
    lines.append(f"to_thread max, pool / baseline: {ratio:.3f}x")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.transcodes",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--videos", type=int, default=6, help="transcodes started at once")
    p.add_argument("--workers", type=int, default=1, help="the pool's worker processes")
    p.add_argument("--size", default="640x360", help="the clip's WIDTHxHEIGHT (even numbers)")
    p.add_argument("--json", default="transcodes-results.json", metavar="PATH")
    args = p.parse_args(argv)
    width, height = (int(side) for side in args.size.split("x"))
    results = asyncio.run(run(args.videos, args.workers, width, height))
    print(table(results))
    Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
