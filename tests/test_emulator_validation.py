"""Create requests are checked as MPS checks them; reference images are really fetched."""

from __future__ import annotations

import io
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from mps_emulator import EmulatorConfig, MpsEmulator
from mps_emulator.protocol import ApiError
from mps_emulator.validation import IMAGE_FIELDS, VIDEO_FIELDS, validate_image_create
from mps_emulator.video_validation import validate_video_create
from tests.emulator_helpers import HUNYUAN, call_api, fast_config

CREATE = "CreateAigcImageTask"
VIDEO = "CreateAigcVideoTask"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
async def emu() -> AsyncIterator[MpsEmulator]:
    async with MpsEmulator(fast_config(banned_words=("Forbidden",))) as emulator:
        yield emulator


@pytest.fixture
async def pictures() -> AsyncIterator[str]:
    """A tiny web server with one PNG, one text file and a 404."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    png = buffer.getvalue()

    async def picture(request: web.Request) -> web.Response:
        return web.Response(body=png, content_type="image/png")

    async def text(request: web.Request) -> web.Response:
        return web.Response(text="not an image")

    app = web.Application()
    app.router.add_get("/cat.png", picture)
    app.router.add_get("/notes.txt", text)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}"
    await runner.cleanup()


def size(text: str) -> str:
    return json.dumps({"size": text})


def refs(*urls: str, key: str = "ImageUrl") -> list[dict[str, str]]:
    return [{key: url} for url in urls]


PNG_URL = "https://example.invalid/cat.png"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"Prompt": "a forbidden cat"}, "InvalidParameter.ViolationContent"),
        ({"NegativePrompt": "FORBIDDEN things"}, "InvalidParameter.ViolationContent"),
        ({"ModelName": "Midjourney"}, "InvalidParameter.ModelNotSupported"),
        ({"ModelVersion": "9.9"}, "InvalidParameter.ModelNotSupported"),
        ({"ModelName": None}, "MissingParameter"),
        ({"Prompt": None}, "MissingParameter"),
        ({"Prompt": "x" * 1001}, "InvalidParameterValue"),
        ({"Prompt": 5}, "InvalidParameter"),
        ({"EnhancePrompt": "yes"}, "InvalidParameter"),
        ({"Promt": "typo"}, "UnknownParameter"),
        ({"AdditionalParameters": size("2048x2048")}, "InvalidParameterValue.Resolution"),
        ({"AdditionalParameters": size("500x1024")}, "InvalidParameterValue.Width"),
        ({"AdditionalParameters": size("big")}, "InvalidParameterValue"),
        ({"AdditionalParameters": "{not json"}, "InvalidParameter.Value"),
        ({"AdditionalParameters": '["size"]'}, "InvalidParameter.Value"),
        ({"AdditionalParameters": {"size": "1024x1024"}}, "InvalidParameter"),
        ({"OutputImageCount": 0}, "InvalidParameterValue"),
        ({"OutputImageCount": 5}, "InvalidParameterValue"),
        ({"OutputImageCount": True}, "InvalidParameter"),
        ({"ExtraParameters": {"AspectRatio": "5:4"}}, "InvalidParameterValue"),
        ({"ExtraParameters": {"OutputFormat": "gif"}}, "InvalidParameterValue.Format"),
        ({"ExtraParameters": {"Resolution": "8K"}}, "InvalidParameterValue.Resolution"),
        ({"ExtraParameters": {"LogoAdd": 2}}, "InvalidParameterValue"),
        ({"ExtraParameters": {"Colour": "red"}}, "InvalidParameter"),
        ({"ImageInfos": refs(PNG_URL, key="Url")}, "InvalidParameter"),
        ({"ImageInfos": refs(PNG_URL) * 4}, "InvalidParameter.ExceededQuantityLimit"),
        ({"ImageInfos": refs("ftp://example.invalid/cat.png")}, "InvalidParameter.InvalidUrl"),
        ({"ImageInfos": ["https://example.invalid/cat.png"]}, "InvalidParameter"),
        (
            {"SceneType": "3d_panorama", "ModelName": "Qwen", "ModelVersion": "0925"},
            "InvalidParameter.ModelNotSupported",
        ),
    ],
)
async def test_bad_image_requests(
    emu: MpsEmulator, session: aiohttp.ClientSession, fields: dict[str, Any], code: str
) -> None:
    params = {**HUNYUAN, **fields}
    params = {k: v for k, v in params.items() if v is not None}
    reply = await call_api(session, emu.url, CREATE, params)
    assert reply.error_code == code, reply.response
    assert emu.stats()["tasks_created"] == 0
    assert emu.stats()["actions"][CREATE]["errors"] == {code: 1}


@pytest.mark.parametrize(
    "fields",
    [
        {"Prompt": "x" * 1000},
        {"ModelVersion": None},  # the model's default version
        {"AdditionalParameters": size("1024x1024"), "OutputImageCount": 1},
        {"AdditionalParameters": size("512x2048")},
        {"ModelName": "Qwen", "ModelVersion": "0925", "AdditionalParameters": size("2048x2048")},
        {
            "ModelName": "wand-vega-image",
            "ModelVersion": "1.0-pro",
            "ExtraParameters": {"Resolution": "2K", "LogoAdd": 0, "OutputFormat": "png"},
        },
        {
            "SceneType": "3d_panorama",
            "EnhancePrompt": True,
            "Operator": "bot",
            "StoreCosParam": {"CosBucketName": "b", "CosBucketRegion": "ap-guangzhou"},
        },
    ],
)
async def test_good_image_requests(
    emu: MpsEmulator, session: aiohttp.ClientSession, fields: dict[str, Any]
) -> None:
    params = {k: v for k, v in {**HUNYUAN, **fields}.items() if v is not None}
    reply = await call_api(session, emu.url, CREATE, params)
    assert reply.error_code is None, reply.response


async def test_reference_images_are_fetched(
    emu: MpsEmulator, session: aiohttp.ClientSession, pictures: str
) -> None:
    ok = await call_api(
        session,
        emu.url,
        CREATE,
        {"ModelName": "Hunyuan", "ImageInfos": refs(f"{pictures}/cat.png")},
    )
    assert ok.error_code is None, ok.response  # no Prompt needed with a reference image

    with socket.socket() as sock:  # a port with nobody listening
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/cat.png"
    for url, code in (
        (f"{pictures}/missing.png", "ResourceNotFound.DownloadError"),
        (f"{pictures}/notes.txt", "InvalidParameterValue.SrcFile"),
        (closed, "ResourceNotFound.DownloadError"),
    ):
        reply = await call_api(session, emu.url, CREATE, {**HUNYUAN, "ImageInfos": refs(url)})
        assert reply.error_code == code, url
        assert url in (reply.error_message or "")
    assert emu.stats()["references"] == {"fetched": 1, "failed": 3}
    assert emu.stats()["tasks_created"] == 1


async def test_reference_counts_follow_the_model(
    emu: MpsEmulator, session: aiohttp.ClientSession, pictures: str
) -> None:
    three = refs(*[f"{pictures}/cat.png"] * 3)
    reply = await call_api(session, emu.url, CREATE, {**HUNYUAN, "ImageInfos": three})
    assert reply.error_code is None
    seven = refs(*[f"{pictures}/cat.png"] * 7)
    vidu = {"ModelName": "Vidu", "ModelVersion": "q2", "Prompt": "a cat", "ImageInfos": seven}
    assert (await call_api(session, emu.url, CREATE, vidu)).error_code is None
    vidu["ImageInfos"] = seven + refs(f"{pictures}/cat.png")
    assert (await call_api(session, emu.url, CREATE, vidu)).error_code == (
        "InvalidParameter.ExceededQuantityLimit"
    )


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"ModelName": "Sora"}, "InvalidParameter.ModelNotSupported"),
        ({"Prompt": None}, "MissingParameter"),
        ({"Prompt": "x" * 2001}, "InvalidParameterValue"),
        ({"Duration": 60}, "InvalidParameterValue.DurationTooLong"),
        ({"ExtraParameters": {"Resolution": "999P"}}, "InvalidParameterValue.Resolution"),
        ({"ImageUrl": "https://127.0.0.1:1/nothing.png"}, "ResourceNotFound.DownloadError"),
        ({"Prompt": "forbidden waves"}, "InvalidParameter.ViolationContent"),
    ],
)
async def test_bad_video_requests(
    emu: MpsEmulator, session: aiohttp.ClientSession, fields: dict[str, Any], code: str
) -> None:
    params = {
        k: v
        for k, v in {"ModelName": "Hailuo", "Prompt": "waves", **fields}.items()
        if v is not None
    }
    reply = await call_api(session, emu.url, VIDEO, params)
    assert reply.error_code == code, reply.response


async def test_video_first_frame_replaces_the_prompt(
    emu: MpsEmulator, session: aiohttp.ClientSession, pictures: str
) -> None:
    params = {
        "ModelName": "Vidu",
        "ModelVersion": "q2-pro",
        "ImageUrl": f"{pictures}/cat.png",
        "LastImageUrl": f"{pictures}/cat.png",
        "Duration": 5,
    }
    reply = await call_api(session, emu.url, VIDEO, params)
    assert reply.error_code is None, reply.response
    assert emu.stats()["references"]["fetched"] == 2


# Leaves include valid-looking values so examples get past the type checks to the deeper rules.
PLAUSIBLE = st.sampled_from(
    [
        "Hunyuan",
        "Kling",
        "Vidu",
        "3.0",
        "q2",
        "16:9",
        "jpeg",
        "1080P",
        "https://x/y.png",
        '{"size": "1024x1024"}',
        '{"size": "9x99999"}',
        '{"size": 5}',
        "{}",
        "[]",
        "3d_panorama",
    ]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5000) | st.text(max_size=12) | PLAUSIBLE,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["ImageUrl", "Url", "size", "AspectRatio"]), children, max_size=3
        )
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.sampled_from([*IMAGE_FIELDS, *VIDEO_FIELDS, "Bogus"]), JSON, max_size=6),
    st.booleans(),
)
def test_any_json_gets_an_api_answer_never_a_crash(params: dict[str, Any], video: bool) -> None:
    validate = validate_video_create if video else validate_image_create
    try:
        validate(params, EmulatorConfig())
    except ApiError as err:
        assert err.code and err.message
