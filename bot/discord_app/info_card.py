"""The Info card: everything about a result, shown privately to whoever pressed Info.

A pure function of what the listings service found (`JobInfo`) and the reader's language:
the member's prompt, the model and every option, the style, the timings, the estimated
cost when the catalogue has a price, and the job it was remixed from."""

from __future__ import annotations

import discord

from ..services.listings import JobInfo, is_video
from ..storage.messages import JobMessage
from ..text.formatting import elapsed, plain, shorten
from ..text.i18n import t
from . import render
from .render import style_shown
from .video_details import video_fields


def info_embed(info: JobInfo, locale: str, parent_message: JobMessage | None) -> discord.Embed:
    job = info.job
    options = job.options
    embed = discord.Embed(title=t(locale, "info.title", job=job.id), colour=render.COLOUR_NEUTRAL)
    embed.description = plain(options.get("prompt", job.prompt), 4000) or t(
        locale, "info.no_prompt"
    )
    yes = t(locale, "common.yes")
    rows: list[tuple[str, object]] = [
        (t(locale, "discord.field_model"), f"{job.model} {options.get('version') or ''}".strip()),
        (t(locale, "info.field_style"), style_shown(options.get("style"), locale)),
        (t(locale, "discord.field_size"), options.get("shown_size")),
        (t(locale, "discord.field_count"), job.batch_size if job.batch_size > 1 else None),
        (t(locale, "discord.field_references"), len(options.get("references") or ()) or None),
        (t(locale, "info.field_resolution"), None if is_video(job) else options.get("resolution")),
        (t(locale, "info.field_format"), (options.get("output_format") or "").upper() or None),
        (t(locale, "discord.field_enhance"), yes if options.get("enhance_prompt") else None),
        (t(locale, "info.field_spoiler"), yes if options.get("spoiler") else None),
    ]
    rows += video_fields(job, locale) if is_video(job) else []
    rows += [
        (t(locale, "info.field_waited"), _time(info.waited)),
        (t(locale, "info.field_generated"), _time(info.generated)),
        (t(locale, "info.field_total"), _time(info.total)),
        (t(locale, "info.field_cost"), _cost(info, locale)),
        (t(locale, "info.field_parent"), _parent(info, locale, parent_message)),
    ]
    for name, value in rows:
        if value not in (None, ""):
            embed.add_field(name=name, value=shorten(str(value), 1024))
    negative = options.get("negative_prompt")
    if negative:
        embed.add_field(
            name=t(locale, "discord.field_negative"), value=plain(negative, 1024), inline=False
        )
    return embed


def _time(seconds: float | None) -> str | None:
    return None if seconds is None else elapsed(max(0.0, seconds))


def _cost(info: JobInfo, locale: str) -> str | None:
    """Known only when the catalogue has the model's price and MPS accepted a task."""
    if info.cost is None or not info.images:
        return None
    return t(locale, "info.cost_value", cost=f"{info.cost:,.2f}", images=info.images)


def _parent(info: JobInfo, locale: str, message: JobMessage | None) -> str | None:
    parent = info.parent
    if parent is None:
        return None
    text = t(locale, "info.parent_value", job=parent.id)
    link = render.jump_url(parent, message)
    return f"{text} · [{t(locale, 'discord.jump')}]({link})" if link else text
