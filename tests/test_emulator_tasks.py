"""Task lifecycle, result files and the counters a benchmark reads."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl, urlencode, urlsplit

import aiohttp
import pytest
from PIL import Image

from mps_emulator import MpsEmulator
from tests.emulator_helpers import HUNYUAN, FakeClock, call_api, fast_config, wait_for_status

CREATE = "CreateAigcImageTask"
DESCRIBE = "DescribeAigcImageTask"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def create(session: aiohttp.ClientSession, emu: MpsEmulator, **fields: object) -> str:
    reply = await call_api(session, emu.url, CREATE, {**HUNYUAN, **fields})
    assert reply.error_code is None, reply.response
    return reply.response["TaskId"]


async def describe(session: aiohttp.ClientSession, emu: MpsEmulator, task_id: str) -> dict:
    reply = await call_api(session, emu.url, DESCRIBE, {"TaskId": task_id})
    assert reply.error_code is None, reply.response
    return reply.response


async def fetch(session: aiohttp.ClientSession, url: str) -> tuple[int, str, bytes]:
    async with session.get(url) as resp:
        return resp.status, resp.headers["Content-Type"], await resp.read()


async def test_lifecycle_on_a_fake_clock(session: aiohttp.ClientSession) -> None:
    clock = FakeClock(1000.0)
    config = fast_config(image_wait=(1.0, 1.0), image_run=(2.0, 2.0), url_lifetime=10.0)
    async with MpsEmulator(config, clock=clock) as emu:
        task_id = await create(
            session,
            emu,
            AdditionalParameters=json.dumps({"size": "1024x768"}),
        )
        assert len(task_id) == len("4-AigcImage-") + 32

        clock.now = 1000.5
        waiting = await describe(session, emu, task_id)
        assert waiting.pop("RequestId")
        assert waiting == {"Status": "WAIT", "ImageUrls": [], "Message": ""}
        clock.now = 1001.5
        assert (await describe(session, emu, task_id))["Status"] == "RUN"
        assert emu.stats()["tasks"][task_id]["done_at"] is None
        clock.now = 1003.5
        done = await describe(session, emu, task_id)
        assert done["Status"] == "DONE" and done["Message"] == "ok"
        assert len(done["ImageUrls"]) == 1
        clock.now = 1004.0
        again = await describe(session, emu, task_id)
        assert again["ImageUrls"] == done["ImageUrls"]  # stable between calls

        for url in done["ImageUrls"]:
            status, content_type, body = await fetch(session, url)
            assert (status, content_type) == (200, "image/png")
            image = Image.open(io.BytesIO(body))
            assert image.format == "PNG" and image.size == (1024, 768)
        # Deterministic from the task id.
        assert (await fetch(session, done["ImageUrls"][0]))[2] == body

        task = emu.stats()["tasks"][task_id]
        assert task["created_at"] == 1000.0
        assert task["done_at"] == task["final_at"] == 1003.0
        assert task["describe_calls"] == 4
        assert task["first_final_seen_at"] == 1003.5
        assert task["detection_delay"] == pytest.approx(0.5)
        assert task["downloads"] == 2

        # The URLs live 10 s from completion (1003.0): at 1013.0 they are gone.
        clock.now = 1013.0
        status, content_type, body = await fetch(session, done["ImageUrls"][0])
        assert (status, content_type) == (403, "application/xml")
        assert b"<Code>AccessDenied</Code>" in body and b"Request has expired" in body

        stats = emu.stats()
        assert stats["downloads"]["served"] == 2 and stats["downloads"]["expired"] == 1
        assert stats["detection"] == {
            "count": 1,
            "mean": pytest.approx(0.5),
            "max": pytest.approx(0.5),
        }


async def test_lifecycle_in_real_time_with_expiry(session: aiohttp.ClientSession) -> None:
    config = fast_config(image_wait=(0.05, 0.05), image_run=(0.05, 0.05), url_lifetime=0.5)
    async with MpsEmulator(config) as emu:
        task_id = await create(session, emu)
        seen: list[str] = []
        while not seen or seen[-1] != "DONE":
            answer = await describe(session, emu, task_id)
            if not seen or seen[-1] != answer["Status"]:
                seen.append(answer["Status"])
            await asyncio.sleep(0.005)
        # Normally all three; a very slow machine may poll past a 50 ms phase.
        assert seen in (["WAIT", "RUN", "DONE"], ["WAIT", "DONE"], ["RUN", "DONE"], ["DONE"])
        url = answer["ImageUrls"][0]
        status, _, body = await fetch(session, url)
        assert status == 200 and Image.open(io.BytesIO(body)).size == (1024, 1024)

        task = emu.task(task_id)
        assert task is not None
        await asyncio.sleep(task.urls_expire_at - emu.now() + 0.01)  # the lifetime must pass
        status, _, body = await fetch(session, url)
        assert status == 403 and b"Request has expired" in body
        delay = emu.stats()["tasks"][task_id]["detection_delay"]
        assert delay is not None and 0 <= delay < 0.5


async def test_tampered_or_unsigned_url_is_forbidden(session: aiohttp.ClientSession) -> None:
    async with MpsEmulator(fast_config()) as emu:
        task_id = await create(session, emu)
        url = (await wait_for_status(session, emu.url, task_id)).response["ImageUrls"][0]
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        base = f"{parts.scheme}://{parts.netloc}{parts.path}"

        query_later = {**query, "Expires": str(int(query["Expires"]) + 3600)}
        status, _, body = await fetch(session, f"{base}?{urlencode(query_later)}")
        assert status == 403 and b"SignatureDoesNotMatch" in body
        status, _, body = await fetch(session, base)
        assert status == 403 and b"AccessDenied" in body
        status, _, _ = await fetch(session, url.replace("/0.png", "/5.png"))
        assert status == 404
        stats = emu.stats()["downloads"]
        assert stats["forbidden"] == 2 and stats["not_found"] == 1 and stats["served"] == 0


async def test_failures_configured_and_forced(session: aiohttp.ClientSession) -> None:
    async with MpsEmulator(fast_config(failure_rate=1.0, failure_message="boom")) as emu:
        task_id = await create(session, emu)
        failed = (await wait_for_status(session, emu.url, task_id)).response
        assert failed["Status"] == "FAIL" and failed["Message"] == "boom"
        assert failed["ImageUrls"] == []

    async with MpsEmulator(fast_config()) as emu:
        emu.fail_next_task("GPU melted")
        first = await create(session, emu)
        second = await create(session, emu)
        assert (await wait_for_status(session, emu.url, first)).response["Message"] == "GPU melted"
        assert (await wait_for_status(session, emu.url, second)).response["Status"] == "DONE"
        assert emu.stats()["tasks"][first]["outcome"] == "FAIL"


async def test_jpeg_and_aspect_ratio(session: aiohttp.ClientSession) -> None:
    async with MpsEmulator(fast_config()) as emu:
        task_id = await create(
            session,
            emu,
            ModelName="Kling",
            ModelVersion="2.1",
            ExtraParameters={"AspectRatio": "9:16", "OutputFormat": "jpeg"},
        )
        url = (await wait_for_status(session, emu.url, task_id)).response["ImageUrls"][0]
        assert urlsplit(url).path.endswith("/0.jpg")
        status, content_type, body = await fetch(session, url)
        assert (status, content_type) == (200, "image/jpeg")
        image = Image.open(io.BytesIO(body))
        assert image.format == "JPEG" and image.size == (576, 1024)


async def test_noise_mode_makes_files_above_discords_limit(
    session: aiohttp.ClientSession,
) -> None:
    async with MpsEmulator(fast_config(image_mode="noise")) as emu:
        task_id = await create(
            session,
            emu,
            ModelName="Qwen",
            ModelVersion="0925",
            AdditionalParameters=json.dumps({"size": "2048x2048"}),
        )
        url = (await wait_for_status(session, emu.url, task_id)).response["ImageUrls"][0]
        status, _, body = await fetch(session, url)
        assert status == 200 and len(body) > 10 * 1024 * 1024
        assert Image.open(io.BytesIO(body)).size == (2048, 2048)


async def test_video_lifecycle(session: aiohttp.ClientSession) -> None:
    async with MpsEmulator(fast_config(video_scale=0.25)) as emu:
        reply = await call_api(
            session,
            emu.url,
            "CreateAigcVideoTask",
            {
                "ModelName": "Kling",
                "ModelVersion": "3.0",
                "Prompt": "waves",
                "Duration": 10,
                "ExtraParameters": {"Resolution": "1080P", "AspectRatio": "9:16"},
            },
        )
        task_id = reply.response["TaskId"]
        assert task_id.startswith("4-AigcVideo-")
        done = (await wait_for_status(session, emu.url, task_id, video=True)).response
        assert done["Resolution"] == "270*480"  # 1080P 9:16 at video_scale 0.25
        status, content_type, body = await fetch(session, done["VideoUrls"][0])
        assert (status, content_type) == (200, "video/mp4") and body[4:8] == b"ftyp"
        # A video task is not an image task.
        wrong = await call_api(session, emu.url, DESCRIBE, {"TaskId": task_id})
        assert wrong.error_code == "ResourceNotFound.TaskNotFound"
        assert emu.stats()["tasks_created_by_kind"] == {"video": 1}


async def test_describe_errors(session: aiohttp.ClientSession) -> None:
    async with MpsEmulator(fast_config()) as emu:
        for params, code in (
            ({}, "MissingParameter"),
            ({"TaskId": 7}, "InvalidParameter"),
            ({"TaskId": "4-AigcImage-nope"}, "ResourceNotFound.TaskNotFound"),
            ({"TaskId": "x", "Extra": 1}, "UnknownParameter"),
        ):
            assert (await call_api(session, emu.url, DESCRIBE, params)).error_code == code


async def test_seed_makes_runs_reproducible(session: aiohttp.ClientSession) -> None:
    runs = []
    for _ in range(2):
        async with MpsEmulator(fast_config(seed=7, image_run=(1.0, 60.0))) as emu:
            ids = [await create(session, emu) for _ in range(3)]
            runs.append([(i, emu.task(i).run_s) for i in ids])
    assert runs[0] == runs[1]


async def test_running_task_cap(session: aiohttp.ClientSession) -> None:
    clock = FakeClock()
    config = fast_config(max_running_tasks=1, image_run=(5.0, 5.0))
    async with MpsEmulator(config, clock=clock) as emu:
        await create(session, emu)
        reply = await call_api(session, emu.url, CREATE, HUNYUAN)
        assert reply.error_code == "LimitExceeded.CreateTask"
        clock.advance(5.0)
        await create(session, emu)


async def test_reset_clears_counters_but_keeps_tasks(session: aiohttp.ClientSession) -> None:
    async with MpsEmulator(fast_config()) as emu:
        task_id = await create(session, emu)
        emu.reset()
        stats = emu.stats()
        assert stats["actions"] == {} and stats["tasks"] == {} and stats["tasks_created"] == 0
        assert (await wait_for_status(session, emu.url, task_id)).response["Status"] == "DONE"
        emu.reset(full=True)
        reply = await call_api(session, emu.url, DESCRIBE, {"TaskId": task_id})
        assert reply.error_code == "ResourceNotFound.TaskNotFound"
