"""Check Create requests the way MPS does, and turn them into a TaskSpec.

Field names and types follow the SDK 3.1.194 request models. An unknown top-level field is
answered UnknownParameter (the gateway checks requests against the API schema), so a client
typo such as `Promt` fails loudly here instead of being silently ignored.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .config import EmulatorConfig
from .contract import IMAGE_FORMATS, IMAGE_RULES, IMAGE_SCENES, OUTPUT_FORMATS
from .protocol import ApiError, bad_value, missing, not_supported, too_many, type_error
from .tasks import IMAGE, TaskSpec

IMAGE_FIELDS: dict[str, type] = {
    "ModelName": str,
    "ModelVersion": str,
    "SceneType": str,
    "Prompt": str,
    "NegativePrompt": str,
    "EnhancePrompt": bool,
    "ImageInfos": list,
    "OutputImageCount": int,
    "ExtraParameters": dict,
    "AdditionalParameters": str,
    "StoreCosParam": dict,
    "Operator": str,
}
VIDEO_FIELDS: dict[str, type] = {
    "ModelName": str,
    "ModelVersion": str,
    "SceneType": str,
    "Prompt": str,
    "NegativePrompt": str,
    "EnhancePrompt": bool,
    "ImageUrl": str,
    "LastImageUrl": str,
    "ImageInfos": list,
    "VideoInfos": list,
    "AudioInfos": list,
    "SubjectInfos": list,
    "Duration": int,
    "ExtraParameters": dict,
    "StoreCosParam": dict,
    "AdditionalParameters": str,
    "Operator": str,
}
IMAGE_EXTRA_FIELDS: dict[str, type] = {
    "AspectRatio": str,
    "Resolution": str,
    "LogoAdd": int,
    "OutputFormat": str,
}
VIDEO_EXTRA_FIELDS: dict[str, type] = {
    "Resolution": str,
    "AspectRatio": str,
    "LogoAdd": int,
    "EnableAudio": bool,
    "OffPeak": bool,
    "EnableBgm": bool,
}
IMAGE_INFO_FIELDS: dict[str, type] = {"ImageUrl": str, "ReferenceType": str}
# PixVerse names its reference images in a Text field (24509) that AigcVideoReferenceImageInfo
# does not declare (A9): accepted here.
VIDEO_IMAGE_INFO_FIELDS: dict[str, type] = {"ImageUrl": str, "ReferenceType": str, "Text": str}
VIDEO_INFO_FIELDS: dict[str, type] = {"VideoUrl": str, "ReferType": str, "KeepOriginalSound": str}
COS_FIELDS: dict[str, type] = {"CosBucketName": str, "CosBucketRegion": str, "CosBucketPath": str}

MAX_IMAGE_PROMPT = 1000
MAX_VIDEO_PROMPT = 2000
LONG_SIDE = 1024
# The documentation's only example is {"size":"1024x1024"}: width, a lower-case x, height.
SIZE_PATTERN = re.compile(r"^(\d{1,5})x(\d{1,5})$")


@dataclass(frozen=True)
class Reference:
    """An image the service fetches at Create: which formats and how many bytes it takes."""

    url: str
    formats: tuple[str, ...]
    max_bytes: int


@dataclass(frozen=True)
class ValidatedCreate:
    spec: TaskSpec
    references: list[Reference]
    # Accepted, but its result will fail output moderation (config.banned_output_words).
    output_blocked: bool = False

    @property
    def reference_urls(self) -> list[str]:
        return [r.url for r in self.references]


def validate_image_create(params: dict[str, Any], config: EmulatorConfig) -> ValidatedCreate:
    check_fields(params, IMAGE_FIELDS, "", unknown_code="UnknownParameter")
    model, version = model_and_version(params, IMAGE_RULES)
    rule = IMAGE_RULES[model][version]
    label = f"{model} {version}"
    prompt = params.get("Prompt")
    infos = params.get("ImageInfos") or []
    if not prompt and not infos:
        raise missing("Prompt")
    if prompt and len(prompt) > MAX_IMAGE_PROMPT:
        raise bad_value("Prompt", f"at most {MAX_IMAGE_PROMPT} characters are allowed")
    items = image_infos(infos, IMAGE_INFO_FIELDS)
    if len(items) > rule.references:
        raise too_many("ImageInfos", f"{label} takes at most {rule.references} image(s)")
    count = params.get("OutputImageCount")
    if count is not None and count != 1:
        raise bad_value("OutputImageCount", "only 1 image per task is supported")

    extra = params.get("ExtraParameters") or {}
    check_fields(extra, IMAGE_EXTRA_FIELDS, "ExtraParameters.")
    aspect = extra.get("AspectRatio")
    if aspect is not None and aspect not in rule.aspects:
        raise bad_value("ExtraParameters.AspectRatio", f"{label} supports {_list(rule.aspects)}")
    resolution = extra.get("Resolution")
    if resolution is not None and resolution not in rule.resolutions:
        raise ApiError(
            "InvalidParameterValue.Resolution",
            f"ExtraParameters.Resolution: {label} supports {_list(rule.resolutions)}",
        )
    check_logo(extra)
    output_format = extra.get("OutputFormat")
    if output_format is not None and output_format not in OUTPUT_FORMATS:
        raise ApiError(
            "InvalidParameterValue.Format",
            f"ExtraParameters.OutputFormat must be one of {_list(OUTPUT_FORMATS)}",
        )

    size = _size(additional(params, allowed=("size",)), label, rule.size)
    scene = params.get("SceneType")
    if scene is not None:
        if scene not in IMAGE_SCENES:
            raise bad_value("SceneType", f"must be one of {_list(IMAGE_SCENES)}")
        if scene not in rule.scenes:
            raise not_supported(f"SceneType {scene} is not supported by {label}")
    check_cos(params)
    moderate(params, config)

    width, height = size or _from_aspect(aspect) or (LONG_SIDE, LONG_SIDE)
    spec = TaskSpec(
        kind=IMAGE,
        model=model,
        version=version,
        output_count=1,
        width=width,
        height=height,
        extension="jpg" if output_format == "jpeg" else "png",
        logo=extra.get("LogoAdd") == 1,
    )
    refs = [Reference(url, IMAGE_FORMATS, rule.reference_bytes) for url, _ in items]
    return ValidatedCreate(spec, refs, output_blocked(params, config))


def check_fields(
    obj: dict[str, Any],
    fields: dict[str, type],
    prefix: str,
    unknown_code: str = "InvalidParameter",
) -> None:
    for key, value in obj.items():
        name = prefix + key
        expected = fields.get(key)
        if expected is None:
            raise ApiError(unknown_code, f"The parameter `{name}` is not recognized.")
        if value is None:
            continue
        # bool is an int in Python, but not in the API's schema.
        if expected is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, expected)
        if not ok:
            raise type_error(name)


def model_and_version(params: dict[str, Any], rules: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """ModelName as listed, and ModelVersion among its versions (the first when left out;
    a model that lists no version, Mingmou, takes any)."""
    name = params.get("ModelName")
    if not name:
        raise missing("ModelName")  # no default model is documented (A1)
    if name not in rules:
        raise not_supported(f"The model `{name}` is not supported. Supported: {_list(rules)}.")
    versions = tuple(rules[name])
    version = params.get("ModelVersion") or (versions[0] if versions else "")
    if versions and version not in versions:
        raise not_supported(
            f"The version `{version}` of model `{name}` is not supported. "
            f"Supported: {_list(versions)}."
        )
    return name, version


def image_infos(infos: list[Any], fields: dict[str, type]) -> list[tuple[str, dict[str, Any]]]:
    """(URL, item) of each ImageInfos item, checked."""
    out = []
    for i, item in enumerate(infos):
        name = f"ImageInfos.{i}"
        if not isinstance(item, dict):
            raise type_error(name)
        # An item written with `Url` (as an outdated guide shows) fails here, as it does on MPS.
        check_fields(item, fields, name + ".")
        url = item.get("ImageUrl")
        if not url:
            raise missing(name + ".ImageUrl")
        check_url(url, name + ".ImageUrl")
        out.append((url, item))
    return out


def check_url(url: str, name: str) -> None:
    if not url.startswith(("http://", "https://")) or len(url) < len("http://x"):
        raise ApiError("InvalidParameter.InvalidUrl", f"`{name}` must be a public http(s) URL.")


def check_logo(extra: dict[str, Any]) -> None:
    logo = extra.get("LogoAdd")
    if logo is not None and logo not in (0, 1):
        raise bad_value("ExtraParameters.LogoAdd", "must be 0 or 1")


def check_cos(params: dict[str, Any]) -> None:
    """StoreCosParam: bucket and region are required when it is given (14891, 14893)."""
    cos = params.get("StoreCosParam")
    if cos is None:
        return
    check_fields(cos, COS_FIELDS, "StoreCosParam.")
    for key in ("CosBucketName", "CosBucketRegion"):
        if not cos.get(key):
            raise missing(f"StoreCosParam.{key}")


def additional(params: dict[str, Any], allowed: tuple[str, ...] | None = None) -> dict[str, Any]:
    """AdditionalParameters: a JSON object serialised to a string; `allowed` keys only."""
    raw = params.get("AdditionalParameters")
    if raw is None or raw == "":
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ApiError(
            "InvalidParameter.Value",
            "AdditionalParameters must be a JSON object serialised to a string.",
        )
    for key in value:
        if allowed is not None and key not in allowed:
            raise bad_value(f"AdditionalParameters.{key}", "is not a documented parameter")
    return value


def _size(extra: dict[str, Any], label: str, rule: str | None) -> tuple[int, int] | None:
    raw = extra.get("size")
    if raw is None:
        return None
    match = SIZE_PATTERN.match(raw) if isinstance(raw, str) else None
    if not match:
        raise bad_value("AdditionalParameters.size", 'must look like "1024x1024"')
    if rule is None:
        raise not_supported(f"AdditionalParameters.size is not supported by {label}")
    width, height = int(match[1]), int(match[2])
    if rule == "hunyuan":
        # 24258: "宽、高均在 [512, 2048] 像素范围内，宽高乘积 ≤ 1024x1024 像素"
        if not 512 <= width <= 2048:
            raise ApiError("InvalidParameterValue.Width", f"{label}: width must be 512-2048")
        if not 512 <= height <= 2048:
            raise ApiError("InvalidParameterValue.Height", f"{label}: height must be 512-2048")
        if width * height > 1024 * 1024:
            raise ApiError(
                "InvalidParameterValue.Resolution", f"{label}: at most 1024x1024 pixels in total"
            )
    elif not 512 * 512 <= width * height <= 2048 * 2048:
        # 24258: "[512x512=261632, 2048x2048=4194304]"; 512x512 is 262,144 (A3).
        raise ApiError(
            "InvalidParameterValue.Resolution",
            f"{label}: the total must be between 512x512 and 2048x2048 pixels",
        )
    return width, height


def _from_aspect(aspect: str | None) -> tuple[int, int] | None:
    if aspect is None:
        return None
    w, h = (int(part) for part in aspect.split(":"))
    if w >= h:
        return LONG_SIDE, round(LONG_SIDE * h / w)
    return round(LONG_SIDE * w / h), LONG_SIDE


def _list(values: Any) -> str:
    return ", ".join(values) if values else "none"


def _prompt_text(params: dict[str, Any]) -> str:
    return " ".join(params.get(k) or "" for k in ("Prompt", "NegativePrompt")).casefold()


def output_blocked(params: dict[str, Any], config: EmulatorConfig) -> bool:
    text = _prompt_text(params)
    return any(word and word.casefold() in text for word in config.banned_output_words)


def moderate(params: dict[str, Any], config: EmulatorConfig) -> None:
    text = _prompt_text(params)
    for word in config.banned_words:
        if word and word.casefold() in text:
            raise ApiError(
                "InvalidParameter.ViolationContent",
                "The input content was blocked by content moderation.",
            )
