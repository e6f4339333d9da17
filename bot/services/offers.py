"""What a server offers to ask for: its default model and size where none was chosen, and
the models it allows as choices for autocomplete."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from ..asks.images import ImageOptions
from ..config.tunables import ModelSpec, Tunables, VideoModelSpec
from ..rules.server_settings import ServerSettings


def with_server_defaults(
    server: ServerSettings, tunables: Tunables, options: ImageOptions
) -> ImageOptions:
    """The server's default model (and size, for that model) where none was chosen."""
    if options.model is None:
        options = dataclasses.replace(options, model=server.default_model)
    size = server.default_size
    spec = tunables.models.get(options.model or "")
    if (
        size
        and options.size is None
        and options.aspect is None
        and spec is not None
        and spec.name == server.default_model
        and size in spec.sizes
    ):
        options = dataclasses.replace(options, size=size)
    return options


# Choice labels are at most 100 characters (Discord's limit).
LABEL_MAX = 100


def model_choices(
    allowed: tuple[str, ...],
    catalogue: Mapping[str, ModelSpec] | Mapping[str, VideoModelSpec],
    typed: str,
    details: Callable[[ModelSpec | VideoModelSpec, str], str] | None = None,
) -> list[tuple[str, str]]:
    """(label, value) of the models and versions of `catalogue` in `allowed` (empty: every
    one) that match what was typed so far; value is `name:version`. `details` adds to
    each label what the version takes and costs (`Hunyuan 3.0 · ~70 s · ¥0.20`)."""
    wanted = typed.lower()
    out = []
    for spec in catalogue.values():
        if allowed and spec.name not in allowed:
            continue
        for version in spec.versions:
            name = f"{spec.name} {version}"
            if wanted in name.lower():
                label = f"{name} · {details(spec, version)}" if details else name
                out.append((label[:LABEL_MAX], f"{spec.name}:{version}"))
    return out
