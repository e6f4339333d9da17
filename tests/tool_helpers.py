"""Helpers for the image tool tests: input pictures served over HTTP, requests, finished tasks."""

from __future__ import annotations

import copy
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from aiohttp import web
from PIL import Image

from bot.config.tool_storage import ToolStorage
from mps_emulator import EmulatorConfig, MpsEmulator
from mps_emulator.tool_config import ToolConfig

BUCKET = "images-1250000000"
REGION = "ap-guangzhou"
STORAGE = ToolStorage(BUCKET, REGION, "mps-imagine")
COS_OUTPUT = {"Type": "COS", "CosOutputStorage": {"Bucket": BUCKET, "Region": REGION}}


def subject_picture(size: tuple[int, int] = (120, 80), fmt: str = "PNG") -> bytes:
    """A red rectangle (the subject) in the middle of a flat blue background."""
    width, height = size
    image = Image.new("RGB", size, (30, 60, 200))
    image.paste((220, 40, 40), (width // 4, height // 4, 3 * width // 4, 3 * height // 4))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@asynccontextmanager
async def picture_server(pictures: dict[str, bytes]) -> AsyncIterator[str]:
    """Serve each `name -> bytes` at /name (a 404 elsewhere); yields the base URL."""

    async def serve(request: web.Request) -> web.Response:
        data = pictures.get(request.match_info["name"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    app = web.Application()
    app.router.add_get("/{name}", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


def tool_config(**changes: Any) -> EmulatorConfig:
    """Tool tasks that FINISH as soon as their result is made (tests await `settled()`)."""
    tools = replace(ToolConfig(wait=(0.0, 0.0), run=(0.0, 0.0)), **changes)
    return EmulatorConfig(image_wait=(0.0, 0.0), image_run=(0.05, 0.05), seed=3, tools=tools)


def process_params(url: str, image_task: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A valid ProcessImage body for `url` with `image_task`; `fields` replace or add
    top-level fields (None removes one)."""
    params: dict[str, Any] = {
        "InputInfo": {"Type": "URL", "UrlInputInfo": {"Url": url}},
        "OutputStorage": copy.deepcopy(COS_OUTPUT),
        "OutputPath": "/results/job/out.{format}",
        "ImageTask": image_task,
    }
    for key, value in fields.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return params


UPSCALE_2X = {
    "EnhanceConfig": {
        "AdvancedSuperResolutionConfig": {"Type": "standard", "Mode": "percent", "Percent": 2}
    }
}
CUTOUT = {"AiCutoutConfig": {"Model": "cutout-1.0-flash"}, "EncodeConfig": {"Format": "PNG"}}
EXPAND_16_9 = {"AiExpansionConfig": {"AspectRatio": "16:9"}}
UNDERSTAND = {"UnderstandImageConfig": {"Model": "understand-1.0-flash", "Prompt": "Describe it"}}


async def settled(emu: MpsEmulator) -> None:
    """Every tool result the emulator is making is made."""
    await emu.service.tools.settled()
