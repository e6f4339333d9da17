"""Turn what a user asked for into a valid video request, before any money is spent.

The video counterpart of `images.py`, checked against the video catalogue of the
tunables (`video_models`). Every rejection is a `Refusal` naming a localised message.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ..config.tunables import EVERY, Tunables, VideoModelSpec, VideoVersion
from ..mps.models import ImageInfo, VideoTaskRequest
from ..refusal import Refusal
from .prompts import clean_prompt


@dataclass(frozen=True)
class VideoOptions:
    prompt: str | None
    model: str | None = None
    version: str | None = None
    duration: int | None = None
    resolution: str | None = None
    aspect: str | None = None
    first_frame: str | None = None  # an image URL
    last_frame: str | None = None
    audio: bool = False
    negative_prompt: str | None = None
    enhance_prompt: bool = False
    # Reference images (reference-image video, ImageInfos), image URLs.
    references: tuple[str, ...] = ()

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> VideoOptions:
        """The options a stored video job was asked with (see `ValidatedVideo.record`)."""
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in record.items() if k in known}
        values["references"] = tuple(values.get("references") or ())
        return cls(**values)


@dataclass(frozen=True)
class ValidatedVideo:
    spec: VideoModelSpec
    version: str
    duration: int | None  # None: the model documents none, so none is sent
    resolution: str | None
    aspect: str | None
    request: VideoTaskRequest

    def record(self, options: VideoOptions) -> dict[str, Any]:
        """What was asked, resolved to what was sent: a re-roll asks for exactly the same."""
        record = dataclasses.asdict(options)
        record["references"] = list(options.references)
        record.update(
            model=self.spec.name,
            version=self.version,
            duration=self.duration,
            resolution=self.resolution,
            aspect=self.aspect,
            prompt=self.request.prompt,
            negative_prompt=self.request.negative_prompt,
        )
        return record


def video_spec(tunables: Tunables, name: str | None) -> VideoModelSpec:
    name = name or tunables.video.default_model
    for spec in tunables.video_models.values():
        if spec.name.lower() == name.lower():
            return spec
    raise Refusal("video.error.model_unknown", model=name, allowed=", ".join(tunables.video_models))


def spans(values: tuple[int, ...]) -> str:
    """(3, 4, 5, 10) -> "3-5, 10"."""
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


def _duration(options: VideoOptions, label: str, rules: VideoVersion) -> int | None:
    if options.duration is None:
        return rules.default_duration
    if not rules.durations:
        raise Refusal("video.error.duration_none", model=label)
    if options.duration not in rules.durations:
        raise Refusal(
            "video.error.duration",
            model=label,
            duration=options.duration,
            allowed=spans(rules.durations),
        )
    return options.duration


def _aspect(options: VideoOptions, label: str, rules: VideoVersion) -> str | None:
    """AspectRatio (15204) only for text-to-video and reference-image video, as each
    model documents it; with a first frame the frame gives the shape."""
    aspect = options.aspect
    if aspect is None:
        return None
    if options.first_frame:
        raise Refusal("video.error.aspect_with_frame", model=label)
    allowed = rules.reference_aspects if options.references else rules.text_aspects
    if not allowed:
        raise Refusal("video.error.aspect_none", model=label)
    if aspect not in allowed:
        raise Refusal("video.error.aspect", model=label, aspect=aspect, allowed=", ".join(allowed))
    return aspect


def _resolution(options: VideoOptions, label: str, rules: VideoVersion) -> str | None:
    if options.resolution is None:
        return rules.default_resolution
    if not rules.resolutions:
        raise Refusal("video.error.resolution_none", model=label)
    if options.resolution not in rules.resolutions:
        raise Refusal(
            "video.error.resolution",
            model=label,
            resolution=options.resolution,
            allowed=", ".join(rules.resolutions),
        )
    return options.resolution


def _references(options: VideoOptions, label: str, rules: VideoVersion) -> None:
    count = len(options.references)
    if not count:
        return
    if options.first_frame or options.last_frame:
        raise Refusal("video.error.frames_and_references")
    if not rules.max_references:
        raise Refusal("video.error.references_unsupported", model=label)
    if not rules.min_references <= count <= rules.max_references:
        raise Refusal(
            "video.error.references_count",
            model=label,
            low=rules.min_references,
            high=rules.max_references,
        )


def validate_video(
    options: VideoOptions, tunables: Tunables, *, mark: bool = False
) -> ValidatedVideo:
    """Check an ask against the video catalogue; `mark` asks for the visible "AI
    generated" mark (LogoAdd), which only some models add (15206)."""
    spec = video_spec(tunables, options.model)
    label = spec.name
    version = options.version or spec.default_version
    if version not in spec.versions:
        raise Refusal(
            "video.error.version_unknown",
            model=label,
            version=version,
            allowed=", ".join(spec.versions),
        )
    rules = spec.version(version)
    label = f"{spec.name} {version}"

    prompt = clean_prompt(options.prompt)
    if prompt is None and not options.first_frame and not options.references:
        raise Refusal("video.error.prompt_missing")
    most = tunables.video.max_prompt_chars
    if prompt is not None and len(prompt) > most:
        raise Refusal("error.prompt_too_long", length=len(prompt), max=most)
    negative = clean_prompt(options.negative_prompt, negative=True)
    if negative is not None:
        if not spec.negative_prompt:
            raise Refusal("error.negative_unsupported", model=label)
        if len(negative) > most:
            raise Refusal("error.negative_too_long", length=len(negative), max=most)

    _references(options, label, rules)
    duration = _duration(options, label, rules)
    aspect = _aspect(options, label, rules)
    resolution = _resolution(options, label, rules)

    if options.last_frame:
        if not options.first_frame:
            raise Refusal("video.error.last_without_first")
        needed = rules.last_frame
        if needed is None:
            raise Refusal("video.error.last_frame", model=label)
        if needed != EVERY and resolution != needed:
            if options.resolution is not None:
                raise Refusal("video.error.last_frame_resolution", model=label, resolution=needed)
            resolution = needed  # not asked for: use the one a last frame needs

    if options.audio and not rules.audio:
        with_audio = [
            s.name
            for s in tunables.video_models.values()
            if any(v.audio for v in s.versions.values())
        ]
        raise Refusal("video.error.audio", model=label, allowed=", ".join(with_audio))
    if mark and not rules.logo:
        with_logo = [
            s.name
            for s in tunables.video_models.values()
            if any(v.logo for v in s.versions.values())
        ]
        raise Refusal("video.error.mark", model=label, allowed=", ".join(with_logo))

    named = spec.reference_names
    request = VideoTaskRequest(
        model_name=spec.name,
        model_version=version,
        prompt=prompt,
        negative_prompt=negative,
        enhance_prompt=True if options.enhance_prompt else None,
        image_url=options.first_frame or None,
        last_image_url=options.last_frame or None,
        image_infos=tuple(
            ImageInfo(url, text=f"image{i + 1}" if named else None)
            for i, url in enumerate(options.references)
        ),
        duration=duration,
        resolution=resolution,
        aspect_ratio=aspect,
        enable_audio=True if options.audio else None,
        logo_add=1 if mark else None,
    )
    return ValidatedVideo(spec, version, duration, resolution, aspect, request)
