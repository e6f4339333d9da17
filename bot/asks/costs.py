"""What an ask will cost, estimated from the price list (`config/prices.py`) before any
call: stored with each job at admission, so a server's spend is summed by the database."""

from __future__ import annotations

from ..config.prices import UNKNOWN_VIDEO_SECONDS
from ..config.tunables import ModelSpec, VideoModelSpec


def image_cost(spec: ModelSpec, images: int) -> float | None:
    """`images` images of the model; None when it has no price."""
    if spec.price_per_image is None:
        return None
    return spec.price_per_image * images


def video_cost(spec: VideoModelSpec, seconds: int | None) -> float | None:
    """A video of `seconds` (None: a model that takes no length, estimated at 5 s)."""
    if spec.price_per_second is None:
        return None
    return spec.price_per_second * (seconds or UNKNOWN_VIDEO_SECONDS)


def result_price(spec: ModelSpec | VideoModelSpec, version: str) -> float | None:
    """One result as a member asks for it by default: one image of the version, or a
    video of its default length."""
    if isinstance(spec, VideoModelSpec):
        return video_cost(spec, spec.version(version).default_duration)
    return image_cost(spec, spec.version(version).images_per_task)
