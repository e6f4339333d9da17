"""Typed requests for ProcessImage, the one MPS action behind the image tools.

Field names are the API's (SDK 3.1.194 `ProcessImageRequest`, `ImageTaskInput`). The input
is always a URL: `MediaInputInfo.Type = "URL"` has no storage of its own, so the output
storage (`OutputStorage`, the operator's COS bucket) and an absolute `OutputPath` are always
sent; MPS would otherwise have nowhere to write the result (see README, "Image tools").

What `DescribeImageTaskDetail` answers is read by `image_task_state.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PROCESS_IMAGE = "ProcessImage"
DESCRIBE_IMAGE_TASK = "DescribeImageTaskDetail"

# The documented limits (SDK 3.1.194 models.py): AdvancedSuperResolutionConfig.Width/
# Height/LongSide/ShortSide "不能超过4096"; AiExpansionConfig.Width/Height "[0, 2048]".
UPSCALE_MAX_SIDE = 4096
EXPANSION_MAX_SIDE = 2048
# ImageProcessOutputConfig.AspectRatio's list, the only list of ratios the expansion
# documents (AiExpansionConfig.AspectRatio itself only gives "16:9" as an example).
EXPANSION_ASPECTS = ("1:1", "3:2", "2:3", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
SUPER_RESOLUTION_TYPES = ("standard", "super", "ultra")
CUTOUT_MODELS = ("cutout-1.0-lite", "cutout-1.0-flash")
UNDERSTAND_MODELS = ("understand-1.0-lite", "understand-1.0-flash", "understand-1.0-pro")
ENCODE_FORMATS = ("JPEG", "PNG", "BMP", "WebP")


@dataclass(frozen=True)
class CosOutput:
    """Where MPS writes results: a COS bucket (`name-appid`) in its region."""

    bucket: str
    region: str

    def to_api(self) -> dict[str, Any]:
        return {"Type": "COS", "CosOutputStorage": {"Bucket": self.bucket, "Region": self.region}}


@dataclass(frozen=True)
class SuperResolution:
    """EnhanceConfig.AdvancedSuperResolutionConfig in `percent` mode: each side × factor."""

    factor: float
    type: str = "standard"

    def image_task(self) -> dict[str, Any]:
        config = {"Switch": "ON", "Type": self.type, "Mode": "percent", "Percent": self.factor}
        return {"EnhanceConfig": {"AdvancedSuperResolutionConfig": config}}


@dataclass(frozen=True)
class Expansion:
    """AiExpansionConfig: the canvas widened to `aspect_ratio`, `width`×`height` if given."""

    aspect_ratio: str
    width: int | None = None
    height: int | None = None

    def image_task(self) -> dict[str, Any]:
        config: dict[str, Any] = {"Switch": "ON", "AspectRatio": self.aspect_ratio}
        if self.width is not None and self.height is not None:
            config.update(Width=self.width, Height=self.height)
        return {"AiExpansionConfig": config}


@dataclass(frozen=True)
class Cutout:
    """AiCutoutConfig: the foreground kept, the background made transparent."""

    model: str = "cutout-1.0-flash"
    type: str = "foreground"

    def image_task(self) -> dict[str, Any]:
        return {"AiCutoutConfig": {"Switch": "ON", "Type": self.type, "Model": self.model}}


@dataclass(frozen=True)
class Understanding:
    """UnderstandImageConfig: a text about the image, answered in Output.Content."""

    model: str = "understand-1.0-flash"
    prompt: str | None = None

    def image_task(self) -> dict[str, Any]:
        config = {"Model": self.model}
        if self.prompt:
            config["Prompt"] = self.prompt
        return {"UnderstandImageConfig": config}


ImageTool = SuperResolution | Expansion | Cutout | Understanding


@dataclass(frozen=True)
class ProcessImageRequest:
    input_url: str
    output: CosOutput
    # Absolute, ending in ".{format}" as the API requires of a custom path; MPS puts the
    # output format's extension in place of {format}.
    output_path: str
    tool: ImageTool
    # ImageEncodeConfig.Format; None keeps the input's format ("缺省为原图格式").
    encode_format: str | None = None

    def to_api(self) -> dict[str, Any]:
        task = self.tool.image_task()
        if self.encode_format is not None:
            task["EncodeConfig"] = {"Format": self.encode_format}
        return {
            "InputInfo": {"Type": "URL", "UrlInputInfo": {"Url": self.input_url}},
            "OutputStorage": self.output.to_api(),
            "OutputPath": self.output_path,
            "ImageTask": task,
        }
