"""Turn the images a member asked for into a valid MPS request, before any money is spent.

Used by the job service (for every front end). Every rejection is a `Refusal` whose `key`
and `params` name a localised message that says exactly what was wrong.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from ..config.tunables import ModelSpec, Tunables
from ..mps.models import ImageInfo, ImageTaskRequest, TaskKind
from ..refusal import Refusal
from .prompts import clean_prompt

_SIZE = re.compile(r"^\s*(\d{2,5})\s*[x×*]\s*(\d{2,5})\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ImageOptions:
    prompt: str | None
    model: str | None = None
    version: str | None = None
    negative_prompt: str | None = None
    size: str | None = None
    aspect: str | None = None
    references: tuple[str, ...] = ()
    count: int = 1
    enhance_prompt: bool = False

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ImageOptions:
        """The options a stored job was asked with (see `ValidatedImage.record`)."""
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in record.items() if k in known}
        values["references"] = tuple(values.get("references") or ())
        return cls(**values)


@dataclass(frozen=True)
class ValidatedImage:
    spec: ModelSpec
    version: str
    request: ImageTaskRequest
    size: str | None  # what the user will see, e.g. "1024x1024" or "16:9"

    def record(self, options: ImageOptions) -> dict[str, Any]:
        """What the user asked for, kept with the job for history and re-runs."""
        record = dataclasses.asdict(options)
        record["references"] = list(options.references)
        record.update(model=self.spec.name, version=self.version, shown_size=self.size)
        # Kept as sent, so that history and re-runs show and reuse the cleaned text.
        record.update(prompt=self.request.prompt, negative_prompt=self.request.negative_prompt)
        return record


def parse_size(text: str) -> tuple[int, int]:
    match = _SIZE.match(text)
    if not match:
        raise Refusal("error.size_format", size=text)
    return int(match.group(1)), int(match.group(2))


def check_size_rule(spec: ModelSpec, width: int, height: int) -> None:
    size = f"{width}x{height}"
    if spec.size_rule == "hunyuan":
        if not (512 <= width <= 2048 and 512 <= height <= 2048):
            raise Refusal("error.size_sides", size=size, low=512, high=2048)
        if width * height > 1024 * 1024:
            raise Refusal("error.size_area_max", size=size, max="1024x1024")
    elif spec.size_rule == "qwen" and not 512 * 512 <= width * height <= 2048 * 2048:
        raise Refusal("error.size_area_range", size=size, low="512x512", high="2048x2048")


def _closest_size(spec: ModelSpec, aspect: str) -> str:
    """For models sized in pixels, pick the preset whose shape matches the aspect ratio."""
    w, h = (int(x) for x in aspect.split(":"))
    want = w / h
    best = min(spec.sizes, key=lambda s: abs(parse_size(s)[0] / parse_size(s)[1] - want))
    bw, bh = parse_size(best)
    if abs(bw / bh - want) / want > 0.05:
        raise Refusal(
            "error.aspect_unsupported",
            aspect=aspect,
            model=spec.name,
            allowed=", ".join(spec.sizes),
        )
    return best


def model_spec(tunables: Tunables, name: str | None, kind: TaskKind) -> ModelSpec:
    name = name or tunables.default_model
    for spec in tunables.models.values():
        if spec.name.lower() == name.lower() and spec.kind is kind:
            return spec
    allowed = ", ".join(s.name for s in tunables.models.values() if s.kind is kind)
    raise Refusal("error.model_unknown", model=name, allowed=allowed)


def validate_image(options: ImageOptions, tunables: Tunables) -> ValidatedImage:
    spec = model_spec(tunables, options.model, TaskKind.IMAGE)
    version = options.version or spec.default_version
    if version not in spec.versions:
        raise Refusal(
            "error.version_unknown",
            model=spec.name,
            version=version,
            allowed=", ".join(spec.versions),
        )

    # Lengths are counted on what is sent, after invisible characters are stripped.
    prompt = clean_prompt(options.prompt)
    if prompt is None and not options.references:
        raise Refusal("error.prompt_missing")
    if prompt is not None and len(prompt) > tunables.max_prompt_chars:
        raise Refusal("error.prompt_too_long", length=len(prompt), max=tunables.max_prompt_chars)
    negative = clean_prompt(options.negative_prompt, negative=True)
    if negative is not None:
        if not spec.negative_prompt:
            raise Refusal("error.negative_unsupported", model=spec.name)
        if len(negative) > tunables.max_prompt_chars:
            raise Refusal(
                "error.negative_too_long", length=len(negative), max=tunables.max_prompt_chars
            )

    allowed_refs = spec.references_allowed(version)
    if len(options.references) > allowed_refs:
        if allowed_refs == 0:
            raise Refusal("error.references_unsupported", model=spec.name)
        raise Refusal("error.references_too_many", model=spec.name, max=allowed_refs)

    if not 1 <= options.count <= spec.max_images:
        raise Refusal("error.count_range", model=spec.name, max=spec.max_images)

    size = aspect = None
    shown: str | None = None
    if options.size and options.aspect:
        raise Refusal("error.size_and_aspect")
    if spec.shape == "size":
        if options.aspect:
            size = _closest_size(spec, options.aspect.strip())
        elif options.size:
            size = options.size.strip().lower().replace("×", "x").replace("*", "x")
        if size:
            width, height = parse_size(size)
            check_size_rule(spec, width, height)
            size = f"{width}x{height}"
        shown = size
    elif spec.shape == "aspect":
        if options.size:
            raise Refusal(
                "error.size_unsupported", model=spec.name, allowed=", ".join(spec.aspects)
            )
        if options.aspect:
            aspect = options.aspect.strip()
            if aspect not in spec.aspects:
                raise Refusal(
                    "error.aspect_unsupported",
                    aspect=aspect,
                    model=spec.name,
                    allowed=", ".join(spec.aspects),
                )
        shown = aspect
    elif options.size or options.aspect:
        raise Refusal("error.shape_unsupported", model=spec.name)

    request = ImageTaskRequest(
        model_name=spec.name,
        model_version=version,
        prompt=prompt,
        negative_prompt=negative,
        enhance_prompt=True if options.enhance_prompt else None,
        image_infos=tuple(ImageInfo(url) for url in options.references),
        output_image_count=options.count if options.count > 1 else None,
        aspect_ratio=aspect,
        additional_parameters={"size": size} if size else {},
    )
    return ValidatedImage(spec=spec, version=version, request=request, size=shown)
