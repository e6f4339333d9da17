"""The documented contract, rule by rule: the emulator refuses each violation with the code
the SDK's error list gives it, and the bot refuses the same ask before any call (or never
sends the field at all).

One table of every rule of CreateAigcImageTask and CreateAigcVideoTask the SDK 3.1.194
documents (`models.py` line of each); the ambiguous ones read strictly (docs/models.md).
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from PIL import Image

from bot.asks.images import ImageOptions, validate_image
from bot.asks.references import check_reference_bytes
from bot.asks.videos import VideoOptions, validate_video
from bot.config.tunables import Tunables
from bot.refusal import Refusal
from mps_emulator import MpsEmulator
from tests.emulator_helpers import call_api, fast_config

TUNABLES = Tunables()
IMAGE = "CreateAigcImageTask"
VIDEO = "CreateAigcVideoTask"
URL = "https://example.invalid/ref.png"
FRAME = "https://example.invalid/frame.png"


def refs(count: int, *, named: bool = False) -> list[dict[str, str]]:
    return [{"ImageUrl": URL, **({"Text": f"image{i}"} if named else {})} for i in range(count)]


@dataclass(frozen=True)
class Rule:
    line: str  # models.py line (or the ambiguity read strictly)
    says: str  # what the documentation says
    action: str
    params: dict[str, Any]  # a request that breaks the rule
    code: str  # the emulator's answer
    ask: ImageOptions | VideoOptions | None = None  # the same ask, to the bot
    key: str | None = None  # the bot's refusal
    mark: bool = False  # the server's AI mark is on
    # When the bot never sends the field: what it sends instead must keep the rule.
    sends: Callable[[dict[str, Any]], bool] | None = None
    served: bytes | None = None  # the bytes a reference URL serves (checked at Create)
    content_type: str = "image/png"
    frame: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.line} {self.says}"


def image(**params: Any) -> dict[str, Any]:
    return {"ModelName": "Hunyuan", "ModelVersion": "3.0", "Prompt": "a cat", **params}


def video(**params: Any) -> dict[str, Any]:
    return {"ModelName": "Kling", "ModelVersion": "3.0", "Prompt": "waves", **params}


def extra(**values: Any) -> dict[str, Any]:
    return {"ExtraParameters": values}


def size(text: str) -> dict[str, str]:
    return {"AdditionalParameters": f'{{"size": "{text}"}}'}


def I(model: str, version: str | None = None, **options: Any) -> ImageOptions:  # noqa: E743
    return ImageOptions(
        prompt=options.pop("prompt", "a cat"), model=model, version=version, **options
    )


def V(model: str, version: str | None = None, **options: Any) -> VideoOptions:
    return VideoOptions(
        prompt=options.pop("prompt", "waves"), model=model, version=version, **options
    )


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return out.getvalue()


def _webp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "WEBP")
    return out.getvalue()


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "GIF")
    return out.getvalue()


MPV = "InvalidParameterValue"
NOT_SUPPORTED = "InvalidParameter.ModelNotSupported"
TOO_MANY = "InvalidParameter.ExceededQuantityLimit"
RES = "InvalidParameterValue.Resolution"
LONG = "InvalidParameterValue.DurationTooLong"

# fmt: off
IMAGE_RULES = [
    Rule("24240", "ModelName is one of the list", IMAGE, image(ModelName="Midjourney"),
         NOT_SUPPORTED, I("Midjourney"), "error.model_unknown"),
    Rule("24242", "Kling versions 2.1, O1, 3.0, 3.0-Omni", IMAGE,
         image(ModelName="Kling", ModelVersion="2.0"),
         NOT_SUPPORTED, I("Kling", "2.0"), "error.version_unknown"),
    Rule("24246", "Prompt required without a reference", IMAGE, {"ModelName": "Hunyuan"},
         "MissingParameter", I("Hunyuan", prompt=None), "error.prompt_missing"),
    Rule("24254", "OutputImageCount is 1", IMAGE, image(OutputImageCount=2), MPV,
         I("Hunyuan", count=2), sends=lambda api: "OutputImageCount" not in api),
    Rule("14753", "Kling 2.1 aspect ratios", IMAGE,
         image(ModelName="Kling", ModelVersion="2.1", **extra(AspectRatio="5:4")), MPV,
         I("Kling", "2.1", aspect="5:4"), "error.aspect_unsupported"),
    Rule("14753", "Vidu q2 aspect ratios", IMAGE,
         image(ModelName="Vidu", ModelVersion="q2", **extra(AspectRatio="9:21")), MPV,
         I("Vidu", "q2", aspect="9:21"), "error.aspect_unsupported"),
    Rule("14753", "no aspect ratio for wand-vega-image", IMAGE,
         image(ModelName="wand-vega-image", ModelVersion="1.0-pro", **extra(AspectRatio="1:1")),
         MPV, I("wand-vega-image", "1.0-pro", aspect="1:1"), "error.shape_unsupported"),
    Rule("14753", "no aspect ratio for Hunyuan (sent as a size)", IMAGE,
         image(**extra(AspectRatio="16:9")), MPV, I("Hunyuan", "3.0", aspect="16:9"),
         sends=lambda api: "ExtraParameters" not in api and "size" in api["AdditionalParameters"]),
    Rule("24258", "size only for Hunyuan 3.0 and Qwen 0925", IMAGE,
         image(ModelName="Kling", ModelVersion="O1", **size("1024x1024")), NOT_SUPPORTED,
         I("Kling", "O1", size="1024x1024"), "error.size_unsupported"),
    Rule("24258", "no size for Hunyuan 3.5-preview", IMAGE,
         image(ModelVersion="3.5-preview", **size("1024x1024")), NOT_SUPPORTED,
         I("Hunyuan", "3.5-preview", size="1024x1024"), "error.shape_unsupported"),
    Rule("24258", "Hunyuan 3.0 width 512-2048", IMAGE, image(**size("500x1024")),
         "InvalidParameterValue.Width", I("Hunyuan", "3.0", size="500x1024"), "error.size_sides"),
    Rule("24258", "Hunyuan 3.0 height 512-2048", IMAGE, image(**size("1024x2049")),
         "InvalidParameterValue.Height", I("Hunyuan", "3.0", size="1024x2049"), "error.size_sides"),
    Rule("24258", "Hunyuan 3.0 at most 1024x1024 pixels", IMAGE, image(**size("2048x1024")),
         RES, I("Hunyuan", "3.0", size="2048x1024"), "error.size_area_max"),
    Rule("24258", "Qwen 0925 at least 512x512 pixels (A3: 262,144)", IMAGE,
         image(ModelName="Qwen", ModelVersion="0925", **size("512x511")), RES,
         I("Qwen", "0925", size="512x511"), "error.size_area_range"),
    Rule("24258", "Qwen 0925 at most 2048x2048 pixels", IMAGE,
         image(ModelName="Qwen", ModelVersion="0925", **size("2048x2049")), RES,
         I("Qwen", "0925", size="2048x2049"), "error.size_area_range"),
    Rule("24258", "size written WxH", IMAGE, image(**size("1024*1024")), MPV,
         I("Hunyuan", "3.0", size="1024*1024"),
         sends=lambda api: '"1024x1024"' in api["AdditionalParameters"]),
    Rule("24258", "AdditionalParameters is JSON", IMAGE, image(AdditionalParameters="{size"),
         "InvalidParameter.Value", I("Hunyuan", "3.0", size="768x1024"),
         sends=lambda api: api["AdditionalParameters"] == '{"size": "768x1024"}'),
    Rule("14755 (A2)", "Resolution only for wand-vega-image", IMAGE,
         image(**extra(Resolution="2K")), RES, I("Hunyuan", "3.0", resolution="2K"),
         "error.resolution_unsupported"),
    Rule("14755", "wand-vega-image: 1K, 2K, 4K", IMAGE,
         image(ModelName="wand-vega-image", ModelVersion="1.0-lite", **extra(Resolution="1080P")),
         RES, I("wand-vega-image", "1.0-lite", resolution="1080P"), "error.resolution"),
    Rule("14759", "OutputFormat jpeg or png", IMAGE, image(**extra(OutputFormat="webp")),
         "InvalidParameterValue.Format", I("Hunyuan", "3.0", output_format="webp"),
         "error.output_format"),
    Rule("14757", "LogoAdd 0 or 1", IMAGE, image(**extra(LogoAdd=2)), MPV,
         I("Hunyuan", "3.0"), mark=True, sends=lambda api: api["ExtraParameters"]["LogoAdd"] == 1),
    Rule("24244", "SceneType 3d_panorama only for Hunyuan", IMAGE,
         image(ModelName="Qwen", ModelVersion="0925", SceneType="3d_panorama"), NOT_SUPPORTED,
         I("Qwen", "0925"), sends=lambda api: "SceneType" not in api),
    Rule("14891", "StoreCosParam needs its bucket", IMAGE, image(StoreCosParam={}),
         "MissingParameter", I("Hunyuan", "3.0"), sends=lambda api: "StoreCosParam" not in api),
]
# ImageInfos (24252): Kling 2.1 4, 3.0-Omni 10, O1 10, Vidu q2 7, Hunyuan 3.5-preview 5,
# 3.0 3, wand-vega-image 10, the others 1.
for model, version, most in [
    ("Kling", "2.1", 4), ("Kling", "O1", 10), ("Kling", "3.0", 1), ("Kling", "3.0-Omni", 10),
    ("Vidu", "q2", 7), ("Hunyuan", "3.0", 3), ("Hunyuan", "3.5-preview", 5), ("Qwen", "0925", 1),
    ("wand-vega-image", "1.0-flash", 10),
]:
    IMAGE_RULES.append(
        Rule("24252", f"{model} {version} takes at most {most} references", IMAGE,
             image(ModelName=model, ModelVersion=version, ImageInfos=refs(most + 1)), TOO_MANY,
             I(model, version, references=(URL,) * (most + 1)), "error.references_too_many")
    )
IMAGE_RULES.append(
    Rule("24252", "references are jpeg, png or webp", IMAGE, image(),
         "InvalidParameterValue.SrcFile",
         served=_gif(), content_type="image/gif", key="error.reference_type")
)

VIDEO_RULES = [
    Rule("24493", "ModelName is one of the list", VIDEO, video(ModelName="Sora"), NOT_SUPPORTED,
         V("Sora"), "video.error.model_unknown"),
    Rule("24495", "Hailuo versions 02, 2.3, 2.3-fast", VIDEO,
         video(ModelName="Hailuo", ModelVersion="2.0"), NOT_SUPPORTED, V("Hailuo", "2.0"),
         "video.error.version_unknown"),
    Rule("24499", "Prompt required without an image", VIDEO, {"ModelName": "Kling"},
         "MissingParameter", V("Kling", prompt=None), "video.error.prompt_missing"),
    Rule("24517", "Kling O1: 3-10 s", VIDEO, video(ModelVersion="O1", Duration=11), LONG,
         V("Kling", "O1", duration=11), "video.error.duration"),
    Rule("24517", "Kling 3.0: 3-15 s", VIDEO, video(Duration=2), MPV,
         V("Kling", "3.0", duration=2), "video.error.duration"),
    Rule("24517", "other Kling versions: 5 or 10 s", VIDEO, video(ModelVersion="2.1", Duration=7),
         MPV, V("Kling", "2.1", duration=7), "video.error.duration"),
    Rule("24517", "Kling 3.0-Omni: 3-10 s with a reference video", VIDEO,
         video(ModelVersion="3.0-Omni", Duration=12,
               VideoInfos=[{"VideoUrl": URL, "ReferType": "feature"}]),
         LONG, V("Kling", "3.0-Omni", duration=12), sends=lambda api: "VideoInfos" not in api),
    Rule("24517", "wand-vega-video: 4-15 s", VIDEO,
         video(ModelName="wand-vega-video", ModelVersion="1.0-lite", Duration=3), MPV,
         V("wand-vega-video", "1.0-lite", duration=3), "video.error.duration"),
    Rule("24517 (A5)", "Hailuo: 6 s (no field picks the std mode)", VIDEO,
         video(ModelName="Hailuo", ModelVersion="2.3", Duration=10), LONG,
         V("Hailuo", "2.3", duration=10), "video.error.duration"),
    Rule("24517", "Vidu q3 family: 3-16 s", VIDEO,
         video(ModelName="Vidu", ModelVersion="q3", Duration=17), LONG,
         V("Vidu", "q3", duration=17), "video.error.duration"),
    Rule("24517", "Vidu q2 family: 1-10 s", VIDEO,
         video(ModelName="Vidu", ModelVersion="q2-pro", Duration=11), LONG,
         V("Vidu", "q2-pro", duration=11), "video.error.duration"),
    Rule("24517", "PixVerse v5.6: 5, 8 or 10 s", VIDEO,
         video(ModelName="PixVerse", ModelVersion="v5.6", Duration=9), MPV,
         V("PixVerse", "v5.6", duration=9), "video.error.duration"),
    Rule("24517", "PixVerse v6 and c1: 1-15 s", VIDEO,
         video(ModelName="PixVerse", ModelVersion="c1", Duration=16), LONG,
         V("PixVerse", "c1", duration=16), "video.error.duration"),
    Rule("24517", "H2: 3-15 s", VIDEO, video(ModelName="H2", ModelVersion="1.0", Duration=2), MPV,
         V("H2", "1.0", duration=2), "video.error.duration"),
    Rule("24517", "Hunyuan 1.5: no duration documented", VIDEO,
         video(ModelName="Hunyuan", ModelVersion="1.5", Duration=5), MPV,
         V("Hunyuan", "1.5", duration=5), "video.error.duration_none"),
    Rule("15202", "Kling: 720P, 1080P", VIDEO, video(ModelVersion="2.6", **extra(Resolution="4K")),
         RES, V("Kling", "2.6", resolution="4K"), "video.error.resolution"),
    Rule("15202 (A6)", "Kling 3.0: 4K, never 2K", VIDEO, video(**extra(Resolution="2K")), RES,
         V("Kling", "3.0", resolution="2K"), "video.error.resolution"),
    Rule("15202", "Hailuo: 768P, 1080P", VIDEO,
         video(ModelName="Hailuo", ModelVersion="02", **extra(Resolution="720P")), RES,
         V("Hailuo", "02", resolution="720P"), "video.error.resolution"),
    Rule("15202", "Vidu: 540P, 720P, 1080P", VIDEO,
         video(ModelName="Vidu", ModelVersion="q3", **extra(Resolution="768P")), RES,
         V("Vidu", "q3", resolution="768P"), "video.error.resolution"),
    Rule("15202", "PixVerse: 540P, 720P, 1080P", VIDEO,
         video(ModelName="PixVerse", ModelVersion="v6", **extra(Resolution="4K")), RES,
         V("PixVerse", "v6", resolution="4K"), "video.error.resolution"),
    Rule("15202", "H2: 720P, 1080P", VIDEO,
         video(ModelName="H2", ModelVersion="1.0", **extra(Resolution="540P")), RES,
         V("H2", "1.0", resolution="540P"), "video.error.resolution"),
    Rule("15202", "no resolution for wand-vega-video", VIDEO,
         video(ModelName="wand-vega-video", ModelVersion="1.0-lite", **extra(Resolution="720P")),
         RES, V("wand-vega-video", "1.0-lite", resolution="720P"), "video.error.resolution_none"),
    Rule("15204", "Kling text-to-video: 16:9, 9:16, 1:1", VIDEO, video(**extra(AspectRatio="4:3")),
         MPV, V("Kling", "3.0", aspect="4:3"), "video.error.aspect"),
    Rule("15204", "Kling: text-to-video only, not reference images", VIDEO,
         video(ModelVersion="O1", ImageInfos=refs(1), **extra(AspectRatio="16:9")), MPV,
         V("Kling", "O1", aspect="16:9", references=(URL,)), "video.error.aspect_none"),
    Rule("15204", "no aspect ratio with a first frame", VIDEO,
         video(ImageUrl=FRAME, **extra(AspectRatio="16:9")), MPV,
         V("Kling", "3.0", aspect="16:9", first_frame=FRAME), "video.error.aspect_with_frame"),
    Rule("15204", "Hailuo: no aspect ratio", VIDEO,
         video(ModelName="Hailuo", ModelVersion="2.3", **extra(AspectRatio="16:9")), MPV,
         V("Hailuo", "2.3", aspect="16:9"), "video.error.aspect_none"),
    Rule("15204 (A7)", "Vidu: 4:3 and 3:4 on q2 only", VIDEO,
         video(ModelName="Vidu", ModelVersion="q2-pro", **extra(AspectRatio="4:3")), MPV,
         V("Vidu", "q2-pro", aspect="4:3"), "video.error.aspect"),
    Rule("15204", "PixVerse: 2:3, 3:2, 21:9 on v6 and c1 only", VIDEO,
         video(ModelName="PixVerse", ModelVersion="v5.6", **extra(AspectRatio="2:3")), MPV,
         V("PixVerse", "v5.6", aspect="2:3"), "video.error.aspect"),
    Rule("15204", "H2: nine ratios", VIDEO,
         video(ModelName="H2", ModelVersion="1.0", **extra(AspectRatio="2:3")), MPV,
         V("H2", "1.0", aspect="2:3"), "video.error.aspect"),
    Rule("24507", "last frame: not Hailuo 2.3", VIDEO,
         video(ModelName="Hailuo", ModelVersion="2.3", ImageUrl=FRAME, LastImageUrl=FRAME),
         NOT_SUPPORTED, V("Hailuo", "2.3", first_frame=FRAME, last_frame=FRAME),
         "video.error.last_frame"),
    Rule("24507", "last frame: not Vidu q3 nor H2", VIDEO,
         video(ModelName="H2", ModelVersion="1.0", ImageUrl=FRAME, LastImageUrl=FRAME),
         NOT_SUPPORTED, V("H2", "1.0", first_frame=FRAME, last_frame=FRAME),
         "video.error.last_frame"),
    Rule("24507", "Kling 1.6, 2.1, 2.5, 2.6: last frame at 1080P only", VIDEO,
         video(ModelVersion="2.5", ImageUrl=FRAME, LastImageUrl=FRAME, **extra(Resolution="720P")),
         RES, V("Kling", "2.5", resolution="720P", first_frame=FRAME, last_frame=FRAME),
         "video.error.last_frame_resolution"),
    Rule("24507", "a last frame needs a first frame", VIDEO, video(LastImageUrl=FRAME),
         "MissingParameter", V("Kling", "3.0", last_frame=FRAME), "video.error.last_without_first"),
    Rule("24505", "frames are jpeg or png", VIDEO, video(), "InvalidParameterValue.SrcFile",
         served=_webp(), content_type="image/webp", frame=True, key="video.error.frame_type"),
    Rule("15208", "sound: Vidu q3 family, PixVerse, Kling", VIDEO,
         video(ModelName="Vidu", ModelVersion="q2", **extra(EnableAudio=True)), NOT_SUPPORTED,
         V("Vidu", "q2", audio=True), "video.error.audio"),
    Rule("15208", "sound: not Hailuo nor H2", VIDEO,
         video(ModelName="H2", ModelVersion="1.0", **extra(EnableAudio=True)), NOT_SUPPORTED,
         V("H2", "1.0", audio=True), "video.error.audio"),
    Rule("15206", "LogoAdd: Hailuo, Kling, Vidu, H2", VIDEO,
         video(ModelName="PixVerse", ModelVersion="v6", **extra(LogoAdd=1)), NOT_SUPPORTED,
         V("PixVerse", "v6"), "video.error.mark", mark=True),
    Rule("15210", "OffPeak: Vidu only", VIDEO, video(**extra(OffPeak=True)), NOT_SUPPORTED,
         V("Kling", "3.0"), sends=lambda api: "OffPeak" not in api.get("ExtraParameters", {})),
    Rule("24509", "references: not Kling 2.1", VIDEO, video(ModelVersion="2.1", ImageInfos=refs(1)),
         NOT_SUPPORTED, V("Kling", "2.1", references=(URL,)), "video.error.references_unsupported"),
    Rule("24509", "references: not Vidu q3-pro", VIDEO,
         video(ModelName="Vidu", ModelVersion="q3-pro", ImageInfos=refs(1)), NOT_SUPPORTED,
         V("Vidu", "q3-pro", references=(URL,)), "video.error.references_unsupported"),
    Rule("24509", "PixVerse names each reference (Text)", VIDEO,
         video(ModelName="PixVerse", ModelVersion="v6", ImageInfos=refs(1)), "MissingParameter",
         V("PixVerse", "v6", references=(URL,)),
         sends=lambda api: all(i.get("Text") for i in api["ImageInfos"])),
    Rule("24511", "VideoInfos: Kling O1, 3.0-Omni, Vidu q2-pro, H2 only", VIDEO,
         video(VideoInfos=[{"VideoUrl": URL}]), NOT_SUPPORTED, V("Kling", "3.0"),
         sends=lambda api: "VideoInfos" not in api),
    Rule("24505, 24509", "frames and reference images not together (strict)", VIDEO,
         video(ModelVersion="O1", ImageUrl=FRAME, ImageInfos=refs(1)), "InvalidParameter",
         V("Kling", "O1", first_frame=FRAME, references=(URL,)),
         "video.error.frames_and_references"),
]
# ImageInfos counts (24509): Vidu 1-7, wand-vega-video 9, Kling 1.6 1-4, O1 and 3.0-Omni
# 1-7, PixVerse 1-7 (named), H2 1-9.
for model, version, most in [
    ("Vidu", "q3", 7), ("wand-vega-video", "1.0-lite", 9), ("Kling", "1.6", 4),
    ("Kling", "3.0-Omni", 7), ("PixVerse", "c1", 7), ("H2", "1.0", 9),
]:
    VIDEO_RULES.append(
        Rule("24509", f"{model} {version}: at most {most} references", VIDEO,
             video(ModelName=model, ModelVersion=version,
                   ImageInfos=refs(most + 1, named=model == "PixVerse")),
             TOO_MANY, V(model, version, references=(URL,) * (most + 1)),
             "video.error.references_count")
    )

# fmt: on
RULES = IMAGE_RULES + VIDEO_RULES


@pytest.fixture
async def served() -> AsyncIterator[tuple[str, dict[str, tuple[bytes, str]]]]:
    """A tiny web server serving whatever the test puts in the dict, by path."""
    files: dict[str, tuple[bytes, str]] = {}

    async def serve(request: web.Request) -> web.Response:
        body, content_type = files[request.path]
        return web.Response(body=body, content_type=content_type)

    app = web.Application()
    app.router.add_get("/{name}", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}", files
    await runner.cleanup()


def _bot_refusal(rule: Rule) -> Refusal | None:
    try:
        if rule.served is not None:
            check_reference_bytes(rule.served, rule.content_type, 10 * 2**20, frame=rule.frame)
        elif isinstance(rule.ask, ImageOptions):
            validate_image(rule.ask, TUNABLES, mark=rule.mark)
        else:
            assert isinstance(rule.ask, VideoOptions)
            validate_video(rule.ask, TUNABLES, mark=rule.mark)
    except Refusal as refusal:
        return refusal
    return None


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
async def test_each_documented_rule_is_kept_by_the_emulator_and_the_bot(rule: Rule, served) -> None:
    base, files = served
    params = dict(rule.params)
    if rule.served is not None:  # the violation is in the bytes a URL serves
        files["/ref"] = (rule.served, rule.content_type)
        key = "ImageUrl" if rule.action == VIDEO else "ImageInfos"
        params[key] = f"{base}/ref" if key == "ImageUrl" else [{"ImageUrl": f"{base}/ref"}]
    async with MpsEmulator(fast_config()) as emu, aiohttp.ClientSession() as session:
        reply = await call_api(session, emu.url, rule.action, params)
        assert reply.error_code == rule.code, reply.response
        assert emu.stats()["tasks_created"] == 0

    if rule.sends is not None:
        # The bot never sends the breaking value: what it does send keeps the rule.
        assert rule.ask is not None
        if isinstance(rule.ask, ImageOptions):
            api = validate_image(rule.ask, TUNABLES, mark=rule.mark).request.to_api()
        else:
            api = validate_video(rule.ask, TUNABLES, mark=rule.mark).request.to_api()
        assert rule.sends(api), api
        return
    refusal = _bot_refusal(rule)
    assert refusal is not None, f"the bot would send it: {rule.ask}"
    assert refusal.key == rule.key, refusal.key


def test_every_documented_line_is_in_the_table() -> None:
    lines = {part.split()[0] for rule in RULES for part in rule.line.split(", ")}
    documented = {
        "24240",
        "24242",
        "24244",
        "24246",
        "24252",
        "24254",
        "24258",
        "14753",
        "14755",
        "14757",
        "14759",
        "14891",
        "24493",
        "24495",
        "24499",
        "24505",
        "24507",
        "24509",
        "24511",
        "24517",
        "15202",
        "15204",
        "15206",
        "15208",
        "15210",
    }
    assert documented <= lines, documented - lines
