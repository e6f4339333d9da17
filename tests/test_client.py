"""The MPS client against the emulator: error classes, and what is (never) retried."""

from __future__ import annotations

import socket

import aiohttp
import pytest

from bot.mps import errors
from bot.mps.client import MpsClient, RetryPolicy
from bot.mps.models import ImageInfo, ImageTaskRequest, TaskStatus
from bot.mps.signer import Credentials
from mps_emulator import EmulatorConfig, MpsEmulator

from .conftest import fast_emulator_config, running_emulator

CREATE = "CreateAigcImageTask"
DESCRIBE = "DescribeAigcImageTask"
REQUEST = ImageTaskRequest(model_name="Hunyuan", model_version="3.0", prompt="a cat")
FAST_RETRY = RetryPolicy(base_delay=0.01, max_delay=0.02)


def client_for(session, emu, **kwargs) -> MpsClient:
    kwargs.setdefault("retry", FAST_RETRY)
    return MpsClient(session, emu.credentials, endpoint=emu.url, **kwargs)


async def test_create_is_never_retried_after_a_read_timeout() -> None:
    async with running_emulator() as emu, aiohttp.ClientSession() as session:
        emu.inject_fault("slow", CREATE, delay=1.0)
        client = client_for(session, emu, timeout=0.3)
        with pytest.raises(errors.TransientError) as info:
            await client.create_image_task(REQUEST)
        assert info.value.may_have_created
        stats = emu.stats()
        assert stats["actions"][CREATE]["requests"] == 1
        assert stats["tasks_created"] == 1  # billed once, and only once


@pytest.mark.parametrize("fault", ["internal_error", "http_500", "drop"])
async def test_create_is_not_retried_when_it_may_have_reached_mps(fault) -> None:
    async with running_emulator() as emu, aiohttp.ClientSession() as session:
        emu.inject_fault(fault, CREATE)
        with pytest.raises(errors.TransientError):
            await client_for(session, emu).create_image_task(REQUEST)
        assert emu.stats()["actions"][CREATE]["requests"] == 1


async def test_rate_limited_create_is_retried_and_billed_once() -> None:
    async with running_emulator() as emu, aiohttp.ClientSession() as session:
        emu.inject_fault("error", CREATE, code="RequestLimitExceeded", count=2)
        created = await client_for(session, emu).create_image_task(REQUEST)
        stats = emu.stats()
        assert stats["actions"][CREATE]["requests"] == 3
        assert stats["tasks_created"] == 1
        assert emu.task(created.task_id) is not None


async def test_refused_connection_is_retried_once_the_service_is_up() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    emulator = MpsEmulator(fast_emulator_config())

    async def start_service_instead_of_sleeping(_: float) -> None:
        if emulator._runner is None:
            await emulator.start(port=port)

    async with aiohttp.ClientSession() as session:
        client = MpsClient(
            session,
            emulator.credentials,
            endpoint=f"http://127.0.0.1:{port}",
            retry=FAST_RETRY,
            sleep=start_service_instead_of_sleeping,
        )
        try:
            created = await client.create_image_task(REQUEST)
            assert emulator.stats()["tasks_created"] == 1
            assert created.task_id.startswith("4-AigcImage-")
        finally:
            await emulator.stop()


async def test_describe_rides_out_transient_faults() -> None:
    async with running_emulator() as emu, aiohttp.ClientSession() as session:
        client = client_for(session, emu)
        created = await client.create_image_task(REQUEST)
        emu.inject_fault("internal_error", DESCRIBE)
        emu.inject_fault("http_500", DESCRIBE)
        emu.inject_fault("drop", DESCRIBE)
        state = await client.describe_image_task(created.task_id)
        assert state.status in (TaskStatus.WAIT, TaskStatus.RUN, TaskStatus.DONE)
        assert emu.stats()["actions"][DESCRIBE]["requests"] == 4


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        (
            ImageTaskRequest(model_name="Hunyuan", prompt="a forbidden cat"),
            errors.ContentViolationError,
        ),
        (ImageTaskRequest(model_name="NoSuchModel", prompt="cat"), errors.InvalidRequestError),
        (
            ImageTaskRequest(
                model_name="Hunyuan",
                prompt="cat",
                image_infos=(ImageInfo("http://127.0.0.1:9/x.png"),),
            ),
            errors.ReferenceDownloadError,
        ),
    ],
)
async def test_service_errors_arrive_as_their_class(request_, error) -> None:
    config = fast_emulator_config(banned_words=("forbidden",))
    async with running_emulator(config) as emu, aiohttp.ClientSession() as session:
        with pytest.raises(error):
            await client_for(session, emu).create_image_task(request_)
        with pytest.raises(errors.NotFoundError):
            await client_for(session, emu).describe_image_task("4-AigcImage-unknown")


async def test_rejected_key_and_skewed_clock_are_operator_errors_without_secrets() -> None:
    async with running_emulator(EmulatorConfig()) as emu, aiohttp.ClientSession() as session:
        wrong = Credentials(emu.credentials.secret_id, "SECRETSECRETSECRETSECRET00000000")
        client = MpsClient(session, wrong, endpoint=emu.url, retry=FAST_RETRY)
        with pytest.raises(errors.CredentialsError) as info:
            await client.describe_image_task("x")
        shown = repr(client) + str(info.value) + repr(info.value)
        assert "SECRETSECRET" not in shown
        skewed = MpsClient(
            session, emu.credentials, endpoint=emu.url, clock=lambda: 1_000_000_000.0
        )
        with pytest.raises(errors.ClockSkewError):
            await skewed.describe_image_task("x")
