"""Injected faults, the HTTP admin endpoints, and the command-line entry point."""

from __future__ import annotations

import asyncio
import re
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest

from bot.mps.signer import Credentials
from mps_emulator import MpsEmulator
from tests.emulator_helpers import HUNYUAN, call_api, fast_config, wait_for_status

CREATE = "CreateAigcImageTask"
DESCRIBE = "DescribeAigcImageTask"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
async def emu() -> AsyncIterator[MpsEmulator]:
    async with MpsEmulator(fast_config()) as emulator:
        yield emulator


async def test_internal_error_then_normal(emu: MpsEmulator, session: aiohttp.ClientSession) -> None:
    emu.inject_fault("internal_error", CREATE)
    first = await call_api(session, emu.url, CREATE, HUNYUAN)
    assert (first.status, first.error_code) == (200, "InternalError")
    assert first.headers["Content-Type"] == "application/json"
    second = await call_api(session, emu.url, CREATE, HUNYUAN)
    assert second.error_code is None
    stats = emu.stats()
    assert stats["tasks_created"] == 1
    assert stats["actions"][CREATE]["faults"] == {"internal_error": 1}


@pytest.mark.parametrize(
    "code",
    ["LimitExceeded.CreateTask", "FailedOperation.UserArrears", "ResourceNotFound.DownloadError"],
)
async def test_error_with_any_code(
    emu: MpsEmulator, session: aiohttp.ClientSession, code: str
) -> None:
    emu.inject_fault("error", CREATE, code=code, message="injected")
    reply = await call_api(session, emu.url, CREATE, HUNYUAN)
    assert (reply.error_code, reply.error_message) == (code, "injected")
    assert emu.stats()["tasks_created"] == 0


async def test_http_500(emu: MpsEmulator, session: aiohttp.ClientSession) -> None:
    emu.inject_fault("http_500", DESCRIBE)
    reply = await call_api(session, emu.url, DESCRIBE, {"TaskId": "x"})
    assert reply.status == 500
    assert not reply.headers["Content-Type"].startswith("application/json")


async def test_drop_before_and_after_processing(
    emu: MpsEmulator, session: aiohttp.ClientSession
) -> None:
    emu.inject_fault("drop", CREATE)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await call_api(session, emu.url, CREATE, HUNYUAN)
    assert emu.stats()["tasks_created"] == 0

    emu.inject_fault("drop", CREATE, process=True)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await call_api(session, emu.url, CREATE, HUNYUAN)
    assert emu.stats()["tasks_created"] == 1  # the answer was lost, the task was not


async def test_slow_create_times_out_but_leaves_one_task(
    emu: MpsEmulator, session: aiohttp.ClientSession
) -> None:
    emu.inject_fault("slow", CREATE, delay=30)
    with pytest.raises(TimeoutError):
        await call_api(session, emu.url, CREATE, HUNYUAN, time_limit=0.2)
    stats = emu.stats()
    assert stats["tasks_created"] == 1
    assert stats["actions"][CREATE]["faults"] == {"slow": 1}
    (task_id,) = stats["tasks"]
    # The billed task runs to completion although its creator never heard of it.
    assert (await wait_for_status(session, emu.url, task_id)).response["Status"] == "DONE"


async def test_slow_answer_arrives_late(emu: MpsEmulator, session: aiohttp.ClientSession) -> None:
    emu.inject_fault("slow", DESCRIBE, delay=0.15)
    started = time.monotonic()
    reply = await call_api(session, emu.url, DESCRIBE, {"TaskId": "x"})
    assert time.monotonic() - started >= 0.15
    assert reply.error_code == "ResourceNotFound.TaskNotFound"


async def test_count_any_action_and_auth_first(
    emu: MpsEmulator, session: aiohttp.ClientSession
) -> None:
    emu.inject_fault("internal_error", count=2)  # any action
    bad = Credentials(emu.credentials.secret_id, "wrong")
    # A request that fails authentication does not consume a fault.
    reply = await call_api(session, emu.url, CREATE, HUNYUAN, credentials=bad)
    assert reply.error_code == "AuthFailure.SignatureFailure"
    codes = [
        (await call_api(session, emu.url, DESCRIBE, {"TaskId": "x"})).error_code,
        (await call_api(session, emu.url, CREATE, HUNYUAN)).error_code,
        (await call_api(session, emu.url, CREATE, HUNYUAN)).error_code,
    ]
    assert codes == ["InternalError", "InternalError", None]
    assert emu.stats()["pending_faults"] == {}


async def test_download_faults(emu: MpsEmulator, session: aiohttp.ClientSession) -> None:
    reply = await call_api(session, emu.url, CREATE, HUNYUAN)
    done = await wait_for_status(session, emu.url, reply.response["TaskId"])
    url = done.response["ImageUrls"][0]
    emu.inject_fault("http_500", "Download")
    emu.inject_fault("drop", "Download")
    async with session.get(url) as resp:
        assert resp.status == 500
    # Raw HTTP: aiohttp's client silently retries an idempotent GET once when the server
    # drops it, which would hide the fault.
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(
        f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    assert await reader.read() == b""  # closed without a byte
    writer.close()
    async with session.get(url) as resp:
        assert resp.status == 200
    stats = emu.stats()
    assert stats["downloads"]["served"] == 1 and stats["pending_faults"] == {}


def test_fault_arguments_are_checked() -> None:
    emu = MpsEmulator(fast_config())
    with pytest.raises(ValueError):
        emu.inject_fault("explode", CREATE)
    with pytest.raises(ValueError):
        emu.inject_fault("error", CREATE)  # no code
    with pytest.raises(ValueError):
        emu.inject_fault("internal_error", "Download")
    with pytest.raises(ValueError):
        emu.inject_fault("slow", "NoSuchAction")


async def test_http_admin_endpoints(emu: MpsEmulator, session: aiohttp.ClientSession) -> None:
    async with session.post(
        f"{emu.url}/_emulator/faults",
        json={"kind": "error", "action": CREATE, "code": "FailedOperation.UserArrears"},
    ) as resp:
        assert resp.status == 200
        assert (await resp.json())["pending_faults"] == {CREATE: ["error"]}
    async with session.post(
        f"{emu.url}/_emulator/faults",
        json={"kind": "fail_task", "action": CREATE, "message": "no GPU"},
    ) as resp:
        assert (await resp.json())["pending_task_outcomes"] == {"image": 1, "video": 0}
    async with session.post(f"{emu.url}/_emulator/faults", json={"kind": "nope"}) as resp:
        assert resp.status == 400 and "nope" in (await resp.json())["error"]

    arrears = await call_api(session, emu.url, CREATE, HUNYUAN)
    assert arrears.error_code == "FailedOperation.UserArrears"
    created = await call_api(session, emu.url, CREATE, HUNYUAN)
    failed = await wait_for_status(session, emu.url, created.response["TaskId"])
    assert failed.response["Message"] == "no GPU"

    async with session.get(f"{emu.url}/_emulator/stats") as resp:
        assert resp.headers["Content-Type"] == "application/json"
        stats = await resp.json()
    assert stats["actions"][CREATE]["requests"] == 2
    assert stats["actions"][CREATE]["errors"] == {"FailedOperation.UserArrears": 1}
    assert stats["tasks_created"] == 1

    async with session.post(f"{emu.url}/_emulator/reset") as resp:
        assert resp.status == 200
    assert emu.stats()["actions"] == {} and emu.stats()["tasks_created"] == 0


async def test_command_line_entry_point(session: aiohttp.ClientSession) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mps_emulator",
        "--port",
        "0",
        "--wait",
        "0",
        "--run",
        "0.05",
        "--banned-word",
        "nsfw",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, line
        url = match[0]
        reply = await call_api(session, url, CREATE, HUNYUAN)
        assert reply.response["TaskId"].startswith("4-AigcImage-")
        banned = await call_api(session, url, CREATE, {**HUNYUAN, "Prompt": "NSFW cat"})
        assert banned.error_code == "InvalidParameter.ViolationContent"
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 10) == 0
