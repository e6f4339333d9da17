"""The `/history` and `/queue` listings, shared by the commands and their buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import ui

from ..formatting import shorten
from ..i18n import t
from ..storage.jobs import Job, JobState
from . import render
from .buttons import CancelButton, HistoryPageButton, RerunButton
from .errors import locale_of

if TYPE_CHECKING:
    from .client import ImagineBot


async def history_listing(
    bot: ImagineBot, interaction: discord.Interaction, page: int
) -> tuple[discord.Embed, ui.View]:
    """One page of the user's own jobs in this server, newest first."""
    locale = locale_of(interaction)
    size = bot.tunables.discord.history_page_size
    guild_id, user_id = interaction.guild_id or 0, interaction.user.id
    total = await bot.store.count_history(guild_id, user_id)
    pages = max(1, -(-total // size))
    page = max(0, min(page, pages - 1))
    jobs = await bot.store.history(guild_id, user_id, limit=size, offset=page * size)
    embed = discord.Embed(title=t(locale, "history.title"), colour=render.COLOUR_NEUTRAL)
    embed.description = "\n".join(render.history_line(j, locale) for j in jobs) or t(
        locale, "history.empty"
    )
    embed.set_footer(text=t(locale, "history.page", page=page + 1, pages=pages, total=total))
    view = ui.View(timeout=None)
    if page > 0:
        view.add_item(HistoryPageButton(user_id, page - 1, label=t(locale, "button.previous")))
    if page < pages - 1:
        view.add_item(HistoryPageButton(user_id, page + 1, label=t(locale, "button.next")))
    return embed, view


def job_details(job: Job, locale: str) -> tuple[discord.Embed, ui.View]:
    """One job with every parameter it was asked with, and a Re-run button."""
    embed = discord.Embed(
        title=t(locale, "history.job_title", job=job.id), colour=render.COLOUR_NEUTRAL
    )
    embed.description = shorten(job.prompt, 4000) or None
    options = job.options
    rows = [
        ("discord.field_model", f"{job.model} {options.get('version') or ''}".strip()),
        ("discord.field_negative", options.get("negative_prompt")),
        ("discord.field_size", options.get("shown_size")),
        ("discord.field_count", options.get("count")),
        (
            "discord.field_enhance",
            t(locale, "common.yes") if options.get("enhance_prompt") else None,
        ),
        ("discord.field_references", len(options.get("references") or ()) or None),
        ("discord.field_state", t(locale, f"state.{job.state.value}")),
        ("discord.field_created", f"<t:{int(job.created_at)}:f>"),
    ]
    if job.state is JobState.FAILED:
        rows.append(("discord.field_error", render.failure_message(job, locale, 1800)))
    for key, value in rows:
        if value not in (None, ""):
            embed.add_field(
                name=t(locale, key),
                value=shorten(str(value), 1024),
                inline=key != "discord.field_negative",
            )
    link = render.jump_url(job.guild_id, job)
    if link and job.state is JobState.DELIVERED:
        embed.add_field(name=t(locale, "discord.jump"), value=link, inline=False)
    view = ui.View(timeout=None)
    view.add_item(RerunButton(job.id, label=t(locale, "button.rerun"), emoji="🔁"))
    return embed, view


async def queue_listing(
    bot: ImagineBot,
    interaction: discord.Interaction,
) -> tuple[discord.Embed, ui.View]:
    """The user's queued and running jobs here, and how long the server's queue is."""
    locale = locale_of(interaction)
    guild_id, user_id = interaction.guild_id or 0, interaction.user.id
    engine = bot.engine
    lines, view = [], ui.View(timeout=None)
    for job_id in engine.unfinished_ids():
        progress = engine.progress(job_id)
        job = await bot.store.get(job_id)
        if progress is None or job is None or (job.guild_id, job.user_id) != (guild_id, user_id):
            continue
        if progress.position is not None:
            status = t(locale, "status.queued", position=progress.position)
            if len(view.children) < 25:
                view.add_item(CancelButton(job.id, label=t(locale, "button.cancel_n", job=job.id)))
        else:
            status = t(locale, f"status.{progress.state}")
        lines.append(f"**#{job.id}** · {status} · {shorten(job.prompt, 60)}")
    embed = discord.Embed(title=t(locale, "queue.title"), colour=render.COLOUR_NEUTRAL)
    embed.description = "\n".join(lines) or t(locale, "queue.none")
    embed.add_field(
        name=t(locale, "queue.server_queue"),
        value=t(
            locale,
            "queue.server_counts",
            queued=engine.queue.guild_queued(guild_id),
            running=engine.queue.guild_running(guild_id),
        ),
    )
    return embed, view
