"""Turn a member's use of an image tool into a ProcessImage request, before any money is spent.

A tool use is described without Discord: which tool, the image's URL (as the member sees
it, e.g. the attachment on the message) and its size when known. What MPS would refuse or
what would give a useless result is refused here, for free, with a localised `Refusal`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from ..config.tool_storage import ToolStorage
from ..mps.image_tasks import (
    EXPANSION_ASPECTS,
    EXPANSION_MAX_SIDE,
    UPSCALE_MAX_SIDE,
    Cutout,
    Expansion,
    ImageTool,
    ProcessImageRequest,
    SuperResolution,
    Understanding,
)
from ..refusal import Refusal


class Tool(StrEnum):
    UPSCALE_2X = "upscale_2x"
    UPSCALE_4X = "upscale_4x"
    ZOOM_OUT = "zoom_out"
    REMOVE_BACKGROUND = "remove_background"
    DESCRIBE = "describe"


UPSCALE_FACTORS = {Tool.UPSCALE_2X: 2, Tool.UPSCALE_4X: 4}
# `standard` is the documented default ("通用超分", general-purpose); `super` and `ultra`
# are the advanced versions, whose price and use the documentation does not set apart.
UPSCALE_TYPE = "standard"
# Zoom out picks the narrowest documented ratio at least this much wider than the image,
# so that the added canvas is worth a task: 1:1 → 4:3, 4:3 → 16:9, 16:9 → 21:9, 2:3 → 1:1.
ZOOM_OUT_WIDENING = 1.3
CUTOUT_MODEL = "cutout-1.0-flash"  # "质量-速度平衡": the model the documentation recommends
UNDERSTAND_MODEL = "understand-1.0-flash"
# PNG keeps the transparency; without EncodeConfig MPS keeps the input's format (a JPEG
# would lose it).
CUTOUT_FORMAT = "PNG"
# The instruction sent with Describe, in the member's language, so the answer can be run as
# an /imagine prompt as it is.
DESCRIBE_INSTRUCTIONS = {
    "en-US": (
        "Describe this image as a prompt that would generate it: one paragraph of at most "
        "80 words naming the subject, setting, style, lighting and colours. Answer with the "
        "prompt only."
    ),
    "zh-CN": (
        "把这张图片描述成可以用来生成它的提示词：一段不超过120字的中文，写出主体、场景、风格、光线和色彩。"
        "只回答提示词本身。"
    ),
}


@dataclass(frozen=True)
class ToolAsk:
    tool: Tool
    image_url: str
    width: int | None = None
    height: int | None = None
    # The member's language, which Describe answers in.
    locale: str = "en-US"

    @property
    def size_known(self) -> bool:
        return bool(self.width and self.height and self.width > 0 and self.height > 0)


@dataclass(frozen=True)
class ValidatedTool:
    ask: ToolAsk
    request: ProcessImageRequest
    # The size the result should have (width, height), when the input's size is known and
    # the tool makes an image.
    result_size: tuple[int, int] | None


def build_tool_request(ask: ToolAsk, storage: ToolStorage, key: str) -> ValidatedTool:
    """The request for one tool use; `key` (a job id) gives the result its own folder.

    Raises `Refusal` when the tool cannot give this image a result, `ValueError` when the
    caller passed something no member could have asked for (a URL that is not http(s))."""
    if not ask.image_url.startswith(("https://", "http://")):
        raise ValueError("an image tool's input must be an http(s) URL")
    tool: ImageTool
    result_size: tuple[int, int] | None = None
    encode_format: str | None = None
    if ask.tool in UPSCALE_FACTORS:
        factor = UPSCALE_FACTORS[ask.tool]
        result_size = _upscaled(ask, factor)
        tool = SuperResolution(factor=factor, type=UPSCALE_TYPE)
    elif ask.tool is Tool.ZOOM_OUT:
        tool = zoom_out(ask)
        assert tool.width is not None and tool.height is not None
        result_size = (tool.width, tool.height)
    elif ask.tool is Tool.REMOVE_BACKGROUND:
        tool = Cutout(model=CUTOUT_MODEL)
        encode_format = CUTOUT_FORMAT
        if ask.width and ask.height and ask.size_known:
            result_size = (ask.width, ask.height)
    else:
        instruction = DESCRIBE_INSTRUCTIONS.get(ask.locale, DESCRIBE_INSTRUCTIONS["en-US"])
        tool = Understanding(model=UNDERSTAND_MODEL, prompt=instruction)
    request = ProcessImageRequest(
        input_url=ask.image_url,
        output=storage.output,
        output_path=storage.result_path(key, ask.tool.value),
        tool=tool,
        encode_format=encode_format,
    )
    return ValidatedTool(ask, request, result_size)


def _upscaled(ask: ToolAsk, factor: int) -> tuple[int, int] | None:
    if not ask.size_known:
        return None  # MPS itself refuses a result over the limit, before any task is made
    assert ask.width is not None and ask.height is not None
    width, height = ask.width * factor, ask.height * factor
    if max(width, height) > UPSCALE_MAX_SIDE:
        raise Refusal(
            "tools.refused.too_large",
            factor=factor,
            width=ask.width,
            height=ask.height,
            result_width=width,
            result_height=height,
            limit=UPSCALE_MAX_SIDE,
        )
    return width, height


def zoom_out(ask: ToolAsk) -> Expansion:
    """The canvas: the image's height kept, its width taken to the next wider documented
    ratio, then scaled down as a whole if a side would exceed 2048 px."""
    if not ask.size_known:
        raise Refusal("tools.refused.size_unknown")
    assert ask.width is not None and ask.height is not None
    current = ask.width / ask.height
    wider = [r for r in EXPANSION_ASPECTS if _ratio(r) >= current * ZOOM_OUT_WIDENING]
    if not wider:
        raise Refusal("tools.refused.already_wide", aspect=_as_aspect(ask.width, ask.height))
    aspect = min(wider, key=_ratio)
    width, height = round(ask.height * _ratio(aspect)), ask.height
    scale = min(1.0, EXPANSION_MAX_SIDE / max(width, height))
    width, height = max(1, int(width * scale)), max(1, int(height * scale))
    return Expansion(aspect_ratio=aspect, width=width, height=height)


def _ratio(aspect: str) -> float:
    w, h = aspect.split(":")
    return int(w) / int(h)


def _as_aspect(width: int, height: int) -> str:
    ratio = Fraction(width, height).limit_denominator(32)
    return f"{ratio.numerator}:{ratio.denominator}"
