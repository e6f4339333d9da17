"""The emulator's ProcessImage and DescribeImageTaskDetail: refusals, real transforms, the
task lifecycle, the COS bucket it writes to, failures, faults and rate limits."""

from __future__ import annotations

import copy
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import aiohttp
import pytest

from mps_emulator import MpsEmulator
from mps_emulator.tool_tasks import ToolFailure
from tests.emulator_helpers import FakeClock, call_api
from tests.tool_helpers import (
    BUCKET,
    CUTOUT,
    EXPAND_16_9,
    REGION,
    UNDERSTAND,
    UPSCALE_2X,
    decode,
    picture_server,
    process_params,
    settled,
    subject_picture,
    tool_config,
)

PROCESS = "ProcessImage"
DETAIL = "DescribeImageTaskDetail"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
async def pictures() -> AsyncIterator[str]:
    truncated = subject_picture((64, 64))
    async with picture_server(
        {
            "subject.png": subject_picture(),
            "subject.jpg": subject_picture(fmt="JPEG"),
            "wide.png": subject_picture((1100, 100)),
            "tall.png": subject_picture((120, 1900)),
            "notes.txt": b"not a picture",
            "truncated.png": truncated[: len(truncated) // 2],
        }
    ) as base:
        yield base


async def process(session, emu, params) -> Any:
    return await call_api(session, emu.url, PROCESS, params)


async def detail(session, emu, task_id: str) -> dict[str, Any]:
    reply = await call_api(session, emu.url, DETAIL, {"TaskId": task_id})
    assert reply.error_code is None, reply.error_message
    return reply.response


async def run_tool(session, emu, params) -> dict[str, Any]:
    """ProcessImage, then the Describe answer once the task has FINISHed."""
    reply = await process(session, emu, params)
    assert reply.error_code is None, reply.error_message
    await settled(emu)
    answer = await detail(session, emu, reply.response["TaskId"])
    assert answer["Status"] == "FINISH"
    return answer


async def fetch(session, url: str) -> tuple[int, bytes]:
    async with session.get(url) as response:
        return response.status, await response.read()


def sr(**config: Any) -> dict[str, Any]:
    return {"EnhanceConfig": {"AdvancedSuperResolutionConfig": config}}


def changed(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """`base` with the dotted `path` set to `value` (None deletes it)."""
    out = copy.deepcopy(base)
    *parents, last = path.split(".")
    node = out
    for part in parents:
        node = node.setdefault(part, {})
    if value is None:
        node.pop(last, None)
    else:
        node[last] = value
    return out


# (what is wrong, input picture, the body, the code MPS answers)
REFUSALS: list[tuple[str, str, Any, str]] = [
    ("no InputInfo", "subject.png", {"InputInfo": None}, "MissingParameter"),
    ("no input Type", "subject.png", ("InputInfo.Type", None), "InvalidParameter.NoInputSpecified"),
    ("input Type FTP", "subject.png", ("InputInfo.Type", "FTP"), "InvalidParameterValue.Type"),
    ("COS input", "subject.png", ("InputInfo.Type", "COS"), "UnsupportedOperation"),
    (
        "URL input without Url",
        "subject.png",
        ("InputInfo.UrlInputInfo", None),
        "InvalidParameter.InputInfo",
    ),
    (
        "ftp URL",
        "subject.png",
        ("InputInfo.UrlInputInfo.Url", "ftp://x/a.png"),
        "InvalidParameter.InvalidUrl",
    ),
    ("no OutputStorage", "subject.png", {"OutputStorage": None}, "InvalidParameter.Output"),
    ("output Type S3", "subject.png", ("OutputStorage.Type", "S3"), "InvalidParameterValue.Type"),
    (
        "output Type AWS-S3",
        "subject.png",
        ("OutputStorage.Type", "AWS-S3"),
        "InvalidParameter.Output",
    ),
    (
        "COS without its storage",
        "subject.png",
        ("OutputStorage.CosOutputStorage", None),
        "InvalidParameter.Output",
    ),
    (
        "no Region",
        "subject.png",
        ("OutputStorage.CosOutputStorage.Region", None),
        "InvalidParameter.Output",
    ),
    (
        "bad bucket name",
        "subject.png",
        ("OutputStorage.CosOutputStorage.Bucket", "My_Bucket"),
        "ResourceNotFound.CosBucketNameInvalid",
    ),
    (
        "path without .{format}",
        "subject.png",
        {"OutputPath": "/a/out.png"},
        "InvalidParameter.Output",
    ),
    (
        "relative path, no folder",
        "subject.png",
        {"OutputPath": "out.{format}"},
        "InvalidParameter.Output",
    ),
    ("no path, no folder", "subject.png", {"OutputPath": None}, "InvalidParameter.Output"),
    (
        "unknown variable",
        "subject.png",
        {"OutputPath": "/a/{date}.{format}"},
        "InvalidParameter.Output",
    ),
    (
        "folder not /../",
        "subject.png",
        {"OutputPath": None, "OutputDir": "images"},
        "InvalidParameter.Output",
    ),
    (
        ".. in the path",
        "subject.png",
        {"OutputPath": "/a/../b.{format}"},
        "InvalidParameter.Output",
    ),
    ("unknown field", "subject.png", {"Foo": 1}, "UnknownParameter"),
    ("a template", "subject.png", {"Definition": 20001}, "UnsupportedOperation"),
    ("no ImageTask", "subject.png", {"ImageTask": None}, "MissingParameter"),
    ("erasing", "subject.png", {"ImageTask": {"EraseConfig": {}}}, "UnsupportedOperation"),
    ("two tools", "subject.png", {"ImageTask": {**UPSCALE_2X, **EXPAND_16_9}}, "InvalidParameter"),
    (
        "all tools off",
        "subject.png",
        {"ImageTask": sr(Switch="OFF", Percent=2)},
        "InvalidParameter",
    ),
    (
        "Switch on",
        "subject.png",
        {"ImageTask": sr(Switch="on", Percent=2)},
        "InvalidParameterValue.Switch",
    ),
    (
        "SR Type best",
        "subject.png",
        {"ImageTask": sr(Type="best", Percent=2)},
        "InvalidParameterValue.Type",
    ),
    (
        "SR Mode double",
        "subject.png",
        {"ImageTask": sr(Mode="double", Percent=2)},
        "InvalidParameterValue",
    ),
    ("SR no Percent", "subject.png", {"ImageTask": sr(Mode="percent")}, "MissingParameter"),
    ("SR Percent 0", "subject.png", {"ImageTask": sr(Percent=0)}, "InvalidParameterValue"),
    ("SR Percent text", "subject.png", {"ImageTask": sr(Percent="2")}, "InvalidParameter"),
    ("SR Percent bool", "subject.png", {"ImageTask": sr(Percent=True)}, "InvalidParameter"),
    (
        "SR Width 5000",
        "subject.png",
        {"ImageTask": sr(Mode="fixed", Width=5000, Height=10)},
        "InvalidParameterValue.Width",
    ),
    (
        "SR fixed, one side",
        "subject.png",
        {"ImageTask": sr(Mode="fixed", Width=500)},
        "MissingParameter",
    ),
    ("SR result over 4096", "wide.png", {"ImageTask": sr(Percent=4)}, "InvalidParameterValue"),
    (
        "basic SR Size 4",
        "subject.png",
        {"ImageTask": {"EnhanceConfig": {"SuperResolution": {"Size": 4}}}},
        "InvalidParameterValue",
    ),
    (
        "denoise",
        "subject.png",
        {"ImageTask": {"EnhanceConfig": {"Denoise": {"Type": "weak"}}}},
        "UnsupportedOperation",
    ),
    (
        "ratio 5:3",
        "subject.png",
        {"ImageTask": {"AiExpansionConfig": {"AspectRatio": "5:3"}}},
        "InvalidParameterValue",
    ),
    (
        "Width 3000",
        "subject.png",
        {"ImageTask": {"AiExpansionConfig": {"Width": 3000, "Height": 100}}},
        "InvalidParameterValue.Width",
    ),
    (
        "size not the ratio",
        "subject.png",
        {"ImageTask": {"AiExpansionConfig": {"AspectRatio": "16:9", "Width": 800, "Height": 800}}},
        "InvalidParameterValue",
    ),
    (
        "expansion of nothing",
        "subject.png",
        {"ImageTask": {"AiExpansionConfig": {"Switch": "ON"}}},
        "MissingParameter",
    ),
    ("canvas over 2048", "tall.png", {"ImageTask": EXPAND_16_9}, "InvalidParameterValue"),
    ("cutout, no Model", "subject.png", {"ImageTask": {"AiCutoutConfig": {}}}, "MissingParameter"),
    (
        "cutout-2.0",
        "subject.png",
        {"ImageTask": {"AiCutoutConfig": {"Model": "cutout-2.0"}}},
        "InvalidParameter.ModelNotSupported",
    ),
    (
        "cutout Type people",
        "subject.png",
        ("ImageTask.AiCutoutConfig.Type", "people"),
        "InvalidParameterValue.Type",
    ),
    (
        "thresholds crossed",
        "subject.png",
        ("ImageTask.AiCutoutConfig.PatternConfig", {"OpaqueThreshold": 10}),
        "InvalidParameterValue",
    ),
    (
        "pattern typo",
        "subject.png",
        ("ImageTask.AiCutoutConfig.PatternConfig", {"Opaque": 10}),
        "InvalidParameter",
    ),
    (
        "understand, no Model",
        "subject.png",
        {"ImageTask": {"UnderstandImageConfig": {"Prompt": "?"}}},
        "MissingParameter",
    ),
    (
        "understand-2",
        "subject.png",
        {"ImageTask": {"UnderstandImageConfig": {"Model": "understand-2"}}},
        "InvalidParameter.ModelNotSupported",
    ),
    (
        "Parameters not JSON",
        "subject.png",
        ("ImageTask.UnderstandImageConfig", {"Model": "understand-1.0-pro", "Parameters": "{x"}),
        "InvalidParameter.Value",
    ),
    (
        "Format png",
        "subject.png",
        ("ImageTask.EncodeConfig.Format", "png"),
        "InvalidParameterValue.Format",
    ),
    (
        "Quality 0",
        "subject.png",
        ("ImageTask.EncodeConfig.Quality", 0),
        "InvalidParameterValue.Quality",
    ),
    ("input 404", "missing.png", {}, "ResourceNotFound.DownloadError"),
    ("input not a picture", "notes.txt", {}, "InvalidParameterValue.SrcFile"),
    ("input truncated", "truncated.png", {}, "InvalidParameterValue.SrcFile"),
]


async def test_invalid_requests_are_refused_and_create_nothing(
    session: aiohttp.ClientSession, pictures: str
) -> None:
    wrong = []
    # Without rate limits: the table holds more than 20 requests.
    async with MpsEmulator(replace(tool_config(), rate_limits={})) as emu:
        for why, picture, change, code in REFUSALS:
            params = process_params(f"{pictures}/{picture}", CUTOUT)
            if isinstance(change, tuple):
                params = changed(params, *change)
            else:
                params.update(change)
                params = {k: v for k, v in params.items() if v is not None}
            reply = await process(session, emu, params)
            if reply.error_code != code or not reply.error_message:
                wrong.append((why, reply.error_code, reply.error_message))
        assert wrong == []
        assert emu.stats()["tools"]["counts"].get("created", 0) == 0
        # The counters saw each refusal as answered.
        answered = emu.stats()["actions"][PROCESS]["errors"]
        assert sum(answered.values()) == len(REFUSALS)


async def test_each_tool_really_transforms_the_picture(
    session: aiohttp.ClientSession, pictures: str
) -> None:
    png, jpg = f"{pictures}/subject.png", f"{pictures}/subject.jpg"
    async with MpsEmulator(tool_config()) as emu:
        # Upscale ×2 and ×4 keep the input's format (no EncodeConfig: "缺省为原图格式").
        for factor in (2, 4):
            answer = await run_tool(session, emu, process_params(jpg, sr(Percent=factor)))
            (result,) = answer["ImageProcessTaskResultSet"]
            assert (
                result["Status"] == "SUCCESS" and result["ErrMsg"] == "" and answer["ErrCode"] == 0
            )
            output = result["Output"]
            assert output["Path"] == "/results/job/out.jpg"
            assert output["OutputStorage"] == {
                "Type": "COS",
                "CosOutputStorage": {"Bucket": BUCKET, "Region": REGION},
            }
            status, body = await fetch(session, output["SignedUrl"])
            image = decode(body)
            assert status == 200 and image.format == "JPEG"
            assert image.size == (120 * factor, 80 * factor)

        # Fixed and aspect modes, and the basic ×2 struct; each to its own path (one path
        # holds one object: a second task writing there replaces the first's).
        modes = (
            (sr(Mode="fixed", LongSide=300, ShortSide=100), (300, 100)),
            (sr(Mode="aspect", Width=360, Height=60), (360, 240)),
            ({"EnhanceConfig": {"SuperResolution": {"Type": "hq"}}}, (240, 160)),
        )
        answers = []
        for i, (task, _) in enumerate(modes):
            params = process_params(png, task, OutputPath=f"/modes/{i}.{{format}}")
            answers.append(await run_tool(session, emu, params))
        for answer, (_, size) in zip(answers, modes, strict=True):
            url = answer["ImageProcessTaskResultSet"][0]["Output"]["SignedUrl"]
            assert decode((await fetch(session, url))[1]).size == size

        # Remove background: a PNG whose background is transparent and subject opaque.
        answer = await run_tool(
            session, emu, process_params(jpg, CUTOUT, OutputPath=None, OutputDir="/cut/")
        )
        output = answer["ImageProcessTaskResultSet"][0]["Output"]
        assert output["Path"] == "/cut/subject.png"  # {inputName}.{format} in OutputDir
        cut = decode((await fetch(session, output["SignedUrl"]))[1])
        assert cut.format == "PNG" and cut.mode == "RGBA" and cut.size == (120, 80)
        alpha = cut.getchannel("A")
        assert alpha.getpixel((2, 2)) == 0 and alpha.getpixel((60, 40)) == 255
        assert cut.getpixel((60, 40))[:3] == pytest.approx((220, 40, 40), abs=12)

        # Zoom out: a 16:9 canvas as high as the picture, the picture in its middle.
        answer = await run_tool(session, emu, process_params(png, EXPAND_16_9))
        wide = decode(
            (await fetch(session, answer["ImageProcessTaskResultSet"][0]["Output"]["SignedUrl"]))[1]
        )
        assert wide.size == (142, 80)
        assert wide.getpixel((71, 40))[:3] == (220, 40, 40)
        sized = await run_tool(
            session,
            emu,
            process_params(
                png, {"AiExpansionConfig": {"AspectRatio": "21:9", "Width": 210, "Height": 90}}
            ),
        )
        url = sized["ImageProcessTaskResultSet"][0]["Output"]["SignedUrl"]
        assert decode((await fetch(session, url))[1]).size == (210, 90)

        # Describe: a text in Output.Content, no file; in Chinese when asked in Chinese.
        answer = await run_tool(session, emu, process_params(png, UNDERSTAND))
        output = answer["ImageProcessTaskResultSet"][0]["Output"]
        assert output["SignedUrl"] == "" and output["Path"] == ""
        assert re.search(r"120x80", output["Content"]) and "blue" in output["Content"]
        assert "red" in output["Content"]
        chinese = {
            "UnderstandImageConfig": {"Model": "understand-1.0-lite", "Prompt": "描述这张图片"}
        }
        answer = await run_tool(session, emu, process_params(png, chinese))
        assert "蓝色" in answer["ImageProcessTaskResultSet"][0]["Output"]["Content"]

        # EncodeConfig alone: a format conversion.
        answer = await run_tool(
            session, emu, process_params(png, {"EncodeConfig": {"Format": "WebP", "Quality": 80}})
        )
        output = answer["ImageProcessTaskResultSet"][0]["Output"]
        assert output["Path"] == "/results/job/out.webp"
        assert decode((await fetch(session, output["SignedUrl"]))[1]).format == "WEBP"

        counts = emu.stats()["tools"]["counts"]
        assert counts["created"] == 11 and counts["served"] == 9 and counts["inputs_fetched"] == 11


async def test_lifecycle_on_a_fake_clock(session: aiohttp.ClientSession, pictures: str) -> None:
    clock = FakeClock(1000.0)
    config = tool_config(wait=(1.0, 1.0), run=(2.0, 2.0), url_lifetime=60.0)
    async with MpsEmulator(config, clock=clock) as emu:
        reply = await process(session, emu, process_params(f"{pictures}/subject.png", UPSCALE_2X))
        task_id = reply.response["TaskId"]
        assert re.fullmatch(r"\d+-WorkflowTask-[0-9a-f]{32}", task_id)
        await settled(emu)

        clock.now = 1000.5
        waiting = await detail(session, emu, task_id)
        assert waiting["Status"] == "WAITING" and waiting["ImageProcessTaskResultSet"] == []
        assert waiting["FinishTime"] == "" and re.fullmatch(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", waiting["CreateTime"]
        )
        assert waiting["ImageTask"] == UPSCALE_2X and waiting["InputInfo"]["Type"] == "URL"
        clock.now = 1002.0
        processing = await detail(session, emu, task_id)
        assert processing["Status"] == "PROCESSING"
        assert processing["ImageProcessTaskResultSet"] == [
            {"Status": "PROCESSING", "ErrMsg": "", "Message": "", "Progress": 50}
        ]
        clock.now = 1003.0
        done = await detail(session, emu, task_id)
        assert done["Status"] == "FINISH" and done["FinishTime"] > done["CreateTime"]
        url = done["ImageProcessTaskResultSet"][0]["Output"]["SignedUrl"]
        assert (await fetch(session, url))[0] == 200

        # The signed URL expires; a new Describe signs a new one for the same object.
        clock.now = 1064.0
        status, body = await fetch(session, url)
        assert status == 403 and b"Request has expired" in body
        fresh = (await detail(session, emu, task_id))["ImageProcessTaskResultSet"][0]["Output"]
        assert fresh["SignedUrl"] != url and (await fetch(session, fresh["SignedUrl"]))[0] == 200
        tampered = fresh["SignedUrl"].replace("q-signature=", "q-signature=0")
        assert b"SignatureDoesNotMatch" in (await fetch(session, tampered))[1]
        assert b"AccessDenied" in (await fetch(session, fresh["SignedUrl"].split("?")[0]))[1]

        # Tasks are found for 7 days, then no more.
        clock.now = 1000.0 + 7 * 24 * 3600
        assert (await detail(session, emu, task_id))["Status"] == "FINISH"
        clock.advance(1.0)
        gone = await call_api(session, emu.url, DETAIL, {"TaskId": task_id})
        assert gone.error_code == "ResourceNotFound.TaskNotFound"
        for params, code in (
            ({}, "MissingParameter"),
            ({"TaskId": 5}, "InvalidParameter"),
            ({"TaskId": "x", "Foo": 1}, "UnknownParameter"),
        ):
            assert (await call_api(session, emu.url, DETAIL, params)).error_code == code

        stats = emu.stats()["tools"]
        assert stats["tasks"][task_id]["describe_calls"] == 5
        assert stats["tasks"][task_id]["downloads"] == 2
        assert stats["counts"]["expired"] == 1 and stats["counts"]["forbidden"] == 2


async def test_failures_at_either_level_and_faults(
    session: aiohttp.ClientSession, pictures: str
) -> None:
    png = f"{pictures}/subject.png"
    async with MpsEmulator(tool_config()) as emu:
        emu.service.tools.fail_next(ToolFailure("InvalidInput.Blur", "Too blurred to upscale."))
        emu.service.tools.fail_next(ToolFailure("InternalError", "The engine stopped.", "task"))
        emu.inject_fault("fail_task", PROCESS, message="no luck")

        result_level = await run_tool(session, emu, process_params(png, UPSCALE_2X))
        assert result_level["ErrCode"] == 0 and result_level["ErrMsg"] == ""
        assert result_level["ImageProcessTaskResultSet"] == [
            {
                "Status": "FAIL",
                "ErrMsg": "InvalidInput.Blur",
                "Message": "Too blurred to upscale.",
                "Progress": 100,
            }
        ]
        task_level = await run_tool(session, emu, process_params(png, UPSCALE_2X))
        assert task_level["ErrCode"] != 0 and task_level["ErrMsg"] == "InternalError"
        assert (
            task_level["Message"] == "The engine stopped."
            and task_level["ImageProcessTaskResultSet"] == []
        )
        injected = await run_tool(session, emu, process_params(png, UPSCALE_2X))
        assert injected["ImageProcessTaskResultSet"][0]["Message"] == "no luck"
        assert injected["ImageProcessTaskResultSet"][0]["ErrMsg"] == "InternalError"

        # API faults as for every action; a ProcessImage refused by one creates nothing.
        emu.inject_fault("error", PROCESS, code="LimitExceeded.CreateTask")
        assert (
            await process(session, emu, process_params(png, UPSCALE_2X))
        ).error_code == "LimitExceeded.CreateTask"
        emu.inject_fault("internal_error", DETAIL)
        faulty = await call_api(session, emu.url, DETAIL, {"TaskId": "any"})
        assert faulty.error_code == "InternalError"
        ok = await run_tool(session, emu, process_params(png, UPSCALE_2X))
        url = ok["ImageProcessTaskResultSet"][0]["Output"]["SignedUrl"]
        # Download faults spoil the bucket's objects too.
        emu.inject_fault("truncated_png", "Download")
        status, body = await fetch(session, url)
        assert status == 200 and len(body) < len((await fetch(session, url))[1])
        emu.inject_fault("http_500", "Download")
        assert (await fetch(session, url))[0] == 500
        assert emu.stats()["tools"]["counts"]["created"] == 4

    async with MpsEmulator(tool_config(failure_rate=1.0)) as emu:
        answer = await run_tool(session, emu, process_params(png, CUTOUT))
        assert answer["ImageProcessTaskResultSet"][0]["Status"] == "FAIL"


async def test_rate_limits_and_buckets(session: aiohttp.ClientSession, pictures: str) -> None:
    clock = FakeClock(50.0)
    config = tool_config(buckets={BUCKET: REGION})
    async with MpsEmulator(config, clock=clock) as emu:
        # 20 a second each; a frozen clock puts every request in the same second.
        codes = [(await process(session, emu, {})).error_code for _ in range(21)]
        assert codes == ["MissingParameter"] * 20 + ["RequestLimitExceeded"]
        codes = [
            (await call_api(session, emu.url, DETAIL, {"TaskId": "x"})).error_code
            for _ in range(21)
        ]
        assert codes == ["ResourceNotFound.TaskNotFound"] * 20 + ["RequestLimitExceeded"]
        clock.advance(1.0)
        png = f"{pictures}/subject.png"
        elsewhere = changed(
            process_params(png, CUTOUT), "OutputStorage.CosOutputStorage.Region", "ap-beijing"
        )
        assert (
            await process(session, emu, elsewhere)
        ).error_code == "ResourceNotFound.CosBucketNotExist"
        other = changed(
            process_params(png, CUTOUT), "OutputStorage.CosOutputStorage.Bucket", "other-1250000000"
        )
        assert (
            await process(session, emu, other)
        ).error_code == "ResourceNotFound.CosBucketNotExist"
        assert (await process(session, emu, process_params(png, CUTOUT))).error_code is None
        assert emu.stats()["actions"][PROCESS]["peak_1s"] == 21


def test_the_emulator_command_line_sets_the_tools() -> None:
    from mps_emulator.__main__ import build_config, parse_args

    args = ["--tool-wait", "0.5", "--tool-run", "2", "--tool-failure-rate", "0.25"]
    config = build_config(parse_args([*args, "--rate-limit", "ProcessImage=5"]))
    assert (config.tools.wait, config.tools.run) == ((0.5, 0.5), (2.0, 2.0))
    assert config.tools.failure_rate == 0.25 and config.rate_limits[PROCESS] == 5
    assert build_config(parse_args([])).tools.run == (4.0, 15.0)
