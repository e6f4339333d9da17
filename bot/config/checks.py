"""Check a BOT_CONFIG file against the tunables' field types and a small table of ranges.

Types come from the dataclass annotations, so a tunable is type-checked the day it is
added; only its range needs a line in `RANGES` (a number without one must be ≥ 0). Every
refusal names the key by its dotted path, e.g. `limits.queued_per_user`.
"""

from __future__ import annotations

import dataclasses
import enum
import fnmatch
import json
import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..refusal import Refusal
from .catalogue import check_size_rule, parse_size
from .tunables import (
    ASPECTS,
    EVERY,
    IMAGE_RESOLUTION_VALUES,
    VIDEO_ASPECTS,
    VIDEO_RESOLUTIONS,
    ModelSpec,
    Tunables,
    VideoModelSpec,
)


@dataclass(frozen=True)
class Range:
    low: float
    inclusive: bool = True
    high: float | None = None

    def admits(self, value: float) -> bool:
        above = value >= self.low if self.inclusive else value > self.low
        return above and (self.high is None or value <= self.high)

    def __str__(self) -> str:
        if self.high is not None:
            return f"between {self.low:g} and {self.high:g}"
        return f"{'≥' if self.inclusive else '>'} {self.low:g}"


_POSITIVE = Range(0, inclusive=False)

# Dotted names; `*` stands for one part (a section's every field, a model's name, a version).
RANGES: dict[str, Range] = {
    "limits.*": Range(1),
    # The limiter spaces requests 1/rate apart; a rate under one a second is a typo.
    "rates.*": Range(1),
    "polling.*": _POSITIVE,
    "downloads.max_bytes": Range(1),
    "downloads.attempts": Range(1),
    "downloads.max_pixels": Range(1),
    "downloads.timeout_seconds": _POSITIVE,
    "discord.progress_interval": _POSITIVE,
    "discord.token_lifetime": _POSITIVE,
    "discord.token_margin": Range(0),
    # One history page is one embed description (4096 characters): 25 lines fit.
    "discord.history_page_size": Range(1, high=25),
    "discord.channel_edit_limit": Range(1),
    "discord.token_edit_limit": Range(1),
    "discord.channel_edit_window": _POSITIVE,
    "discord.token_edit_window": _POSITIVE,
    "discord.edit_margin": Range(0),
    "discord.final_reserve": Range(0),
    "create_backoff": _POSITIVE,
    "outage_probe": _POSITIVE,
    "discord.delivery_backoff": _POSITIVE,
    # Docker stops a container 10 s after SIGTERM; Discord's close needs the rest.
    "shutdown_grace": Range(0, high=8),
    "cluster.*": _POSITIVE,
    "max_prompt_chars": Range(1),
    "max_reference_bytes": Range(1),
    "max_count": Range(1, high=10),
    "models.*.versions.*.images_per_task": Range(1),
    "models.*.versions.*.max_references": Range(0),
    "models.*.versions.*.reference_bytes": Range(1),
    "video_models.*.versions.*.durations*": Range(1, high=60),
    "video_models.*.versions.*.default_duration": Range(1, high=60),
    "video_models.*.versions.*.min_references": Range(0),
    "video_models.*.versions.*.max_references": Range(0),
    "video.max_frame_bytes": Range(1),
    "video.max_prompt_chars": Range(1),
    "video.keep_hours": _POSITIVE,
    "video.min_short_side": Range(16),
    "video.min_video_kbps": Range(1),
    "video.transcode_workers": Range(1, high=32),
    "video.transcode_seconds": _POSITIVE,
    "models.*.price_per_image": Range(0),
    "video_models.*.price_per_second": Range(0),
    "tool_prices.*": Range(0),
}
_DEFAULT_RANGE = Range(0)

CHOICES: dict[str, tuple[object, ...]] = {
    "models.*.versions.*.size_rule": ("hunyuan", "qwen", None),
}
# A version name such as "3.0" holds a dot: in a dotted name it stands as `["3.0"]`,
# matched by one `*` of a pattern.
_QUOTED_KEY = re.compile(r'\["[^"]*"\]')


class _Refused(ValueError):
    pass


def _key(where: str, key: str) -> str:
    return f'{where}["{key}"]' if "." in key else f"{where}.{key}"


def _rule(table: dict[str, Any], where: str) -> Any:
    # fnmatch's `*` would also match dots; count parts so `limits.*` is one level only.
    where = _QUOTED_KEY.sub(".key", where)
    parts = where.count(".")
    for pattern, rule in table.items():
        if pattern.count(".") == parts and fnmatch.fnmatchcase(where, pattern):
            return rule
    return None


def _describe(hint: Any, where: str) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in args if a is not type(None)]
        return f"{_describe(inner[0], where)} or null"
    if hint is bool:
        return "true or false"
    if hint in (int, float):
        noun = "an integer" if hint is int else "a number"
        return f"{noun} {_rule(RANGES, where) or _DEFAULT_RANGE}"
    if hint is str:
        return "a string"
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return "one of " + ", ".join(json.dumps(m.value) for m in hint)
    if origin is tuple and len(args) == 2 and args[1] is not Ellipsis:
        rule = _rule(RANGES, where) or _DEFAULT_RANGE
        return f"a pair of numbers [low, high], each {rule}, with low ≤ high"
    if origin is tuple:
        return f"a list of {_describe(args[0], where).split(' ', 1)[1]}s"
    if origin is dict:
        return "an object"
    return "an object"


def _refuse(where: str, hint: Any, value: object) -> _Refused:
    return _Refused(f"{where} must be {_describe(hint, where)} (got {json.dumps(value)})")


def _convert(value: object, hint: Any, where: str) -> Any:
    """`value` from JSON as the type `hint` asks for, or a refusal naming `where`."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    choices = _rule(CHOICES, where)
    if choices is not None and value not in choices:
        allowed = ", ".join(json.dumps(c) for c in choices)
        raise _Refused(f"{where} must be one of {allowed} (got {json.dumps(value)})")
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        try:
            return _convert(value, inner[0], where)
        except _Refused:
            raise _refuse(where, hint, value) from None
    if hint is bool:
        if not isinstance(value, bool):
            raise _refuse(where, hint, value)
        return value
    if hint in (int, float):
        # JSON `true` is a Python int; it is never a count or a duration.
        ok = isinstance(value, int) or (hint is float and isinstance(value, float))
        rule = _rule(RANGES, where) or _DEFAULT_RANGE
        if isinstance(value, bool) or not ok or not rule.admits(value):
            raise _refuse(where, hint, value)
        return hint(value)
    if hint is str:
        if not isinstance(value, str):
            raise _refuse(where, hint, value)
        return value
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        try:
            return hint(value)
        except ValueError:
            raise _refuse(where, hint, value) from None
    if origin is tuple:
        if not isinstance(value, list):
            raise _refuse(where, hint, value)
        if len(args) == 2 and args[1] is not Ellipsis:
            if len(value) != 2:
                raise _refuse(where, hint, value)
            try:
                pair = tuple(_convert(v, args[0], where) for v in value)
            except _Refused:
                raise _refuse(where, hint, value) from None
            if pair[0] > pair[1]:
                raise _refuse(where, hint, value)
            return pair
        return tuple(_convert(v, args[0], f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise _refuse(where, hint, value)
        return {k: _convert(v, args[1], _key(where, k)) for k, v in value.items()}
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise _refuse(where, hint, value)
        return _build(hint, value, f"{where}.")
    raise TypeError(f"no check for the type of {where}: {hint!r}")


def _build(cls: type, data: dict[str, Any], prefix: str, base: Any = None) -> Any:
    """An instance of dataclass `cls`: fields from `data`, checked, the others from `base`."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for key in data:
        if key not in names:
            raise _Refused(f"unknown key {prefix}{key}")
    values = {k: _convert(v, hints[k], f"{prefix}{k}") for k, v in data.items()}
    if base is not None:
        return dataclasses.replace(base, **values)
    missing = [
        f"{prefix}{f.name}"
        for f in dataclasses.fields(cls)
        if f.name not in values
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise _Refused(f"{', '.join(missing)} must be given")
    return cls(**values)


def _model(name: str, data: object) -> ModelSpec:
    where = f"models.{name}"
    if not isinstance(data, dict):
        raise _Refused(f"{where} must be an object")
    data = {"name": name, **data}
    spec = _build(ModelSpec, data, f"{where}.")
    if not spec.versions or spec.default_version not in spec.versions:
        raise _Refused(f"{where}.default_version must be one of its versions")
    for version, rules in spec.versions.items():
        at = _key(f"{where}.versions", version)
        _subset(f"{at}.aspects", rules.aspects, ASPECTS)
        _subset(f"{at}.resolutions", rules.resolutions, IMAGE_RESOLUTION_VALUES)
        if rules.sizes and not rules.size_rule:
            raise _Refused(f"{at}.sizes need a size_rule")
        for size in rules.sizes:
            _check_size(f"{at}.sizes", size, rules.size_rule)
    return spec


def _check_size(where: str, size: str, rule: str | None) -> None:
    try:
        check_size_rule(rule, *parse_size(size))
    except Refusal:
        raise _Refused(f"{where}: {size} breaks the {rule} size rule") from None


def _subset(where: str, values: tuple[str, ...], allowed: tuple[str, ...]) -> None:
    if any(v not in allowed for v in values):
        raise _Refused(f"{where} must be a list of: {', '.join(allowed)}")


def _video_model(name: str, data: object) -> VideoModelSpec:
    where = f"video_models.{name}"
    if not isinstance(data, dict):
        raise _Refused(f"{where} must be an object")
    spec = _build(VideoModelSpec, {"name": name, **data}, f"{where}.")
    _check_video_model(spec)
    return spec


def _check_video_model(spec: VideoModelSpec) -> None:
    where = f"video_models.{spec.name}"
    if not spec.versions or spec.default_version not in spec.versions:
        raise _Refused(f"{where}.default_version must be one of its versions")
    for version, rules in spec.versions.items():
        at = _key(f"{where}.versions", version)
        _subset(f"{at}.resolutions", rules.resolutions, VIDEO_RESOLUTIONS)
        _subset(f"{at}.text_aspects", rules.text_aspects, VIDEO_ASPECTS)
        _subset(f"{at}.reference_aspects", rules.reference_aspects, VIDEO_ASPECTS)
        if rules.default_resolution is not None and (
            rules.default_resolution not in rules.resolutions
        ):
            raise _Refused(f"{at}.default_resolution must be one of its resolutions")
        if rules.default_duration is not None and rules.default_duration not in rules.durations:
            raise _Refused(f"{at}.default_duration must be one of its durations")
        if rules.last_frame not in (None, EVERY, *rules.resolutions):
            raise _Refused(f'{at}.last_frame must be null, "*" or one of its resolutions')
        if rules.min_references > rules.max_references:
            raise _Refused(f"{at}.min_references must not be over max_references")


def tunables_from_json(data: object) -> Tunables:
    """Defaults overridden by `data`; a wrong type, range or key raises ValueError by name."""
    if not isinstance(data, dict):
        raise ValueError("the file must hold a JSON object")
    data = dict(data)
    models = data.pop("models", None)
    if models is not None and not isinstance(models, dict):
        raise _Refused("models must be an object of models by name")
    video_models = data.pop("video_models", None)
    if video_models is not None and not isinstance(video_models, dict):
        raise _Refused("video_models must be an object of models by name")
    defaults = Tunables()
    values: dict[str, Any] = {}
    hints = typing.get_type_hints(Tunables)
    for key, value in data.items():
        if key not in hints:
            raise _Refused(f"unknown key {key}")
        current = getattr(defaults, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise _refuse(key, hints[key], value)
            # A section in the file changes only the keys it names.
            values[key] = _build(type(current), value, f"{key}.", base=current)
        else:
            values[key] = _convert(value, hints[key], key)
    if models is not None:
        values["models"] = {name: _model(name, spec) for name, spec in models.items()}
    if video_models is not None:
        values["video_models"] = {
            name: _video_model(name, spec) for name, spec in video_models.items()
        }
    tunables = dataclasses.replace(defaults, **values)
    if tunables.default_model not in tunables.models:
        raise _Refused(f"default_model {tunables.default_model!r} is not in models")
    _check_together(tunables)
    return tunables


def _check_together(tunables: Tunables) -> None:
    """Rules that tie two values together."""
    polling, discord = tunables.polling, tunables.discord
    if polling.target_interval > polling.max_interval:
        raise _Refused("polling.target_interval must not be over polling.max_interval")
    if discord.token_margin >= discord.token_lifetime:
        raise _Refused("discord.token_margin must be under discord.token_lifetime")
    if tunables.video.default_model not in tunables.video_models:
        raise _Refused(
            f"video.default_model {tunables.video.default_model!r} is not in video_models"
        )


def load_tunables(path: Path | None) -> Tunables:
    """Defaults, overridden by the JSON file at `path`; every value checked."""
    if path is None:
        return Tunables()
    return tunables_from_json(json.loads(path.read_text(encoding="utf-8")))
