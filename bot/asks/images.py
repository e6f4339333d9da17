"""Turn the images a member asked for into a valid MPS request, before any money is spent.

Used by the job service (for every front end). Every rejection is a `Refusal` whose `key`
and `params` name a localised message that says exactly what was wrong.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ..config.catalogue import check_size_rule, parse_size
from ..config.tunables import ASPECTS, OUTPUT_FORMATS, ImageVersion, ModelSpec, Tunables
from ..mps.models import ImageInfo, ImageTaskRequest, TaskKind
from ..refusal import Refusal
from .prompts import clean_prompt


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
    resolution: str | None = None
    output_format: str | None = None

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
    # How many Creates the ask takes, and the images each one bills: a model documented
    # to make one image per task (every one today) gets `count` tasks of one image.
    tasks: int = 1
    units_per_task: int = 1

    def record(self, options: ImageOptions) -> dict[str, Any]:
        """What the user asked for, kept with the job for history and re-runs."""
        record = dataclasses.asdict(options)
        record["references"] = list(options.references)
        record.update(model=self.spec.name, version=self.version, shown_size=self.size)
        # Kept as sent, so that history and re-runs show and reuse the cleaned text.
        record.update(prompt=self.request.prompt, negative_prompt=self.request.negative_prompt)
        return record


def _closest_size(label: str, sizes: tuple[str, ...], aspect: str) -> str:
    """For models sized in pixels, pick the preset whose shape matches the aspect ratio."""
    w, h = (int(x) for x in aspect.split(":"))
    want = w / h
    best = min(sizes, key=lambda s: abs(parse_size(s)[0] / parse_size(s)[1] - want))
    bw, bh = parse_size(best)
    if abs(bw / bh - want) / want > 0.05:
        raise Refusal(
            "error.aspect_unsupported", aspect=aspect, model=label, allowed=", ".join(sizes)
        )
    return best


def model_spec(tunables: Tunables, name: str | None, kind: TaskKind) -> ModelSpec:
    name = name or tunables.default_model
    for spec in tunables.models.values():
        if spec.name.lower() == name.lower() and spec.kind is kind:
            return spec
    allowed = ", ".join(s.name for s in tunables.models.values() if s.kind is kind)
    raise Refusal("error.model_unknown", model=name, allowed=allowed)


def _shape(options: ImageOptions, label: str, rules: ImageVersion) -> tuple[str | None, str | None]:
    """(size, aspect ratio) to send, each as documented for the version."""
    if options.size and options.aspect:
        raise Refusal("error.size_and_aspect")
    if rules.size_rule:
        size = None
        if options.aspect:
            aspect = options.aspect.strip()
            if aspect not in ASPECTS or not rules.sizes:
                raise Refusal(
                    "error.aspect_unsupported",
                    aspect=aspect,
                    model=label,
                    allowed=", ".join(rules.sizes) or "-",
                )
            size = _closest_size(label, rules.sizes, aspect)
        elif options.size:
            size = options.size.strip().lower().replace("×", "x").replace("*", "x")
        if size:
            width, height = parse_size(size)
            check_size_rule(rules.size_rule, width, height)
            size = f"{width}x{height}"
        return size, None
    if rules.aspects:
        if options.size:
            raise Refusal("error.size_unsupported", model=label, allowed=", ".join(rules.aspects))
        aspect = options.aspect.strip() if options.aspect else None
        if aspect and aspect not in rules.aspects:
            raise Refusal(
                "error.aspect_unsupported",
                aspect=aspect,
                model=label,
                allowed=", ".join(rules.aspects),
            )
        return None, aspect
    if options.size or options.aspect:
        raise Refusal("error.shape_unsupported", model=label)
    return None, None


def _resolution(options: ImageOptions, label: str, rules: ImageVersion) -> str | None:
    wanted = options.resolution
    if wanted is None:
        return None
    if not rules.resolutions:
        raise Refusal("error.resolution_unsupported", model=label)
    if wanted not in rules.resolutions:
        raise Refusal(
            "error.resolution", model=label, resolution=wanted, allowed=", ".join(rules.resolutions)
        )
    return wanted


def validate_image(
    options: ImageOptions, tunables: Tunables, *, mark: bool = False
) -> ValidatedImage:
    """Check an ask against the catalogue; `mark` adds the visible "AI generated" mark
    (LogoAdd), as a server may require."""
    spec = model_spec(tunables, options.model, TaskKind.IMAGE)
    version = options.version or spec.default_version
    if version not in spec.versions:
        raise Refusal(
            "error.version_unknown",
            model=spec.name,
            version=version,
            allowed=", ".join(spec.versions),
        )
    rules = spec.version(version)
    label = f"{spec.name} {version}"

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

    if len(options.references) > rules.max_references:
        if rules.max_references == 0:
            raise Refusal("error.references_unsupported", model=label)
        raise Refusal("error.references_too_many", model=label, max=rules.max_references)

    if not 1 <= options.count <= tunables.max_count:
        raise Refusal("error.count_range", model=label, max=tunables.max_count)
    size, aspect = _shape(options, label, rules)
    resolution = _resolution(options, label, rules)
    output_format = options.output_format
    if output_format is not None and output_format not in OUTPUT_FORMATS:
        raise Refusal(
            "error.output_format", format=output_format, allowed=", ".join(OUTPUT_FORMATS)
        )
    if mark and not spec.logo:
        raise Refusal("error.mark_unsupported", model=label)

    # One task makes the whole count when the model is documented to make that many.
    together = options.count <= rules.images_per_task
    request = ImageTaskRequest(
        model_name=spec.name,
        model_version=version,
        prompt=prompt,
        negative_prompt=negative,
        enhance_prompt=True if options.enhance_prompt else None,
        image_infos=tuple(ImageInfo(url) for url in options.references),
        output_image_count=options.count if together and options.count > 1 else None,
        aspect_ratio=aspect,
        resolution=resolution,
        output_format=output_format,
        logo_add=1 if mark else None,
        additional_parameters={"size": size} if size else {},
    )
    return ValidatedImage(
        spec=spec,
        version=version,
        request=request,
        size=size or aspect,
        tasks=1 if together else options.count,
        units_per_task=options.count if together else 1,
    )
