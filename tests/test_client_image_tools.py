"""The MPS client's image tools against the emulator: each tool from a member's ask to a
checked result, the states on the way, failures, errors, retries and the rate limits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from PIL import Image

from bot.asks.tools import Tool, ToolAsk, build_tool_request
from bot.config.tunables import Tunables
from bot.engine.limiter import QuotaGate
from bot.mps import errors
from bot.mps.client import MpsClient, RetryPolicy
from bot.mps.image_task_state import ImageTaskState, ImageTaskStatus
from bot.mps.signer import Credentials
from mps_emulator import MpsEmulator
from mps_emulator.tool_tasks import ToolFailure
from tests.emulator_helpers import FakeClock
from tests.tool_helpers import (
    BUCKET,
    REGION,
    STORAGE,
    decode,
    picture_server,
    process_params,
    settled,
    subject_picture,
    tool_config,
)

PROCESS = "ProcessImage"
DETAIL = "DescribeImageTaskDetail"
FAST_RETRY = RetryPolicy(base_delay=0.01, max_delay=0.02)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
async def picture() -> AsyncIterator[str]:
    async with picture_server({"cat.png": subject_picture((200, 150))}) as base:
        yield f"{base}/cat.png"


def client_for(session, emu, **kwargs) -> MpsClient:
    kwargs.setdefault("retry", FAST_RETRY)
    return MpsClient(session, emu.credentials, endpoint=emu.url, **kwargs)


async def finished(client: MpsClient, emu: MpsEmulator, task_id: str) -> ImageTaskState:
    await settled(emu)
    state = await client.describe_image_task_detail(task_id)
    assert state.final
    return state


async def download(session, url: str) -> Image.Image:
    async with session.get(url) as response:
        assert response.status == 200
        return decode(await response.read())


async def test_every_tool_from_an_ask_to_a_checked_result(
    session: aiohttp.ClientSession, picture: str
) -> None:
    clock = FakeClock(100.0)
    config = tool_config(wait=(1.0, 1.0), run=(4.0, 4.0))
    async with MpsEmulator(config, clock=clock) as emu:
        client = client_for(session, emu)
        ask = ToolAsk(Tool.UPSCALE_2X, picture, 200, 150)
        created = await client.process_image(build_tool_request(ask, STORAGE, "job-7").request)

        # The states on the way, as the engine will see them.
        waiting = await client.describe_image_task_detail(created.task_id)
        assert waiting.status is ImageTaskStatus.WAITING and not waiting.final
        assert (waiting.progress, waiting.failure, waiting.urls) == (0, None, ())
        await settled(emu)
        clock.advance(3.0)
        processing = await client.describe_image_task_detail(created.task_id)
        assert processing.status is ImageTaskStatus.PROCESSING and not processing.final
        assert processing.progress == 50 and processing.failure is None
        clock.advance(2.0)
        done = await client.describe_image_task_detail(created.task_id)
        assert done.final and done.succeeded and done.progress == 100 and done.failure is None
        (result,) = done.results
        assert result.output is not None
        assert result.output.path == "/mps-imagine/job-7/upscale_2x.png"
        assert (result.output.bucket, result.output.region) == (BUCKET, REGION)
        assert (await download(session, done.urls[0])).size == (400, 300)

    async with MpsEmulator(tool_config()) as emu:
        client = client_for(session, emu)
        results = {}
        for tool in Tool:
            validated = build_tool_request(ToolAsk(tool, picture, 200, 150), STORAGE, "job-8")
            created = await client.process_image(validated.request)
            state = await finished(client, emu, created.task_id)
            assert state.succeeded, tool
            results[tool] = state
            if validated.result_size is not None:
                image = await download(session, state.urls[0])
                assert image.size == validated.result_size, tool

        assert (await download(session, results[Tool.UPSCALE_4X].urls[0])).size == (800, 600)
        cut = await download(session, results[Tool.REMOVE_BACKGROUND].urls[0])
        assert cut.format == "PNG" and cut.mode == "RGBA"
        assert cut.getchannel("A").getextrema() == (0, 255)  # transparent and opaque pixels
        wider = await download(session, results[Tool.ZOOM_OUT].urls[0])
        assert wider.width / wider.height > 200 / 150 and wider.height == 150
        described = results[Tool.DESCRIBE]
        assert described.urls == () and "200x150" in described.text


async def test_failures_end_the_task_with_their_reason(
    session: aiohttp.ClientSession, picture: str
) -> None:
    async with MpsEmulator(tool_config()) as emu:
        client = client_for(session, emu)
        request = build_tool_request(ToolAsk(Tool.REMOVE_BACKGROUND, picture), STORAGE, "j").request
        tools = emu.service.tools
        tools.fail_next(ToolFailure("InvalidInput.NoSubject", "No subject was found."))
        tools.fail_next(ToolFailure("InternalError", "The engine stopped.", level="task"))
        for code, message in (
            ("InvalidInput.NoSubject", "No subject was found."),
            ("InternalError", "The engine stopped."),
        ):
            created = await client.process_image(request)
            state = await finished(client, emu, created.task_id)
            assert not state.succeeded and state.urls == () and state.text == ""
            assert state.failure is not None
            assert (state.failure.code, state.failure.message) == (code, message)
            assert not state.failure.blocked
        # The request was sent as its stored API dict, as an engine resumes it.
        created = await client.process_image(request.to_api())
        assert (await finished(client, emu, created.task_id)).succeeded


async def test_errors_map_onto_the_clients_classes(
    session: aiohttp.ClientSession, picture: str
) -> None:
    clock = FakeClock(10.0)
    async with MpsEmulator(tool_config(buckets={BUCKET: REGION}), clock=clock) as emu:
        client = client_for(session, emu)
        request = build_tool_request(ToolAsk(Tool.UPSCALE_2X, picture), STORAGE, "j").request
        created = await client.process_image(request)
        await finished(client, emu, created.task_id)
        clock.advance(7 * 24 * 3600 + 1)  # Describe finds tasks of the last 7 days only
        with pytest.raises(errors.NotFoundError):
            await client.describe_image_task_detail(created.task_id)
        # Which code MPS uses for an unknown task is not documented: each ends the task.
        for code in (
            "ResourceNotFound.TaskNotFound",
            "FailedOperation.TaskNotFound",
            "InvalidParameterValue.TaskId",
        ):
            emu.inject_fault("error", DETAIL, code=code)
            with pytest.raises(errors.NotFoundError):
                await client.describe_image_task_detail(created.task_id)
        assert emu.stats()["actions"][DETAIL]["requests"] == 5  # not one retried

        wrong_bucket = process_params(picture, request.to_api()["ImageTask"])
        wrong_bucket["OutputStorage"]["CosOutputStorage"] = {
            "Bucket": "gone-1250000000",
            "Region": REGION,
        }
        with pytest.raises(errors.OperatorError):
            await client.process_image(wrong_bucket)
        with pytest.raises(errors.InvalidRequestError):
            await client.process_image({**request.to_api(), "OutputStorage": None})
        missing_input = {
            **request.to_api(),
            "InputInfo": {"Type": "URL", "UrlInputInfo": {"Url": picture + "x"}},
        }
        with pytest.raises(errors.ReferenceDownloadError):
            await client.process_image(missing_input)
        assert emu.stats()["actions"][PROCESS]["requests"] == 4
        assert emu.stats()["tools"]["counts"]["created"] == 1


async def test_what_is_retried_and_what_is_billed_once(
    session: aiohttp.ClientSession, picture: str
) -> None:
    async with MpsEmulator(tool_config()) as emu:
        request = build_tool_request(ToolAsk(Tool.DESCRIBE, picture), STORAGE, "j").request
        emu.inject_fault("slow", PROCESS, delay=1.0)
        with pytest.raises(errors.TransientError) as info:
            await client_for(session, emu, timeout=0.3).process_image(request)
        assert info.value.may_have_created  # the task exists: never sent again
        assert emu.stats()["actions"][PROCESS]["requests"] == 1

        client = client_for(session, emu)
        emu.inject_fault("error", PROCESS, code="RequestLimitExceeded", count=2)
        created = await client.process_image(request)
        emu.inject_fault("internal_error", DETAIL)
        emu.inject_fault("http_500", DETAIL)
        state = await finished(client, emu, created.task_id)
        assert state.succeeded and state.text
        stats = emu.stats()
        assert stats["actions"][PROCESS]["requests"] == 4
        assert stats["tools"]["counts"]["created"] == 2
        assert stats["actions"][DETAIL]["requests"] == 3


async def test_the_quota_gate_keeps_each_action_inside_its_window(
    session: aiohttp.ClientSession,
) -> None:
    """30 of each action at once: the gate spreads them so that no rolling second seen by
    the emulator holds more than the 20 both actions allow."""
    rates = Tunables().rates.by_action()
    assert (rates[PROCESS], rates[DETAIL]) == (20, 20)
    async with MpsEmulator(tool_config()) as emu:
        client = client_for(session, emu, gate=QuotaGate(rates))

        async def refused_process() -> None:
            with pytest.raises(errors.InvalidRequestError):
                await client.process_image({"ImageTask": {}})

        async def unknown_task(i: int) -> None:
            with pytest.raises(errors.NotFoundError):
                await client.describe_image_task_detail(f"2600000000-WorkflowTask-{i}")

        await asyncio.gather(
            *(refused_process() for _ in range(30)), *(unknown_task(i) for i in range(30))
        )
        actions = emu.stats()["actions"]
        for action in (PROCESS, DETAIL):
            assert actions[action]["requests"] == 30
            assert actions[action]["rate_limited"] == 0
            assert 15 <= actions[action]["peak_1s"] <= 20
        arrivals = emu.arrivals(PROCESS)
        assert arrivals[-1] - arrivals[0] >= 0.5  # spread, not sent in one burst


def test_a_malformed_answer_is_a_protocol_fault() -> None:
    for body in (
        {"Status": "FINISH", "ImageProcessTaskResultSet": {"Status": "SUCCESS"}},
        {"Status": "FINISH", "ErrCode": "0"},
        {"Status": "FINISH", "ImageProcessTaskResultSet": [{"Output": "url"}]},
        {"Status": 3},
    ):
        with pytest.raises((TypeError, ValueError)):
            ImageTaskState.from_api("t", body)


async def test_a_malformed_answer_is_retried_as_transient(session: aiohttp.ClientSession) -> None:
    """The client turns a Describe answer of the wrong shape into ProtocolError."""

    class Garbled(MpsClient):
        async def call(self, action, params, permit=None):
            return {"Status": "FINISH", "ImageProcessTaskResultSet": "nope"}

    client = Garbled(session, Credentials("id", "key"), endpoint="http://127.0.0.1:9")
    with pytest.raises(errors.ProtocolError):
        await client.describe_image_task_detail("t")
