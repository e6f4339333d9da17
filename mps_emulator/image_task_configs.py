"""Check the configs of ProcessImage's ImageTask, one tool each (SDK 3.1.194 models).

The strict readings taken where the documentation is silent are listed in process_image.py.
"""

from __future__ import annotations

import json
from typing import Any

from .protocol import ApiError, missing, type_error

NUMBER = (int, float)
ENHANCE_FIELDS = dict.fromkeys(
    (
        "SuperResolution",
        "AdvancedSuperResolutionConfig",
        "Denoise",
        "ImageQualityEnhance",
        "ColorEnhance",
        "SharpEnhance",
        "FaceEnhance",
        "LowLightEnhance",
    ),
    dict,
)
ADVANCED_SR_FIELDS: dict[str, Any] = {
    "Switch": str,
    "Type": str,
    "Mode": str,
    "Percent": NUMBER,
    "Width": int,
    "Height": int,
    "LongSide": int,
    "ShortSide": int,
}
SR_FIELDS = {"Switch": str, "Type": str, "Size": int}
EXPANSION_FIELDS = {"Switch": str, "AspectRatio": str, "Width": int, "Height": int}
CUTOUT_FIELDS = {"Switch": str, "Type": str, "PatternConfig": dict, "Model": str}
PATTERN_FIELDS: dict[str, Any] = {
    "TransparencyThreshold": int,
    "OpaqueThreshold": int,
    "EdgeSamplingStep": int,
    "EdgeExpansionStep": int,
    "EdgeBlendingIntensity": NUMBER,
}
UNDERSTAND_FIELDS = {"Model": str, "Prompt": str, "Parameters": str}
ENCODE_FIELDS = {"Format": str, "Quality": int}

SWITCHES = ("ON", "OFF")
ADVANCED_SR_TYPES = ("standard", "super", "ultra")
SR_MODES = ("aspect", "fixed", "percent")
CUTOUT_TYPES = ("foreground", "pattern")
CUTOUT_MODELS = ("cutout-1.0-lite", "cutout-1.0-flash")
UNDERSTAND_MODELS = ("understand-1.0-lite", "understand-1.0-flash", "understand-1.0-pro")
ENCODE_FORMATS = ("JPEG", "PNG", "BMP", "WebP")
EXPANSION_ASPECTS = ("1:1", "3:2", "2:3", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
UPSCALE_MAX_SIDE = 4096
EXPANSION_MAX_SIDE = 2048
# The tools a job runs; "encode" is a plain format conversion (EncodeConfig alone).
SUPER_RESOLUTION = "super_resolution"
EXPANSION = "expansion"
CUTOUT = "cutout"
UNDERSTAND = "understand"
ENCODE = "encode"


def check_fields(
    obj: dict[str, Any], fields: dict[str, Any], prefix: str, unknown_code: str = "InvalidParameter"
) -> None:
    for key, value in obj.items():
        expected = fields.get(key)
        if expected is None:
            raise ApiError(unknown_code, f"The parameter `{prefix}{key}` is not recognized.")
        if value is None:
            continue
        # bool is an int in Python, but not in the API's schema.
        if isinstance(value, bool) and expected is not bool:
            raise type_error(prefix + key)
        if not isinstance(value, expected):
            raise type_error(prefix + key)


def not_emulated(name: str) -> ApiError:
    return ApiError("UnsupportedOperation", f"`{name}` is not emulated.")


def _switch(config: dict[str, Any], name: str) -> bool:
    value = config.get("Switch")
    if value is not None and value not in SWITCHES:
        raise ApiError("InvalidParameterValue.Switch", f"{name}.Switch must be ON or OFF.")
    return value != "OFF"


def one_of(value: str | None, allowed: tuple[str, ...], name: str, code: str = "") -> str | None:
    if value is not None and value not in allowed:
        code = code or (
            "InvalidParameterValue.Format" if name.endswith("Format") else "InvalidParameterValue"
        )
        raise ApiError(code, f"{name} must be one of {', '.join(allowed)}.")
    return value


def enabled_tools(task: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    tools: list[tuple[str, dict[str, Any]]] = []
    enhance = task.get("EnhanceConfig") or {}
    check_fields(enhance, ENHANCE_FIELDS, "ImageTask.EnhanceConfig.")
    for name, value in enhance.items():
        if value is not None and name not in ("SuperResolution", "AdvancedSuperResolutionConfig"):
            raise not_emulated(f"ImageTask.EnhanceConfig.{name}")
    if enhance.get("AdvancedSuperResolutionConfig") is not None:
        config = enhance["AdvancedSuperResolutionConfig"]
        if _check_advanced_sr(config):
            tools.append((SUPER_RESOLUTION, config))
    if enhance.get("SuperResolution") is not None:
        config = enhance["SuperResolution"]
        prefix = "ImageTask.EnhanceConfig.SuperResolution"
        check_fields(config, SR_FIELDS, prefix + ".")
        one_of(config.get("Type"), ("lq", "hq"), prefix + ".Type", "InvalidParameterValue.Type")
        if config.get("Size", 2) != 2:
            raise ApiError("InvalidParameterValue", "SuperResolution.Size: only 2 is supported.")
        if _switch(config, prefix):
            tools.append((SUPER_RESOLUTION, {"Mode": "percent", "Percent": 2}))
    if task.get("AiExpansionConfig") is not None:
        config = task["AiExpansionConfig"]
        if _check_expansion(config):
            tools.append((EXPANSION, config))
    if task.get("AiCutoutConfig") is not None:
        config = task["AiCutoutConfig"]
        if _check_cutout(config):
            tools.append((CUTOUT, config))
    if task.get("UnderstandImageConfig") is not None:
        config = task["UnderstandImageConfig"]
        _check_understand(config)
        tools.append((UNDERSTAND, config))
    return tools


def _check_advanced_sr(config: dict[str, Any]) -> bool:
    prefix = "ImageTask.EnhanceConfig.AdvancedSuperResolutionConfig"
    check_fields(config, ADVANCED_SR_FIELDS, prefix + ".")
    one_of(config.get("Type"), ADVANCED_SR_TYPES, prefix + ".Type", "InvalidParameterValue.Type")
    mode = one_of(config.get("Mode"), SR_MODES, prefix + ".Mode") or "percent"
    for name, code in (
        ("Width", "InvalidParameterValue.Width"),
        ("Height", "InvalidParameterValue.Height"),
        ("LongSide", "InvalidParameterValue"),
        ("ShortSide", "InvalidParameterValue"),
    ):
        value = config.get(name)
        if value is not None and not 1 <= value <= UPSCALE_MAX_SIDE:
            raise ApiError(code, f"{prefix}.{name} must be 1-{UPSCALE_MAX_SIDE}.")
    if mode == "percent":
        percent = config.get("Percent")
        if percent is None:
            raise missing(prefix + ".Percent")
        if percent <= 0:
            raise ApiError("InvalidParameterValue", f"{prefix}.Percent must be above 0.")
    elif mode == "fixed":
        pairs = (("Width", "Height"), ("LongSide", "ShortSide"))
        if not any(config.get(a) and config.get(b) for a, b in pairs):
            raise missing(prefix + ".Width")
    elif not any(config.get(n) for n in ("Width", "Height", "LongSide", "ShortSide")):
        raise missing(prefix + ".Width")
    return _switch(config, prefix)


def _check_expansion(config: dict[str, Any]) -> bool:
    prefix = "ImageTask.AiExpansionConfig"
    check_fields(config, EXPANSION_FIELDS, prefix + ".")
    aspect = one_of(config.get("AspectRatio"), EXPANSION_ASPECTS, prefix + ".AspectRatio")
    width, height = config.get("Width") or 0, config.get("Height") or 0
    for name, value in (("Width", width), ("Height", height)):
        if not 0 <= value <= EXPANSION_MAX_SIDE:
            raise ApiError(
                f"InvalidParameterValue.{name}", f"{prefix}.{name} must be 0-{EXPANSION_MAX_SIDE}."
            )
    if aspect is None and not (width and height):
        raise missing(prefix + ".AspectRatio")
    if aspect and width and height:
        w, h = (int(part) for part in aspect.split(":"))
        if abs(width / height - w / h) > 0.02 * (w / h):
            raise ApiError(
                "InvalidParameterValue",
                f"{prefix}: Width x Height {width}x{height} is not {aspect}; which one wins is "
                "not documented.",
            )
    return _switch(config, prefix)


def _check_cutout(config: dict[str, Any]) -> bool:
    prefix = "ImageTask.AiCutoutConfig"
    check_fields(config, CUTOUT_FIELDS, prefix + ".")
    one_of(config.get("Type"), CUTOUT_TYPES, prefix + ".Type", "InvalidParameterValue.Type")
    model = config.get("Model")
    if not model:
        raise missing(prefix + ".Model")
    one_of(model, CUTOUT_MODELS, prefix + ".Model", "InvalidParameter.ModelNotSupported")
    pattern = config.get("PatternConfig") or {}
    check_fields(pattern, PATTERN_FIELDS, prefix + ".PatternConfig.")
    low, high = pattern.get("TransparencyThreshold", 30), pattern.get("OpaqueThreshold", 127)
    sampling = pattern.get("EdgeSamplingStep", 5)
    blending = pattern.get("EdgeBlendingIntensity", 0.5)
    if not (0 <= low <= 255 and 0 <= high <= 255 and high > low):
        raise ApiError(
            "InvalidParameterValue",
            "PatternConfig thresholds must be 0-255, OpaqueThreshold above TransparencyThreshold.",
        )
    if not 1 <= sampling <= 10 or not 0 <= blending <= 1 or pattern.get("EdgeExpansionStep", 5) < 0:
        raise ApiError("InvalidParameterValue", "PatternConfig: a value is out of its range.")
    return _switch(config, prefix)


def _check_understand(config: dict[str, Any]) -> None:
    prefix = "ImageTask.UnderstandImageConfig"
    check_fields(config, UNDERSTAND_FIELDS, prefix + ".")
    model = config.get("Model")
    if not model:
        raise missing(prefix + ".Model")
    one_of(model, UNDERSTAND_MODELS, prefix + ".Model", "InvalidParameter.ModelNotSupported")
    raw = config.get("Parameters")
    if raw:
        try:
            value = json.loads(raw)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise ApiError("InvalidParameter.Value", f"{prefix}.Parameters: JSON parse failed.")
