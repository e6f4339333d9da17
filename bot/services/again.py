"""Asking again from a stored job: the options a Re-roll, Remix or Run again asks with.

A job's record keeps the member's options as asked; asked again, they are the same but for
what the member changed, and the URLs of uploaded images signed afresh (Discord's
attachment URLs expire after about a day, and a re-roll may come much later).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ..asks.images import ImageOptions
from ..asks.videos import VideoOptions
from ..mps.models import TaskKind
from ..storage.jobs import Job
from .tickets import UrlRefresher


async def options_like(
    job: Job, refresh: UrlRefresher, changes: Mapping[str, Any] | None = None
) -> ImageOptions | VideoOptions:
    """The options `job` was asked with, but for `changes`, its images' URLs fresh."""
    if job.kind is TaskKind.VIDEO:
        video = dataclasses.replace(VideoOptions.from_record(job.options), **(changes or {}))
        frames = [url for url in (video.first_frame, video.last_frame) if url]
        frames += video.references
        fresh = await refresh(frames) if frames else {}
        return dataclasses.replace(
            video,
            first_frame=fresh.get(video.first_frame or "", video.first_frame),
            last_frame=fresh.get(video.last_frame or "", video.last_frame),
            references=tuple(fresh.get(url, url) for url in video.references),
        )
    image = dataclasses.replace(ImageOptions.from_record(job.options), **(changes or {}))
    if image.references:
        fresh = await refresh(list(image.references))
        image = dataclasses.replace(
            image, references=tuple(fresh.get(url, url) for url in image.references)
        )
    return image


def linked(record: dict[str, Any], parent: int | None) -> dict[str, Any]:
    """A job's record with the job it was remixed from, if any."""
    return {**record, "parent_id": parent} if parent is not None else record
