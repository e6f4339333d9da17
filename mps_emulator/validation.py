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

from .config import DEFAULT_VIDEO_RESOLUTIONS, EmulatorConfig
from .protocol import ApiError, bad_value, missing, type_error
from .tasks import IMAGE, VIDEO, TaskSpec

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
# PixVerse names its reference images through a Text field (SDK field documentation).
VIDEO_IMAGE_INFO_FIELDS: dict[str, type] = {"ImageUrl": str, "ReferenceType": str, "Text": str}
COS_FIELDS: dict[str, type] = {"CosBucketName": str, "CosBucketRegion": str, "CosBucketPath": str}

ASPECT_RATIOS = ("16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3", "21:9")
IMAGE_RESOLUTIONS = ("720P", "1080P", "1K", "2K", "4K")
VIDEO_RESOLUTION_HEIGHTS = {
    "480P": 480,
    "540P": 540,
    "720P": 720,
    "768P": 768,
    "1080P": 1080,
    "2K": 1440,
    "4K": 2160,
}
VIDEO_SCENE_TYPES = (
    "motion_control",
    "avatar_i2v",
    "lip_sync",
    "land2port",
    "template_effect",
    "3d_scene",
)
MAX_IMAGE_PROMPT = 1000
MAX_VIDEO_PROMPT = 2000
MAX_OUTPUT_IMAGES = 4
LONG_SIDE = 1024
SIZE_PATTERN = re.compile(r"^\s*(\d{1,5})\s*[x*]\s*(\d{1,5})\s*$")


@dataclass(frozen=True)
class ValidatedCreate:
    spec: TaskSpec
    reference_urls: list[str]
    # Accepted, but its result will fail output moderation (config.banned_output_words).
    output_blocked: bool = False


def validate_image_create(params: dict[str, Any], config: EmulatorConfig) -> ValidatedCreate:
    _check_fields(params, IMAGE_FIELDS, "", unknown_code="UnknownParameter")
    model, version = _model(params, config.image_models)
    prompt = params.get("Prompt")
    infos = params.get("ImageInfos") or []
    if not prompt and not infos:
        raise missing("Prompt")
    if prompt and len(prompt) > MAX_IMAGE_PROMPT:
        raise bad_value("Prompt", f"at most {MAX_IMAGE_PROMPT} characters are allowed")
    urls = _image_infos(infos, IMAGE_INFO_FIELDS)
    most = config.reference_limit(model, version)
    if len(urls) > most:
        raise bad_value("ImageInfos", f"{model} {version} accepts at most {most} image(s)")

    count = params.get("OutputImageCount")
    count = 1 if count is None else count
    if not 1 <= count <= MAX_OUTPUT_IMAGES:
        raise bad_value("OutputImageCount", f"must be between 1 and {MAX_OUTPUT_IMAGES}")

    extra = params.get("ExtraParameters") or {}
    _check_fields(extra, IMAGE_EXTRA_FIELDS, "ExtraParameters.")
    aspect = _one_of(extra.get("AspectRatio"), ASPECT_RATIOS, "ExtraParameters.AspectRatio")
    _one_of(extra.get("Resolution"), IMAGE_RESOLUTIONS, "ExtraParameters.Resolution")
    _check_logo(extra)
    output_format = (extra.get("OutputFormat") or "png").lower()
    if output_format not in ("png", "jpeg"):
        raise bad_value("ExtraParameters.OutputFormat", "must be jpeg or png")

    additional = _additional(params)
    size = _size(additional, model, version)
    scene = params.get("SceneType")
    if scene is not None and (scene != "3d_panorama" or model != "Hunyuan"):
        raise bad_value("SceneType", "only 3d_panorama, and only with Hunyuan, is supported")
    _check_optional_cos(params)
    _moderate(params, config)

    width, height = size or _from_aspect(aspect) or (LONG_SIDE, LONG_SIDE)
    spec = TaskSpec(
        kind=IMAGE,
        model=model,
        version=version,
        output_count=count,
        width=width,
        height=height,
        extension="jpg" if output_format == "jpeg" else "png",
    )
    return ValidatedCreate(spec, urls, _output_blocked(params, config))


def validate_video_create(params: dict[str, Any], config: EmulatorConfig) -> ValidatedCreate:
    _check_fields(params, VIDEO_FIELDS, "", unknown_code="UnknownParameter")
    model, version = _model(params, config.video_models)
    prompt = params.get("Prompt")
    infos = params.get("ImageInfos") or []
    has_media = bool(params.get("ImageUrl") or infos or params.get("VideoInfos"))
    if not prompt and not has_media:
        raise missing("Prompt")
    if prompt and len(prompt) > MAX_VIDEO_PROMPT:
        raise bad_value("Prompt", f"at most {MAX_VIDEO_PROMPT} characters are allowed")
    urls = []
    for key in ("ImageUrl", "LastImageUrl"):
        if params.get(key):
            _check_url(params[key], key)
            urls.append(params[key])
    listed = _image_infos(infos, VIDEO_IMAGE_INFO_FIELDS)
    if len(listed) > config.max_video_reference_images:
        raise bad_value(
            "ImageInfos", f"at most {config.max_video_reference_images} image(s) are accepted"
        )
    urls += listed

    default_duration, durations = config.video_duration_rule(model, version)
    duration = params.get("Duration")
    duration = default_duration if duration is None else duration
    if duration not in durations:
        raise bad_value("Duration", f"{model} {version} supports {_spans(durations)} seconds")
    extra = params.get("ExtraParameters") or {}
    _check_fields(extra, VIDEO_EXTRA_FIELDS, "ExtraParameters.")
    aspect = _one_of(extra.get("AspectRatio"), ASPECT_RATIOS, "ExtraParameters.AspectRatio")
    resolution = extra.get("Resolution") or DEFAULT_VIDEO_RESOLUTIONS.get(model, "720P")
    _one_of(resolution, tuple(VIDEO_RESOLUTION_HEIGHTS), "ExtraParameters.Resolution")
    _check_logo(extra)
    if params.get("LastImageUrl") and not config.last_frame_ok(model, version, resolution):
        raise bad_value("LastImageUrl", f"{model} {version} at {resolution} takes no last frame")
    audio = bool(extra.get("EnableAudio"))
    if audio and not config.supports_audio(model, version):
        raise bad_value("ExtraParameters.EnableAudio", f"{model} {version} cannot generate audio")
    _additional(params)
    _one_of(params.get("SceneType"), VIDEO_SCENE_TYPES, "SceneType")
    _check_optional_cos(params)
    _moderate(params, config)

    width, height = _video_size(resolution, aspect or "16:9", config.video_scale)
    spec = TaskSpec(
        kind=VIDEO,
        model=model,
        version=version,
        output_count=1,
        width=width,
        height=height,
        extension="mp4",
        resolution=f"{width}*{height}",
        duration=duration,
        audio=audio,
    )
    return ValidatedCreate(spec, urls, _output_blocked(params, config))


def _check_fields(
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


def _model(params: dict[str, Any], catalogue: dict[str, tuple[str, ...]]) -> tuple[str, str]:
    name = params.get("ModelName")
    if not name:
        raise missing("ModelName")
    if name not in catalogue:
        raise ApiError(
            "InvalidParameter.ModelNotSupported",
            f"The model `{name}` is not supported. Supported: {', '.join(catalogue)}.",
        )
    versions = catalogue[name]
    version = params.get("ModelVersion") or (versions[0] if versions else "")
    if versions and version not in versions:
        raise ApiError(
            "InvalidParameter.ModelNotSupported",
            f"The version `{version}` of model `{name}` is not supported. "
            f"Supported: {', '.join(versions)}.",
        )
    return name, version


def _image_infos(infos: list[Any], fields: dict[str, type]) -> list[str]:
    urls = []
    for i, item in enumerate(infos):
        name = f"ImageInfos.{i}"
        if not isinstance(item, dict):
            raise type_error(name)
        # An item written with `Url` (as an outdated guide shows) fails here, as it does on MPS.
        _check_fields(item, fields, name + ".")
        url = item.get("ImageUrl")
        if not url:
            raise missing(name + ".ImageUrl")
        _check_url(url, name + ".ImageUrl")
        urls.append(url)
    return urls


def _one_of(value: str | None, allowed: tuple[str, ...], name: str) -> str | None:
    if value is not None and value not in allowed:
        raise bad_value(name, f"must be one of {', '.join(allowed)}")
    return value


def _check_url(url: str, name: str) -> None:
    if not url.startswith(("http://", "https://")):
        raise bad_value(name, "must be a public http(s) URL")


def _check_logo(extra: dict[str, Any]) -> None:
    logo = extra.get("LogoAdd")
    if logo is not None and logo not in (0, 1):
        raise bad_value("ExtraParameters.LogoAdd", "must be 0 or 1")


def _check_optional_cos(params: dict[str, Any]) -> None:
    # Accepted for fidelity of the schema; results are still served by the emulator itself.
    _check_fields(params.get("StoreCosParam") or {}, COS_FIELDS, "StoreCosParam.")


def _additional(params: dict[str, Any]) -> dict[str, Any]:
    raw = params.get("AdditionalParameters")
    if raw is None or raw == "":
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise bad_value("AdditionalParameters", "must be a JSON object serialised to a string")
    return value


def _size(additional: dict[str, Any], model: str, version: str) -> tuple[int, int] | None:
    raw = additional.get("size")
    if raw is None:
        return None
    match = SIZE_PATTERN.match(raw) if isinstance(raw, str) else None
    if not match:
        raise bad_value("AdditionalParameters.size", 'must look like "1024x1024"')
    width, height = int(match[1]), int(match[2])
    if model == "Hunyuan" and version == "3.0":
        if not (512 <= width <= 2048 and 512 <= height <= 2048) or width * height > 1024 * 1024:
            raise bad_value(
                "AdditionalParameters.size",
                "Hunyuan 3.0 needs each side in [512, 2048] and width*height <= 1024*1024",
            )
    elif model == "Qwen" and version == "0925":
        if not 512 * 512 <= width * height <= 2048 * 2048:
            raise bad_value(
                "AdditionalParameters.size", "Qwen 0925 needs total pixels in [512*512, 2048*2048]"
            )
    elif not (64 <= width <= 4096 and 64 <= height <= 4096):
        raise bad_value("AdditionalParameters.size", "each side must be in [64, 4096]")
    return width, height


def _from_aspect(aspect: str | None) -> tuple[int, int] | None:
    if aspect is None:
        return None
    w, h = (int(part) for part in aspect.split(":"))
    if w >= h:
        return LONG_SIDE, round(LONG_SIDE * h / w)
    return round(LONG_SIDE * w / h), LONG_SIDE


def _video_size(resolution: str, aspect: str, scale: float) -> tuple[int, int]:
    short = VIDEO_RESOLUTION_HEIGHTS[resolution]
    w, h = (int(part) for part in aspect.split(":"))
    long = short * max(w, h) / min(w, h)
    # H.264 in yuv420p needs even sides.
    short_side, long_side = (max(16, 2 * round(side * scale / 2)) for side in (short, long))
    return (long_side, short_side) if w >= h else (short_side, long_side)


def _spans(values: tuple[int, ...]) -> str:
    """(3, 4, 5, 10) -> "3-5, 10": the allowed values as a reader wants them."""
    parts: list[str] = []
    start = prev = values[0]
    for value in (*values[1:], None):
        if value is not None and value == prev + 1:
            prev = value
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if value is not None:
            start = prev = value
    return ", ".join(parts)


def _prompt_text(params: dict[str, Any]) -> str:
    return " ".join(params.get(k) or "" for k in ("Prompt", "NegativePrompt")).casefold()


def _output_blocked(params: dict[str, Any], config: EmulatorConfig) -> bool:
    text = _prompt_text(params)
    return any(word and word.casefold() in text for word in config.banned_output_words)


def _moderate(params: dict[str, Any], config: EmulatorConfig) -> None:
    text = _prompt_text(params)
    for word in config.banned_words:
        if word and word.casefold() in text:
            raise ApiError(
                "InvalidParameter.ViolationContent",
                "The input content was blocked by content moderation.",
            )
