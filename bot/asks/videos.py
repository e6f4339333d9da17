"""Turn what a user asked for into a valid video request, before any money is spent.

The video counterpart of `images.py`, checked against the video catalogue of the
tunables (`video_models`). Every rejection is a `Refusal` naming a localised message.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ..config.tunables import EVERY, Tunables, VideoModelSpec
from ..mps.models import VideoTaskRequest
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

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> VideoOptions:
        """The options a stored video job was asked with (see `ValidatedVideo.record`)."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in record.items() if k in known})


@dataclass(frozen=True)
class ValidatedVideo:
    spec: VideoModelSpec
    version: str
    duration: int
    resolution: str
    aspect: str | None
    request: VideoTaskRequest

    def record(self, options: VideoOptions) -> dict[str, Any]:
        """What was asked, resolved to what was sent: a re-roll asks for exactly the same."""
        record = dataclasses.asdict(options)
        record.update(
            model=self.spec.name,
            version=self.version,
            duration=self.duration,
            resolution=self.resolution,
            aspect=self.aspect,
            prompt=self.request.prompt,
        )
        return record


def video_spec(tunables: Tunables, name: str | None) -> VideoModelSpec:
    name = name or tunables.video.default_model
    for spec in tunables.video_models.values():
        if spec.name.lower() == name.lower():
            return spec
    raise Refusal("video.error.model_unknown", model=name, allowed=", ".join(tunables.video_models))


def _spans(values: tuple[int, ...]) -> str:
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


def validate_video(options: VideoOptions, tunables: Tunables) -> ValidatedVideo:
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
    label = f"{spec.name} {version}"

    prompt = clean_prompt(options.prompt)
    if prompt is None and not options.first_frame:
        raise Refusal("video.error.prompt_missing")
    most = tunables.video.max_prompt_chars
    if prompt is not None and len(prompt) > most:
        raise Refusal("error.prompt_too_long", length=len(prompt), max=most)

    allowed = spec.durations_for(version)
    duration = options.duration if options.duration is not None else spec.duration_default(version)
    if duration not in allowed:
        raise Refusal(
            "video.error.duration", model=label, duration=duration, allowed=_spans(allowed)
        )

    aspect = options.aspect
    if aspect is not None and aspect not in spec.aspects:
        raise Refusal(
            "video.error.aspect", model=label, aspect=aspect, allowed=", ".join(spec.aspects)
        )
    if options.resolution is not None and options.resolution not in spec.resolutions:
        raise Refusal(
            "video.error.resolution",
            model=label,
            resolution=options.resolution,
            allowed=", ".join(spec.resolutions),
        )
    resolution = options.resolution or spec.default_resolution

    if options.last_frame:
        if not options.first_frame:
            raise Refusal("video.error.last_without_first")
        needed = spec.last_frame_resolution(version)
        if needed is None:
            raise Refusal("video.error.last_frame", model=label)
        if needed != EVERY and resolution != needed:
            if options.resolution is not None:
                raise Refusal("video.error.last_frame_resolution", model=label, resolution=needed)
            resolution = needed  # not asked for: use the one a last frame needs

    if options.audio and not spec.has_audio(version):
        with_audio = [s.name for s in tunables.video_models.values() if s.audio]
        raise Refusal("video.error.audio", model=label, allowed=", ".join(with_audio))

    request = VideoTaskRequest(
        model_name=spec.name,
        model_version=version,
        prompt=prompt,
        image_url=options.first_frame or None,
        last_image_url=options.last_frame or None,
        duration=duration,
        resolution=resolution,
        aspect_ratio=aspect,
        enable_audio=True if options.audio else None,
    )
    return ValidatedVideo(spec, version, duration, resolution, aspect, request)
