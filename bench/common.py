"""What a variant's child process is given and what it hands back."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bot.mps.signer import Credentials
from mps_emulator.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY

from .instrument import CallLog
from .load import LoadJob

ROOT = Path(__file__).resolve().parent.parent


def child_env() -> dict[str, str]:
    """The environment for our child processes: the repository importable, no proxies."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        env.pop(name, None)
    return env


@dataclass
class RunSpec:
    variant: str  # "engine", "oracle", "baseline" or "hold"
    endpoint: str
    k: float
    workdir: str
    jobs: list[LoadJob]
    deadline: float  # compressed seconds after the start: stop then, finished or not
    hold_seconds: float = 10.0
    # Compressed seconds without any job ending, while jobs are in flight, after which the
    # run is called stalled and stopped (the seed approach can livelock on rate limits).
    stall_after: float = 60.0
    # The oracle variant: the engine's image prior is this (real seconds), fully trusted.
    true_image_total: tuple[float, float] | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["jobs"] = [job.to_json() for job in self.jobs]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunSpec:
        data = dict(data)
        data["jobs"] = [LoadJob.from_json(job) for job in data["jobs"]]
        if data.get("true_image_total") is not None:
            data["true_image_total"] = tuple(data["true_image_total"])
        return cls(**data)


@dataclass
class JobRecord:
    """One job's life as the front end saw it; times in compressed seconds from the start."""

    index: int
    guild: int
    user: int
    kind: str
    arrival: float
    queued: float | None = None  # handed to the engine (later than arrival if held back)
    submitted: float | None = None  # MPS accepted the Create
    completed: float | None = None  # results downloaded (READY)
    failed: str | None = None
    ended: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def terminal(self) -> bool:
        return self.completed is not None or self.failed is not None


def credentials() -> Credentials:
    """TENCENTCLOUD_SECRET_ID/KEY when set, else the emulator's public example pair."""
    secret_id = os.environ.get("TENCENTCLOUD_SECRET_ID")
    secret_key = os.environ.get("TENCENTCLOUD_SECRET_KEY")
    if secret_id and secret_key:
        return Credentials(secret_id, secret_key, os.environ.get("TENCENTCLOUD_SESSION_TOKEN"))
    return Credentials(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)


def make_session(log: CallLog) -> aiohttp.ClientSession:
    # No connection cap: neither variant should be throttled by the HTTP pool by accident.
    connector = aiohttp.TCPConnector(limit=0)
    return aiohttp.ClientSession(connector=connector, trace_configs=[log.trace_config()])


class RunClock:
    """Seconds since the run started (compressed time)."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    def __call__(self) -> float:
        return time.monotonic() - self.start


async def wait_until_done(
    done: asyncio.Event,
    records: dict[int, JobRecord],
    clock: RunClock,
    deadline: float,
    stall_after: float,
) -> str:
    """Wait for every job to end; "finished", "deadline" or "stalled"."""
    last_count, last_change = 0, clock()
    while not done.is_set():
        now = clock()
        if now >= deadline:
            return "deadline"
        ended = sum(1 for r in records.values() if r.ended is not None)
        if ended != last_count:
            last_count, last_change = ended, now
        in_flight = any(r.submitted is not None and r.ended is None for r in records.values())
        if in_flight and now - last_change > stall_after:
            return "stalled"
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), min(1.0, deadline - now))
    return "finished"
