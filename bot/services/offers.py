"""What a server offers to ask for: its default model and size where none was chosen, and
the models it allows as choices for autocomplete."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

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


def model_choices(
    allowed: tuple[str, ...],
    catalogue: Mapping[str, ModelSpec] | Mapping[str, VideoModelSpec],
    typed: str,
) -> list[tuple[str, str]]:
    """(label, value) of the models and versions of `catalogue` in `allowed` (empty: every
    one) that match what was typed so far; value is `name:version`."""
    wanted = typed.lower()
    return [
        (f"{spec.name} {version}", f"{spec.name}:{version}")
        for spec in catalogue.values()
        if not allowed or spec.name in allowed
        for version in spec.versions
        if wanted in f"{spec.name} {version}".lower()
    ]
