"""The `/history` and `/queue` listings, shared by the commands and their buttons."""

from __future__ import annotations

import discord
from discord import ui

from ..config.tunables import Tunables
from ..engine.engine import JobEngine
from ..storage.jobs import Job, JobState, JobStore
from ..storage.messages import JobMessage, JobMessages
from ..text.formatting import plain, shorten
from ..text.i18n import t
from . import render
from .buttons import CancelButton, DownloadButton, HistoryPageButton, RerunButton
from .errors import locale_of
from .video_details import download_offered, is_video, job_failure_text, video_fields


class Listings:
    def __init__(
        self, *, engine: JobEngine, store: JobStore, messages: JobMessages, tunables: Tunables
    ) -> None:
        self.engine = engine
        self.store = store
        self.messages = messages
        self.tunables = tunables

    async def history(
        self, interaction: discord.Interaction, page: int
    ) -> tuple[discord.Embed, ui.View]:
        """One page of the user's own jobs in this server, newest first."""
        locale = locale_of(interaction)
        size = self.tunables.discord.history_page_size
        guild_id, user_id = interaction.guild_id or 0, interaction.user.id
        total = await self.store.count_history(guild_id, user_id)
        pages = max(1, -(-total // size))
        page = max(0, min(page, pages - 1))
        jobs = await self.store.history(guild_id, user_id, limit=size, offset=page * size)
        messages = await self.messages.many(j.id for j in jobs)
        embed = discord.Embed(title=t(locale, "history.title"), colour=render.COLOUR_NEUTRAL)
        embed.description = "\n".join(
            render.history_line(j, locale, messages.get(j.id)) for j in jobs
        ) or t(locale, "history.empty")
        embed.set_footer(text=t(locale, "history.page", page=page + 1, pages=pages, total=total))
        view = ui.View(timeout=None)
        if page > 0:
            view.add_item(HistoryPageButton(user_id, page - 1, label=t(locale, "button.previous")))
        if page < pages - 1:
            view.add_item(HistoryPageButton(user_id, page + 1, label=t(locale, "button.next")))
        return embed, view

    async def job(self, job: Job, locale: str) -> tuple[discord.Embed, ui.View]:
        return job_details(
            job, locale, await self.messages.get(job.id), self.tunables.video.keep_hours
        )

    async def queue(self, interaction: discord.Interaction) -> tuple[discord.Embed, ui.View]:
        """The user's queued and running jobs here, and how long the server's queue is.

        Answered from the engine's memory and one indexed read per own job: fast however
        many jobs other servers have."""
        locale = locale_of(interaction)
        guild_id, user_id = interaction.guild_id or 0, interaction.user.id
        lines, view = [], ui.View(timeout=None)
        for progress in self.engine.user_jobs(guild_id, user_id):
            job = await self.store.get(progress.job_id)
            if job is None:
                continue
            if progress.position is not None:
                status = t(locale, "status.queued", position=progress.position)
                if len(view.children) < 25:
                    label = t(locale, "button.cancel_n", job=job.id)
                    view.add_item(CancelButton(job.id, label=label))
            else:
                status = t(locale, f"status.{progress.state}")
            lines.append(f"**#{job.id}** · {status} · {plain(job.prompt, 60)}")
        embed = discord.Embed(title=t(locale, "queue.title"), colour=render.COLOUR_NEUTRAL)
        embed.description = "\n".join(lines) or t(locale, "queue.none")
        counts = self.engine.counts(guild_id)
        embed.add_field(
            name=t(locale, "queue.server_queue"),
            value=t(locale, "queue.server_counts", queued=counts.queued, running=counts.running),
        )
        return embed, view


def job_details(
    job: Job, locale: str, message: JobMessage | None, keep_hours: float = 0.0
) -> tuple[discord.Embed, ui.View]:
    """One job with every parameter it was asked with, and a Re-run button (and a Download
    one for a video that was made but could not be posted)."""
    embed = discord.Embed(
        title=t(locale, "history.job_title", job=job.id), colour=render.COLOUR_NEUTRAL
    )
    embed.description = plain(job.prompt, 4000) or None
    options = job.options
    rows = [
        ("discord.field_model", f"{job.model} {options.get('version') or ''}".strip()),
        ("discord.field_negative", plain(options.get("negative_prompt"), 1024)),
        ("discord.field_size", options.get("shown_size")),
        ("discord.field_count", options.get("count")),
        (
            "discord.field_enhance",
            t(locale, "common.yes") if options.get("enhance_prompt") else None,
        ),
        ("discord.field_references", len(options.get("references") or ()) or None),
        *(video_fields(job, locale) if is_video(job) else ()),
        ("discord.field_state", t(locale, f"state.{job.state.value}")),
        ("discord.field_created", f"<t:{int(job.created_at)}:f>"),
    ]
    if job.state is JobState.FAILED:
        rows.append(("discord.field_error", job_failure_text(locale, job, 1800)))
    for key, value in rows:
        if value not in (None, ""):
            embed.add_field(
                name=t(locale, key),
                value=shorten(str(value), 1024),
                inline=key != "discord.field_negative",
            )
    link = render.jump_url(job, message)
    if link and job.state is JobState.DELIVERED:
        embed.add_field(name=t(locale, "discord.jump"), value=link, inline=False)
    view = ui.View(timeout=None)
    view.add_item(RerunButton(job.id, label=t(locale, "button.rerun"), emoji="🔁"))
    if download_offered(job, keep_hours):
        view.add_item(DownloadButton(job.id, label=t(locale, "video.button.download"), emoji="📥"))
    return embed, view
