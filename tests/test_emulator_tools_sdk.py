"""The official SDK drives the emulator's image tools as it would MPS: the fields of every
request and answer are the SDK's, and what the bot sends is what the SDK would send."""

from __future__ import annotations

import asyncio
import json
import warnings
from collections.abc import AsyncIterator

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.mps.v20190612 import models, mps_client

from bot.asks.tools import Tool, ToolAsk, build_tool_request
from mps_emulator import MpsEmulator, image_task_configs, process_image
from tests.tool_helpers import STORAGE, picture_server, settled, subject_picture, tool_config


@pytest.fixture
async def emu() -> AsyncIterator[MpsEmulator]:
    async with MpsEmulator(tool_config()) as emulator:
        yield emulator


def sdk_client(emu: MpsEmulator) -> mps_client.MpsClient:
    creds = credential.Credential(emu.credentials.secret_id, emu.credentials.secret_key)
    http = HttpProfile(endpoint=emu.host, protocol="http", reqMethod="POST", reqTimeout=10)
    return mps_client.MpsClient(creds, "ap-guangzhou", ClientProfile(httpProfile=http))


def fields(cls: type) -> set[str]:
    return {name[1:] for name in vars(cls())}


def test_emulated_fields_are_the_sdks() -> None:
    pairs = [
        (process_image.REQUEST_FIELDS, models.ProcessImageRequest),
        (process_image.INPUT_FIELDS, models.MediaInputInfo),
        (process_image.URL_INPUT_FIELDS, models.UrlInputInfo),
        (process_image.OUTPUT_FIELDS, models.TaskOutputStorage),
        (process_image.COS_OUTPUT_FIELDS, models.CosOutputStorage),
        (process_image.IMAGE_TASK_FIELDS, models.ImageTaskInput),
        (image_task_configs.ENHANCE_FIELDS, models.ImageEnhanceConfig),
        (image_task_configs.ADVANCED_SR_FIELDS, models.AdvancedSuperResolutionConfig),
        (image_task_configs.SR_FIELDS, models.SuperResolutionConfig),
        (image_task_configs.EXPANSION_FIELDS, models.AiExpansionConfig),
        (image_task_configs.CUTOUT_FIELDS, models.AiCutoutConfig),
        (image_task_configs.PATTERN_FIELDS, models.PatternConfig),
        (image_task_configs.UNDERSTAND_FIELDS, models.UnderstandImageConfig),
        (image_task_configs.ENCODE_FIELDS, models.ImageEncodeConfig),
    ]
    assert [cls.__name__ for emulated, cls in pairs if set(emulated) != fields(cls)] == []


def test_the_bots_requests_are_the_sdks() -> None:
    """Each tool's request loads into the SDK model with no field left over, and the SDK
    would send it identically (`_serialize` is what its client sends)."""
    for tool in Tool:
        ask = ToolAsk(tool, "https://cdn.example.com/a/cat.png", 640, 480)
        sent = build_tool_request(ask, STORAGE, "job-1").request.to_api()
        sdk = models.ProcessImageRequest()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the SDK warns of fields it does not know
            sdk.from_json_string(json.dumps(sent))
        assert sdk._serialize() == sent, tool


async def test_sdk_round_trip_of_every_tool(emu: MpsEmulator) -> None:
    client = sdk_client(emu)
    async with picture_server({"cat.png": subject_picture((64, 48))}) as base:
        for tool in Tool:
            ask = ToolAsk(tool, f"{base}/cat.png", 64, 48)
            request = models.ProcessImageRequest()
            request.from_json_string(
                json.dumps(build_tool_request(ask, STORAGE, "j1").request.to_api())
            )
            created = await asyncio.to_thread(client.ProcessImage, request)
            assert created.TaskId and created.RequestId
            await settled(emu)
            describe = models.DescribeImageTaskDetailRequest()
            describe.TaskId = created.TaskId
            with warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("always")
                answer = await asyncio.to_thread(client.DescribeImageTaskDetail, describe)
            assert [str(w.message) for w in seen if "useless" in str(w.message)] == []
            assert answer.Status == "FINISH" and answer.TaskType == "WorkflowTask"
            (result,) = answer.ImageProcessTaskResultSet
            assert result.Status == "SUCCESS" and result.Progress == 100
            assert answer.InputInfo.UrlInputInfo.Url == ask.image_url
            output = result.Output
            assert output.OutputStorage.CosOutputStorage.Bucket == STORAGE.bucket
            if tool is Tool.DESCRIBE:
                assert output.Content and not output.SignedUrl
            else:
                assert output.Path.startswith(f"/mps-imagine/j1/{tool.value}.")
                assert output.SignedUrl.startswith(emu.url)


async def test_sdk_sees_the_emulators_refusals(emu: MpsEmulator) -> None:
    client = sdk_client(emu)
    request = models.ProcessImageRequest()
    request.from_json_string(
        json.dumps(
            {
                "InputInfo": {"Type": "URL", "UrlInputInfo": {"Url": "https://x.example/a.png"}},
                "ImageTask": {"AiCutoutConfig": {"Model": "cutout-1.0-lite"}},
            }
        )
    )
    with pytest.raises(TencentCloudSDKException) as info:
        await asyncio.to_thread(client.ProcessImage, request)
    assert info.value.get_code() == "InvalidParameter.Output"
    describe = models.DescribeImageTaskDetailRequest()
    describe.TaskId = "2600000000-WorkflowTask-0"
    with pytest.raises(TencentCloudSDKException) as info:
        await asyncio.to_thread(client.DescribeImageTaskDetail, describe)
    assert info.value.get_code() == "ResourceNotFound.TaskNotFound"
