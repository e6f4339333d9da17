"""Check CreateAigcVideoTask requests as documented, model by model (see contract.py)."""

from __future__ import annotations

from typing import Any

from .config import EmulatorConfig
from .contract import (
    FRAME_BYTES,
    FRAME_FORMATS,
    KEEP_SOUND,
    REFER_TYPES,
    VIDEO_RULES,
    VIDEO_SCENES,
    VideoRule,
    video_rule,
)
from .protocol import ApiError, bad_value, missing, not_supported, too_many, type_error
from .tasks import VIDEO, TaskSpec
from .validation import (
    MAX_VIDEO_PROMPT,
    VIDEO_EXTRA_FIELDS,
    VIDEO_FIELDS,
    VIDEO_IMAGE_INFO_FIELDS,
    VIDEO_INFO_FIELDS,
    Reference,
    ValidatedCreate,
    additional,
    check_cos,
    check_fields,
    check_logo,
    check_url,
    image_infos,
    model_and_version,
    moderate,
    output_blocked,
)

RESOLUTION_HEIGHTS = {"540P": 540, "720P": 720, "768P": 768, "1080P": 1080, "2K": 1440, "4K": 2160}
# What a model that documents no Resolution or Duration is rendered at (nothing is checked).
RENDER_RESOLUTION = "720P"
RENDER_SECONDS = 5


def validate_video_create(params: dict[str, Any], config: EmulatorConfig) -> ValidatedCreate:
    check_fields(params, VIDEO_FIELDS, "", unknown_code="UnknownParameter")
    model, version = model_and_version(params, VIDEO_RULES)
    rule = video_rule(model, version)
    label = f"{model} {version}".strip()
    prompt = params.get("Prompt")
    first, last = params.get("ImageUrl"), params.get("LastImageUrl")
    infos = params.get("ImageInfos") or []
    videos = _videos(params.get("VideoInfos") or [], rule, label)
    if not prompt and not (first or infos or videos):
        raise missing("Prompt")
    if prompt and len(prompt) > MAX_VIDEO_PROMPT:
        raise bad_value("Prompt", f"at most {MAX_VIDEO_PROMPT} characters are allowed")
    references: list[Reference] = []
    for key, url in (("ImageUrl", first), ("LastImageUrl", last)):
        if url:
            check_url(url, key)
            references.append(Reference(url, FRAME_FORMATS, FRAME_BYTES))
    if infos and first:
        # Whether a first frame and reference images may go together is not documented.
        raise ApiError("InvalidParameter", "ImageUrl and ImageInfos cannot be given together.")
    references += _references(infos, rule, label, bool(videos))

    extra = params.get("ExtraParameters") or {}
    check_fields(extra, VIDEO_EXTRA_FIELDS, "ExtraParameters.")
    duration = _duration(params.get("Duration"), rule, label, bool(videos))
    resolution = _resolution(extra.get("Resolution"), rule, label)
    aspect = _aspect(extra.get("AspectRatio"), rule, label, first=bool(first), refs=bool(infos))
    if last:
        if not first:
            raise missing("ImageUrl")  # a last frame ends what a first frame starts
        if rule.last_frame is None:
            raise not_supported(f"LastImageUrl is not supported by {label}")
        if rule.last_frame != "*" and resolution != rule.last_frame:
            raise ApiError(
                "InvalidParameterValue.Resolution",
                f"{label} takes a LastImageUrl only at Resolution {rule.last_frame}",
            )
    if any(v.get("ReferType", "base") == "base" for v in videos) and (first or last):
        raise ApiError("InvalidParameter", "A video to edit (ReferType base) takes no frames.")
    audio = extra.get("EnableAudio") is True
    if audio and not rule.audio:
        raise not_supported(f"ExtraParameters.EnableAudio is not supported by {label}")
    if extra.get("LogoAdd") is not None:
        check_logo(extra)
        if not rule.logo:
            raise not_supported(f"ExtraParameters.LogoAdd is not supported by {label}")
    if extra.get("OffPeak") is not None and not rule.off_peak:
        raise not_supported(f"ExtraParameters.OffPeak is only supported by Vidu, not {label}")
    additional(params)
    scene = params.get("SceneType")
    if scene is not None:
        if scene not in VIDEO_SCENES:
            raise bad_value("SceneType", f"must be one of {', '.join(VIDEO_SCENES)}")
        if scene not in rule.scenes:
            raise not_supported(f"SceneType {scene} is not supported by {label}")
    check_cos(params)
    moderate(params, config)

    width, height = _frame_size(resolution or RENDER_RESOLUTION, aspect or "16:9", config)
    spec = TaskSpec(
        kind=VIDEO,
        model=model,
        version=version,
        output_count=1,
        width=width,
        height=height,
        extension="mp4",
        resolution=f"{width}*{height}",
        duration=duration or RENDER_SECONDS,
        audio=audio,
        logo=extra.get("LogoAdd") == 1,
    )
    return ValidatedCreate(spec, references, output_blocked(params, config))


def _videos(items: list[Any], rule: VideoRule, label: str) -> list[dict[str, Any]]:
    """VideoInfos (24511): only Kling O1, 3.0-Omni, Vidu q2-pro and H2 1.0."""
    if items and not rule.videos:
        raise not_supported(f"VideoInfos is not supported by {label}")
    out = []
    for i, item in enumerate(items):
        name = f"VideoInfos.{i}"
        if not isinstance(item, dict):
            raise type_error(name)
        check_fields(item, VIDEO_INFO_FIELDS, name + ".")
        if not item.get("VideoUrl"):
            raise missing(name + ".VideoUrl")
        check_url(item["VideoUrl"], name + ".VideoUrl")
        if item.get("ReferType") not in (None, *REFER_TYPES):
            raise bad_value(name + ".ReferType", "must be feature or base")
        if item.get("KeepOriginalSound") not in (None, *KEEP_SOUND):
            raise bad_value(name + ".KeepOriginalSound", "must be yes or no")
        out.append(item)
    return out


def _references(infos: list[Any], rule: VideoRule, label: str, with_video: bool) -> list[Reference]:
    """ImageInfos (24509): which versions, how many, and PixVerse's names."""
    items = image_infos(infos, VIDEO_IMAGE_INFO_FIELDS)
    if not items:
        return []
    least, most = rule.references_with_video if with_video else rule.references
    if not most:
        raise not_supported(f"ImageInfos is not supported by {label}")
    if not least <= len(items) <= most:
        raise too_many("ImageInfos", f"{label} takes {least}-{most} image(s)")
    for i, (_, item) in enumerate(items):
        if rule.named_references and not item.get("Text"):
            raise missing(f"ImageInfos.{i}.Text")
    return [Reference(url, FRAME_FORMATS, FRAME_BYTES) for url, _ in items]


def _duration(value: int | None, rule: VideoRule, label: str, with_video: bool) -> int | None:
    if value is None:
        return rule.default_duration
    allowed = rule.durations_with_video if with_video and rule.durations_with_video else None
    allowed = allowed or rule.durations
    if not allowed:
        raise bad_value("Duration", f"{label} documents no Duration")
    if value in allowed:
        return value
    if value > max(allowed):
        raise ApiError(
            "InvalidParameterValue.DurationTooLong", f"Duration: {label} allows {spans(allowed)} s"
        )
    raise bad_value("Duration", f"{label} allows {spans(allowed)} seconds")


def _resolution(value: str | None, rule: VideoRule, label: str) -> str | None:
    if value is None:
        return rule.default_resolution
    if value not in rule.resolutions:
        allowed = ", ".join(rule.resolutions) or "none"
        raise ApiError(
            "InvalidParameterValue.Resolution", f"ExtraParameters.Resolution: {label}: {allowed}"
        )
    return value


def _aspect(
    value: str | None, rule: VideoRule, label: str, *, first: bool, refs: bool
) -> str | None:
    """15204: text-to-video and reference-image video only, each model its own list."""
    if value is None:
        return None
    allowed = () if first else rule.reference_aspects if refs else rule.text_aspects
    if value not in allowed:
        mode = "first-frame" if first else "reference-image" if refs else "text-to-video"
        listed = ", ".join(allowed) or "none"
        raise bad_value("ExtraParameters.AspectRatio", f"{label} {mode}: {listed}")
    return value


def _frame_size(resolution: str, aspect: str, config: EmulatorConfig) -> tuple[int, int]:
    short = RESOLUTION_HEIGHTS[resolution]
    w, h = (int(part) for part in aspect.split(":"))
    long = short * max(w, h) / min(w, h)
    # H.264 in yuv420p needs even sides.
    scale = config.video_scale
    short_side, long_side = (max(16, 2 * round(side * scale / 2)) for side in (short, long))
    return (long_side, short_side) if w >= h else (short_side, long_side)


def spans(values: tuple[int, ...]) -> str:
    """(3, 4, 5, 10) -> "3-5, 10": the allowed values as a reader wants them."""
    parts: list[str] = []
    ordered = sorted(values)
    start = prev = ordered[0]
    for value in (*ordered[1:], None):
        if value is not None and value == prev + 1:
            prev = value
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if value is not None:
            start = prev = value
    return ", ".join(parts)
