"""Helpers for tests that talk to the MPS emulator: sign and post a request, poll a task.

Reusable from any test file: `from tests.emulator_helpers import call_api, fast_config`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from multidict import CIMultiDictProxy

from bot.mps.signer import DEFAULT_SIGNED_HEADERS, Credentials, sign_request
from mps_emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, EmulatorConfig

DEFAULT_CREDENTIALS = Credentials(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
HUNYUAN = {"ModelName": "Hunyuan", "ModelVersion": "3.0", "Prompt": "a cat"}


@dataclass
class ApiReply:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    @property
    def data(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def response(self) -> dict[str, Any]:
        return self.data["Response"]

    @property
    def error_code(self) -> str | None:
        error = self.response.get("Error")
        return error["Code"] if error else None

    @property
    def error_message(self) -> str | None:
        error = self.response.get("Error")
        return error["Message"] if error else None


class FakeClock:
    """A clock the test moves by hand; pass it as MpsEmulator(clock=...)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def fast_config(**overrides: Any) -> EmulatorConfig:
    """A config whose tasks finish in 50 ms, seeded for reproducible ids."""
    settings: dict[str, Any] = {
        "image_wait": (0.0, 0.0),
        "image_run": (0.05, 0.05),
        "video_wait": (0.0, 0.0),
        "video_run": (0.05, 0.05),
        "seed": 1,
    }
    settings.update(overrides)
    return EmulatorConfig(**settings)


async def call_api(
    session: aiohttp.ClientSession,
    url: str,
    action: str,
    params: dict[str, Any] | None = None,
    *,
    credentials: Credentials = DEFAULT_CREDENTIALS,
    timestamp: int | None = None,
    body: bytes | None = None,
    signed_headers: tuple[str, ...] = DEFAULT_SIGNED_HEADERS,
    host: str | None = None,
    tamper: Callable[[bytes], bytes] | None = None,
    headers: dict[str, str | None] | None = None,
    time_limit: float | None = None,
) -> ApiReply:
    """Sign `params` (or the raw `body`) with sign_request and POST it to `url`.

    `host` is what gets signed (default: host:port of `url`); `tamper` changes the body after
    signing; `headers` overrides sent headers (None removes one); `time_limit` bounds the call.
    """
    data = body if body is not None else json.dumps(params or {}).encode()
    signed_host = host or urlsplit(url).netloc
    sent = sign_request(
        credentials,
        action,
        data,
        signed_host,
        timestamp if timestamp is not None else int(time.time()),
        region="ap-guangzhou",
        signed_headers=signed_headers,
    )
    # aiohttp derives Host from the URL; only send it when the test signs something else.
    if host is None:
        sent.pop("Host")
    for name, value in (headers or {}).items():
        sent.pop(name, None)
        if value is not None:
            sent[name] = value
    if tamper is not None:
        data = tamper(data)
    client_timeout = aiohttp.ClientTimeout(total=time_limit) if time_limit else None
    async with session.post(url + "/", data=data, headers=sent, timeout=client_timeout) as resp:
        return ApiReply(resp.status, resp.headers, await resp.read())


async def wait_for_status(
    session: aiohttp.ClientSession,
    url: str,
    task_id: str,
    statuses: Iterable[str] = ("DONE", "FAIL"),
    *,
    video: bool = False,
    within: float = 5.0,
    interval: float = 0.01,
) -> ApiReply:
    """Poll Describe until the task's Status is one of `statuses`; return that reply."""
    wanted = set(statuses)
    action = "DescribeAigcVideoTask" if video else "DescribeAigcImageTask"
    async with asyncio.timeout(within):
        while True:
            reply = await call_api(session, url, action, {"TaskId": task_id})
            if reply.error_code is None and reply.response["Status"] in wanted:
                return reply
            await asyncio.sleep(interval)
