"""A faithful loopback emulator of the Tencent Cloud MPS AIGC API, for tests and benchmarks.

It verifies TC3-HMAC-SHA256 signatures as Tencent does, enforces the per-action rate limits
over rolling one-second windows, runs tasks through WAIT -> RUN -> DONE/FAIL on their own
drawn durations, serves real result images behind signed expiring URLs, injects faults on
demand, and counts everything a benchmark wants to know.

Default credentials (accepted when no others are configured; they are the public example
values of MPS-API.md, not secrets):

    SecretId  AKIDEXAMPLEEXAMPLEEXAMPLEEXAMPLE
    SecretKey EXAMPLEKEYEXAMPLEKEYEXAMPLEKEY12

From the command line: ``python -m bot.mps.emulator --port 8765`` (``--help`` for the rest).
From Python::

    from bot.mps.emulator import EmulatorConfig, MpsEmulator

    config = EmulatorConfig(image_wait=(0.0, 0.0), image_run=(0.05, 0.05), seed=1)
    async with MpsEmulator(config) as emu:
        ...  # endpoint emu.url, Host header emu.host, sign with emu.credentials
        emu.inject_fault("slow", "CreateAigcImageTask", delay=5)
        print(emu.stats()["actions"]["CreateAigcImageTask"]["peak_1s"])

HTTP admin endpoints (unauthenticated; the emulator is a loopback test tool):
``GET /_emulator/stats``, ``POST /_emulator/faults`` (body as `MpsEmulator.inject_fault`'s
arguments), ``POST /_emulator/reset`` (optional body ``{"full": true}``).
"""

from .config import (
    ACTIONS,
    DEFAULT_IMAGE_MODELS,
    DEFAULT_RATE_LIMITS,
    DEFAULT_SECRET_ID,
    DEFAULT_SECRET_KEY,
    DEFAULT_VIDEO_MODELS,
    EmulatorConfig,
)
from .faults import ANY_ACTION, API_FAULT_KINDS, DOWNLOAD, DOWNLOAD_FAULT_KINDS
from .server import FAIL_TASK, MpsEmulator
from .tasks import Task

__all__ = [
    "ACTIONS",
    "ANY_ACTION",
    "API_FAULT_KINDS",
    "DEFAULT_IMAGE_MODELS",
    "DEFAULT_RATE_LIMITS",
    "DEFAULT_SECRET_ID",
    "DEFAULT_SECRET_KEY",
    "DEFAULT_VIDEO_MODELS",
    "DOWNLOAD",
    "DOWNLOAD_FAULT_KINDS",
    "FAIL_TASK",
    "EmulatorConfig",
    "MpsEmulator",
    "Task",
]
