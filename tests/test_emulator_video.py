"""Video results: real MP4 files whose duration, size and audio follow the request."""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import av
import pytest

from mps_emulator import MpsEmulator, images
from mps_emulator.videos import VideoParams
from tests.emulator_helpers import FakeClock, call_api, fast_config, wait_for_status

CREATE = "CreateAigcVideoTask"
DESCRIBE = "DescribeAigcVideoTask"
FRAME = 1 / 24
MIB = 1024 * 1024
UNREACHABLE = "http://127.0.0.1:1/last.png"
FRAMES = {"ImageUrl": UNREACHABLE, "LastImageUrl": UNREACHABLE}


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
async def emu() -> AsyncIterator[MpsEmulator]:
    async with MpsEmulator(fast_config(video_scale=0.25)) as emulator:
        yield emulator


async def make_video(
    session: aiohttp.ClientSession, emu: MpsEmulator, **fields: Any
) -> tuple[dict[str, Any], bytes]:
    """Create a video task, wait for DONE, download its file: (Describe answer, MP4 bytes)."""
    reply = await call_api(session, emu.url, CREATE, {"Prompt": "waves", **fields})
    assert reply.error_code is None, reply.response
    done = (await wait_for_status(session, emu.url, reply.response["TaskId"], video=True)).response
    assert done["Status"] == "DONE", done
    async with session.get(done["VideoUrls"][0]) as resp:
        assert (resp.status, resp.headers["Content-Type"]) == (200, "video/mp4")
        return done, await resp.read()


def probe(data: bytes) -> dict[str, Any]:
    with av.open(io.BytesIO(data)) as container:
        video = container.streams.video[0]
        return {
            "types": sorted(stream.type for stream in container.streams),
            "codecs": sorted(stream.codec_context.name for stream in container.streams),
            "size": (video.codec_context.width, video.codec_context.height),
            "duration": container.duration / av.time_base,
            "frames": sum(1 for _ in container.decode(video)),
        }


async def test_silent_video_of_the_requested_duration_and_size(
    emu: MpsEmulator, session: aiohttp.ClientSession
) -> None:
    done, data = await make_video(
        session,
        emu,
        ModelName="Kling",
        ModelVersion="3.0",
        Duration=3,
        ExtraParameters={"Resolution": "720P", "AspectRatio": "16:9"},
    )
    assert done["Resolution"] == "320*180"  # 1280x720 at video_scale 0.25
    info = probe(data)
    assert info["types"] == ["video"] and info["codecs"] == ["h264"]
    assert info["size"] == (320, 180)
    assert info["duration"] == pytest.approx(3.0, abs=2 * FRAME)
    assert info["frames"] == 3 * 24


async def test_audio_track_exactly_when_asked(
    emu: MpsEmulator, session: aiohttp.ClientSession
) -> None:
    # No Duration: Kling's default is 5 seconds. Portrait frames from the AspectRatio.
    done, data = await make_video(
        session,
        emu,
        ModelName="Kling",
        ModelVersion="2.1",
        ExtraParameters={"EnableAudio": True, "AspectRatio": "9:16"},
    )
    info = probe(data)
    assert info["types"] == ["audio", "video"] and info["codecs"] == ["aac", "h264"]
    assert info["size"] == (180, 320) and done["Resolution"] == "180*320"
    assert info["duration"] == pytest.approx(5.0, abs=2 * FRAME)

    _, silent = await make_video(
        session,
        emu,
        ModelName="Kling",
        ModelVersion="2.1",
        ExtraParameters={"EnableAudio": False, "AspectRatio": "9:16"},
    )
    assert probe(silent)["types"] == ["video"]


async def test_model_defaults_for_duration_and_resolution(
    emu: MpsEmulator, session: aiohttp.ClientSession
) -> None:
    # Hailuo: 6 s and 768P by default (SDK field documentation).
    done, data = await make_video(session, emu, ModelName="Hailuo")
    info = probe(data)
    assert info["duration"] == pytest.approx(6.0, abs=2 * FRAME)
    assert info["size"] == (342, 192) and done["Resolution"] == "342*192"


async def test_equal_requests_share_one_encoding(
    emu: MpsEmulator, session: aiohttp.ClientSession
) -> None:
    _, first = await make_video(session, emu, ModelName="Vidu", Duration=2)
    made = emu.service.files.made
    _, second = await make_video(session, emu, ModelName="Vidu", Duration=2)
    assert second == first and emu.service.files.made == made
    _, longer = await make_video(session, emu, ModelName="Vidu", Duration=3)
    assert emu.service.files.made == made + 1 and longer != first


async def test_noise_mode_makes_a_video_over_ten_mib(session: aiohttp.ClientSession) -> None:
    async with MpsEmulator(fast_config(video_scale=0.25, video_mode="noise")) as emu:
        _, data = await make_video(session, emu, ModelName="Kling", Duration=5)
    assert len(data) > 10 * MIB
    info = probe(data)
    assert info["size"] == (320, 180)
    assert info["duration"] == pytest.approx(5.0, abs=2 * FRAME)


async def test_video_urls_expire(session: aiohttp.ClientSession) -> None:
    clock = FakeClock()
    config = fast_config(video_scale=0.125, video_run=(1.0, 1.0), url_lifetime=10.0)
    async with MpsEmulator(config, clock=clock) as emu:
        reply = await call_api(
            session, emu.url, CREATE, {"ModelName": "Vidu", "Prompt": "x", "Duration": 1}
        )
        task_id = reply.response["TaskId"]
        clock.advance(1.0)
        done = await call_api(session, emu.url, DESCRIBE, {"TaskId": task_id})
        (url,) = done.response["VideoUrls"]
        async with session.get(url) as resp:
            assert resp.status == 200
        clock.advance(9.9)
        async with session.get(url) as resp:
            assert resp.status == 200
        clock.advance(0.1)
        async with session.get(url) as resp:
            assert resp.status == 403
            assert "<Message>Request has expired</Message>" in await resp.text()


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"ModelName": "Kling", "ModelVersion": "9.9"}, "InvalidParameter.ModelNotSupported"),
        ({"ModelName": "Kling", "Prompt": "x" * 2001}, "InvalidParameterValue"),
        ({"ModelName": "Kling", "ModelVersion": "2.1", "Duration": 7}, "InvalidParameterValue"),
        ({"ModelName": "Kling", "ModelVersion": "3.0", "Duration": 15}, None),
        ({"ModelName": "PixVerse", "ModelVersion": "v5.6", "Duration": 8}, None),
        ({"ModelName": "PixVerse", "ModelVersion": "v5.6", "Duration": 9}, "InvalidParameterValue"),
        ({"ModelName": "Hailuo", "Duration": 5}, "InvalidParameterValue"),
        (
            {"ModelName": "Hailuo", "ExtraParameters": {"EnableAudio": True}},
            "InvalidParameter.ModelNotSupported",
        ),
        (
            {"ModelName": "Vidu", "ModelVersion": "q2", "ExtraParameters": {"EnableAudio": True}},
            "InvalidParameter.ModelNotSupported",
        ),
        (
            {"ModelName": "Vidu", "ModelVersion": "q3", "ExtraParameters": {"EnableAudio": True}},
            None,
        ),
        ({"ModelName": "Hailuo", "ExtraParameters": {"EnableAudio": False}}, None),
        (
            {"ModelName": "Kling", "ModelVersion": "3.0", **FRAMES},
            "ResourceNotFound.DownloadError",
        ),
        # Kling 2.1 takes a last frame only at 1080P; Hunyuan never.
        (
            {"ModelName": "Kling", "ModelVersion": "2.1", **FRAMES},
            "InvalidParameterValue.Resolution",
        ),
        ({"ModelName": "Hunyuan", **FRAMES}, "InvalidParameter.ModelNotSupported"),
        ({"ModelName": "Kling", "LastImageUrl": UNREACHABLE}, "MissingParameter"),
        (
            {"ModelName": "Kling", "ImageUrl": "ftp://example.com/a.png"},
            "InvalidParameter.InvalidUrl",
        ),
    ],
)
async def test_create_video_validation(
    emu: MpsEmulator, session: aiohttp.ClientSession, fields: dict[str, Any], code: str | None
) -> None:
    reply = await call_api(session, emu.url, CREATE, {"Prompt": "waves", **fields})
    assert reply.error_code == code, reply.response
    if code == "InvalidParameterValue":
        assert "Invalid value for parameter" in (reply.error_message or "")


async def test_encoding_runs_off_the_event_loop(
    emu: MpsEmulator, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a video encodes, the API keeps answering; concurrent downloads share one encoding."""
    started, release = threading.Event(), threading.Event()
    real_render = images.render_video

    def held_render(params: VideoParams) -> bytes:
        started.set()
        assert release.wait(5), "the test never released the encoder"
        return real_render(params)

    monkeypatch.setattr(images, "render_video", held_render)
    reply = await call_api(
        session, emu.url, CREATE, {"ModelName": "Vidu", "Prompt": "x", "Duration": 1}
    )
    task_id = reply.response["TaskId"]
    done = (await wait_for_status(session, emu.url, task_id, video=True)).response
    url = done["VideoUrls"][0]

    async def download() -> bytes:
        async with session.get(url) as resp:
            return await resp.read()

    downloads = [asyncio.create_task(download()) for _ in range(2)]
    try:
        assert await asyncio.to_thread(started.wait, 5)
        # The encoder is stuck in its thread, yet the emulator answers.
        answer = await call_api(session, emu.url, DESCRIBE, {"TaskId": task_id})
        assert answer.response["Status"] == "DONE"
        assert not any(d.done() for d in downloads)
    finally:
        release.set()
    first, second = await asyncio.gather(*downloads)
    assert first == second and probe(first)["types"] == ["video"]
    assert emu.service.files.made == 1
