"""Client-side measurements, valid against any MPS endpoint: requests per action per rolling
one-second window (from an aiohttp TraceConfig) and RequestLimitExceeded answers (from a
thin MpsClient subclass), plus this process's CPU time and memory."""

from __future__ import annotations

import os
import resource
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager
from types import SimpleNamespace
from typing import Any

import aiohttp

from bot.mps.client import MpsClient
from bot.mps.errors import MpsError, RateLimitedError


class CallLog:
    """When each API request was sent, per action, and how answers went wrong."""

    def __init__(self) -> None:
        self.sent: dict[str, list[float]] = defaultdict(list)
        self.rate_limited: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()

    def trace_config(self) -> aiohttp.TraceConfig:
        config = aiohttp.TraceConfig()
        config.on_request_start.append(self._on_request_start)
        return config

    async def _on_request_start(
        self, session: aiohttp.ClientSession, context: SimpleNamespace, params: Any
    ) -> None:
        action = params.headers.get("X-TC-Action")
        if action:  # result downloads carry none
            self.sent[action].append(time.monotonic())

    def summary(self) -> dict[str, Any]:
        actions = {}
        for action, times in sorted(self.sent.items()):
            actions[action] = {
                "requests": len(times),
                "rate_limited": self.rate_limited[action],
                "peak_1s": peak_in_window(times),
            }
        return {
            "actions": actions,
            "rate_limited": sum(self.rate_limited.values()),
            "errors": dict(self.errors),
        }


def peak_in_window(times: Iterable[float], width: float = 1.0) -> int:
    """Most events in any window (t - width, t]; a new maximum can only end at an event."""
    ordered = sorted(times)
    best = start = 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - width:
            start += 1
        best = max(best, end - start + 1)
    return best


class CountingClient(MpsClient):
    """An MpsClient that records every error answer (RequestLimitExceeded above all)."""

    def __init__(self, *args: Any, log: CallLog, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.call_log = log

    async def call(
        self,
        action: str,
        params: dict[str, Any],
        permit: AbstractAsyncContextManager[Any] | None = None,
    ) -> dict[str, Any]:
        try:
            return await super().call(action, params, permit)
        except RateLimitedError:
            self.call_log.rate_limited[action] += 1
            raise
        except MpsError as exc:
            self.call_log.errors[exc.code] += 1
            raise


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """Resident set size now, from /proc (falls back to the peak elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
    except OSError:
        return peak_rss_mb()
    return pages * resource.getpagesize() / (1024 * 1024)


def process_cpu_seconds(pid: int) -> float | None:
    """CPU seconds used so far by another process (Linux /proc), or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
