"""The official Tencent Cloud SDK talks to the emulator as it would to MPS.

Requests signed by the SDK are accepted, and the SDK recognises the emulator's error envelope
(which it only does when Content-Type is exactly application/json).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.mps.v20190612 import models, mps_client

from mps_emulator import MpsEmulator
from tests.emulator_helpers import fast_config


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def emu() -> AsyncIterator[MpsEmulator]:
    async with MpsEmulator(fast_config()) as emulator:
        yield emulator


def sdk_client(emu: MpsEmulator, secret_key: str | None = None) -> mps_client.MpsClient:
    creds = credential.Credential(
        emu.credentials.secret_id, secret_key or emu.credentials.secret_key
    )
    http = HttpProfile(endpoint=emu.host, protocol="http", reqMethod="POST", reqTimeout=10)
    return mps_client.MpsClient(creds, "ap-guangzhou", ClientProfile(httpProfile=http))


def create_request(**fields: object) -> models.CreateAigcImageTaskRequest:
    request = models.CreateAigcImageTaskRequest()
    request.from_json_string(json.dumps(fields))
    return request


async def test_sdk_signed_create_and_describe(emu: MpsEmulator) -> None:
    client = sdk_client(emu)
    created = await asyncio.to_thread(
        client.CreateAigcImageTask,
        create_request(
            ModelName="Hunyuan",
            ModelVersion="3.0",
            Prompt="一只猫",
            AdditionalParameters=json.dumps({"size": "1024x1024"}),
        ),
    )
    assert created.TaskId.startswith("4-AigcImage-")
    assert created.RequestId

    describe = models.DescribeAigcImageTaskRequest()
    describe.TaskId = created.TaskId
    for _ in range(200):
        answer = await asyncio.to_thread(client.DescribeAigcImageTask, describe)
        if answer.Status == "DONE":
            break
        assert answer.Status in ("WAIT", "RUN")
        await asyncio.sleep(0.01)
    assert answer.Status == "DONE" and answer.Message == "ok"
    assert len(answer.ImageUrls) == 1
    assert emu.stats()["tasks"][created.TaskId]["describe_calls"] >= 1


async def test_sdk_sees_signature_failure_for_a_wrong_key(emu: MpsEmulator) -> None:
    client = sdk_client(emu, secret_key="WRONGKEYWRONGKEYWRONGKEYWRONGKEY")
    with pytest.raises(TencentCloudSDKException) as info:
        await asyncio.to_thread(
            client.CreateAigcImageTask, create_request(ModelName="Hunyuan", Prompt="a cat")
        )
    # The SDK parsed the envelope: code, message and request id come from the emulator.
    assert info.value.get_code() == "AuthFailure.SignatureFailure"
    assert info.value.get_request_id()
    assert emu.stats()["actions"]["CreateAigcImageTask"]["auth_failures"] == 1


async def test_sdk_sees_business_errors(emu: MpsEmulator) -> None:
    client = sdk_client(emu)
    describe = models.DescribeAigcImageTaskRequest()
    describe.TaskId = "4-AigcImage-00000000000000000000000000000000"
    with pytest.raises(TencentCloudSDKException) as info:
        await asyncio.to_thread(client.DescribeAigcImageTask, describe)
    assert info.value.get_code() == "ResourceNotFound.TaskNotFound"


async def test_sdk_video_round_trip(emu: MpsEmulator) -> None:
    client = sdk_client(emu)
    request = models.CreateAigcVideoTaskRequest()
    request.from_json_string(json.dumps({"ModelName": "Kling", "Prompt": "waves", "Duration": 5}))
    created = await asyncio.to_thread(client.CreateAigcVideoTask, request)
    assert created.TaskId.startswith("4-AigcVideo-")
    describe = models.DescribeAigcVideoTaskRequest()
    describe.TaskId = created.TaskId
    await asyncio.sleep(0.06)
    answer = await asyncio.to_thread(client.DescribeAigcVideoTask, describe)
    assert answer.Status == "DONE"
    assert answer.Resolution == "1280*720" and len(answer.VideoUrls) == 1


def test_emulated_fields_match_the_sdk_models() -> None:
    """The emulator's idea of each action's fields is the SDK's, so neither drifts silently."""
    from mps_emulator.validation import (
        IMAGE_EXTRA_FIELDS,
        IMAGE_FIELDS,
        VIDEO_EXTRA_FIELDS,
        VIDEO_FIELDS,
    )

    def fields(cls: type) -> set[str]:
        return {name[1:] for name in vars(cls())}

    assert set(IMAGE_FIELDS) == fields(models.CreateAigcImageTaskRequest)
    assert set(VIDEO_FIELDS) == fields(models.CreateAigcVideoTaskRequest)
    assert set(IMAGE_EXTRA_FIELDS) == fields(models.AigcImageExtraParam)
    assert set(VIDEO_EXTRA_FIELDS) == fields(models.AigcVideoExtraParam)
    assert fields(models.DescribeAigcImageTaskResponse) == {
        "Status",
        "ImageUrls",
        "Message",
        "RequestId",
    }
    assert fields(models.DescribeAigcVideoTaskResponse) == {
        "Status",
        "VideoUrls",
        "Resolution",
        "Message",
        "RequestId",
    }
