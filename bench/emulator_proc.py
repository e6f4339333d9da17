"""The emulator as a separate process, and the admin endpoints of any emulator.

A fresh emulator per variant, with the same seed, gives both variants the same sequence of
task durations and clean counters.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from .common import ROOT, child_env
from .instrument import process_cpu_seconds
from .profiles import IMAGE_TOTAL, VIDEO_TOTAL, WAIT_FRACTION, emulator_limits

# Loopback admin calls never go through a proxy the environment happens to name.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class EmulatorProcess:
    """`python -m mps_emulator` with durations divided by k and rate limits times k."""

    def __init__(
        self,
        k: float,
        seed: int,
        log_path: Path,
        image_total: tuple[float, float] = IMAGE_TOTAL,
    ) -> None:
        self.k = k
        self.image_total = image_total
        self.seed = seed
        self.log_path = log_path
        self.url: str | None = None
        self._proc: subprocess.Popen[str] | None = None
        self._log = None

    def command(self) -> list[str]:
        k = self.k
        cmd = [
            sys.executable,
            "-m",
            "mps_emulator",
            "--port",
            "0",
            "--seed",
            str(self.seed),
            "--total",
            f"{self.image_total[0] / k:.6f}",
            f"{self.image_total[1] / k:.6f}",
            "--video-total",
            f"{VIDEO_TOTAL[0] / k:.6f}",
            f"{VIDEO_TOTAL[1] / k:.6f}",
            "--wait-fraction",
            str(WAIT_FRACTION),
            "--shared-images",
        ]
        for action, limit in emulator_limits(k).items():
            cmd += ["--rate-limit", f"{action}={limit}"]
        return cmd

    def start(self) -> str:
        self._log = open(self.log_path, "a", encoding="utf-8")  # noqa: SIM115 - kept open
        self._proc = subprocess.Popen(
            self.command(),
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            cwd=ROOT,
            env=child_env(),
        )
        assert self._proc.stdout is not None
        first = self._proc.stdout.readline()
        if "listening on" not in first:
            self.stop()
            raise RuntimeError(f"the emulator did not start; see {self.log_path}")
        self.url = first.split()[-1]
        return self.url

    def cpu_seconds(self) -> float | None:
        return process_cpu_seconds(self._proc.pid) if self._proc else None

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None


def admin_base(endpoint: str) -> str:
    return endpoint.rstrip("/")


def fetch_stats(endpoint: str) -> dict[str, Any] | None:
    """The emulator's counters, or None when the endpoint is not an emulator."""
    try:
        with _OPENER.open(f"{admin_base(endpoint)}/_emulator/stats", timeout=30) as resp:
            data = json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "actions" in data else None


def reset_stats(endpoint: str, full: bool = False) -> bool:
    body = json.dumps({"full": full}).encode()
    request = urllib.request.Request(
        f"{admin_base(endpoint)}/_emulator/reset",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with _OPENER.open(request, timeout=10) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False
