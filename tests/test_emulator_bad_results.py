"""Output moderation failures and broken result downloads, by config and by fault."""

from __future__ import annotations

import io
import struct
from collections.abc import AsyncIterator

import aiohttp
import pytest
from PIL import Image, UnidentifiedImageError

from mps_emulator import OUTPUT_BLOCKED_MESSAGE, MpsEmulator, is_output_blocked
from mps_emulator.__main__ import build_config, parse_args
from tests.emulator_helpers import HUNYUAN, call_api, fast_config, wait_for_status

CREATE = "CreateAigcImageTask"
VIDEO_CREATE = "CreateAigcVideoTask"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def finished(
    session: aiohttp.ClientSession, emu: MpsEmulator, action: str, params: dict
) -> dict:
    reply = await call_api(session, emu.url, action, params)
    assert reply.error_code is None, reply.response
    video = action == VIDEO_CREATE
    return (await wait_for_status(session, emu.url, reply.response["TaskId"], video=video)).response


async def image_url(session: aiohttp.ClientSession, emu: MpsEmulator) -> str:
    return (await finished(session, emu, CREATE, HUNYUAN))["ImageUrls"][0]


async def fetch(session: aiohttp.ClientSession, url: str) -> tuple[int, str, bytes]:
    async with session.get(url) as resp:
        return resp.status, resp.headers["Content-Type"], await resp.read()


# ---- output moderation ---------------------------------------------------------------------


async def test_banned_output_word_runs_then_fails(session: aiohttp.ClientSession) -> None:
    config = fast_config(banned_output_words=("Gore",), banned_words=("nsfw",), video_scale=0.125)
    async with MpsEmulator(config) as emu:
        image = await finished(session, emu, CREATE, {**HUNYUAN, "Prompt": "a gore cat"})
        assert (image["Status"], image["Message"], image["ImageUrls"]) == (
            "FAIL",
            OUTPUT_BLOCKED_MESSAGE,
            [],
        )
        assert is_output_blocked(image["Status"], image["Message"])
        video = await finished(
            session, emu, VIDEO_CREATE, {"ModelName": "Kling", "Prompt": "GORE waves"}
        )
        assert video["Status"] == "FAIL" and video["Message"] == OUTPUT_BLOCKED_MESSAGE
        assert video["VideoUrls"] == []
        # Other prompts are untouched, and input moderation still rejects the Create itself.
        fine = await finished(session, emu, CREATE, HUNYUAN)
        assert fine["Status"] == "DONE" and not is_output_blocked("DONE", fine["Message"])
        rejected = await call_api(session, emu.url, CREATE, {**HUNYUAN, "Prompt": "nsfw"})
        assert rejected.error_code == "InvalidParameter.ViolationContent"
        assert emu.stats()["tasks_created"] == 3


async def test_block_output_fault_over_http(session: aiohttp.ClientSession) -> None:
    async with MpsEmulator(fast_config(video_scale=0.125)) as emu:
        async with session.post(
            f"{emu.url}/_emulator/faults", json={"kind": "block_output", "action": VIDEO_CREATE}
        ) as resp:
            assert resp.status == 200
            assert (await resp.json())["pending_task_outcomes"] == {"image": 0, "video": 1}
        params = {"ModelName": "Kling", "Prompt": "waves", "Duration": 5}
        blocked = await finished(session, emu, VIDEO_CREATE, params)
        assert (blocked["Status"], blocked["Message"]) == ("FAIL", OUTPUT_BLOCKED_MESSAGE)
        assert (await finished(session, emu, VIDEO_CREATE, params))["Status"] == "DONE"


# ---- broken result files -------------------------------------------------------------------


async def test_garbage_fault_then_the_real_file(session: aiohttp.ClientSession) -> None:
    async with MpsEmulator(fast_config()) as emu:
        url = await image_url(session, emu)
        emu.inject_fault("garbage", "Download")
        status, content_type, body = await fetch(session, url)
        assert (status, content_type) == (200, "image/png") and len(body) > 1000
        assert not body.startswith(PNG_SIGNATURE)
        with pytest.raises(UnidentifiedImageError):
            Image.open(io.BytesIO(body))
        status, _, body = await fetch(session, url)
        assert status == 200 and Image.open(io.BytesIO(body)).format == "PNG"


async def test_truncated_png(session: aiohttp.ClientSession) -> None:
    async with MpsEmulator(fast_config()) as emu:
        url = await image_url(session, emu)
        whole = (await fetch(session, url))[2]
        emu.inject_fault("truncated_png", "Download")
        status, content_type, body = await fetch(session, url)
        assert (status, content_type) == (200, "image/png")
        assert body == whole[: len(whole) // 2]
        image = Image.open(io.BytesIO(body))  # the header is intact...
        with pytest.raises(OSError):
            image.load()  # ...the pixels are not


async def test_decompression_bomb_png(session: aiohttp.ClientSession) -> None:
    async with MpsEmulator(fast_config()) as emu:
        url = await image_url(session, emu)
        emu.inject_fault("bomb_png", "Download")
        status, content_type, body = await fetch(session, url)
    assert (status, content_type) == (200, "image/png")
    assert body.startswith(PNG_SIGNATURE) and len(body) < 1024 * 1024
    assert struct.unpack(">II", body[16:24]) == (20000, 20000)  # IHDR width, height
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(body))


async def test_empty_body_for_every_download_by_config(session: aiohttp.ClientSession) -> None:
    async with MpsEmulator(fast_config(bad_results="empty")) as emu:
        url = await image_url(session, emu)
        for _ in range(2):
            assert await fetch(session, url) == (200, "image/png", b"")
        assert emu.stats()["downloads"]["bad"] == 2


async def test_http_500_a_few_times_then_success(session: aiohttp.ClientSession) -> None:
    async with MpsEmulator(fast_config()) as emu:
        url = await image_url(session, emu)
        async with session.post(
            f"{emu.url}/_emulator/faults",
            json={"kind": "http_500", "action": "Download", "count": 3},
        ) as resp:
            assert resp.status == 200
        statuses = [(await fetch(session, url))[0] for _ in range(4)]
    assert statuses == [500, 500, 500, 200]


async def test_each_url_fails_first_by_config(session: aiohttp.ClientSession) -> None:
    async with MpsEmulator(fast_config(result_http_500s=2)) as emu:
        first = (await finished(session, emu, CREATE, HUNYUAN))["ImageUrls"][0]
        second = (await finished(session, emu, CREATE, HUNYUAN))["ImageUrls"][0]
        order = (first, first, second, first, second, second)
        statuses = [(await fetch(session, url))[0] for url in order]
        assert statuses == [500, 500, 500, 200, 500, 200]


def test_command_line_knobs() -> None:
    config = build_config(
        parse_args(
            [
                "--banned-output-word",
                "gore",
                "--video-scale",
                "0.25",
                "--video-mode",
                "noise",
                "--bad-results",
                "bomb_png",
                "--result-http-500s",
                "2",
            ]
        )
    )
    assert config.banned_output_words == ("gore",)
    assert (config.video_scale, config.video_mode) == (0.25, "noise")
    assert (config.bad_results, config.result_http_500s) == ("bomb_png", 2)
    with pytest.raises(SystemExit):
        parse_args(["--bad-results", "nonsense"])
