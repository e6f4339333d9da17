"""The `/history` and `/queue` listings as Discord shows them, shared by the commands and
their buttons; what they list comes from the listings service."""

from __future__ import annotations

import discord
from discord import ui

from ..config.tunables import Tunables
from ..engine.downloader import result_text
from ..mps.models import TaskKind
from ..services.listings import JobListings, download_offered, is_video
from ..services.members import Member
from ..storage.jobs import Job, JobState
from ..storage.messages import JobMessage, JobMessages
from ..text.formatting import plain, shorten
from ..text.i18n import t
from . import render
from .buttons import CancelButton, DownloadButton, HistoryPageButton, RerunButton
from .info_card import info_embed
from .render import style_shown
from .video_details import job_failure_text, video_fields

# How a job that has not ended stands, in /queue.
QUEUE_STATES = {
    "submitting": "status.submitting",
    "running": "status.running",
    "downloading": "status.downloading",
}


class ListingViews:
    """`/history` and `/queue` as Discord shows them (embeds and their buttons)."""

    def __init__(self, *, listings: JobListings, messages: JobMessages, tunables: Tunables) -> None:
        self.listings = listings
        self.messages = messages  # which message shows each job (the front end's table)
        self.tunables = tunables

    async def history(self, member: Member, page: int) -> tuple[discord.Embed, ui.View]:
        """One page of the member's own jobs in this server, newest first."""
        locale = member.locale
        found = await self.listings.history(member, page)
        messages = await self.messages.many(j.id for j in found.jobs)
        embed = discord.Embed(title=t(locale, "history.title"), colour=render.COLOUR_NEUTRAL)
        embed.description = "\n".join(
            render.history_line(j, locale, messages.get(j.id), found.states.get(j.id))
            for j in found.jobs
        ) or t(locale, "history.empty")
        embed.set_footer(
            text=t(
                locale, "history.page", page=found.page + 1, pages=found.pages, total=found.total
            )
        )
        view = ui.View(timeout=None)
        user_id = member.user_id
        if found.page > 0:
            previous = t(locale, "button.previous")
            view.add_item(HistoryPageButton(user_id, found.page - 1, label=previous))
        if found.page < found.pages - 1:
            view.add_item(
                HistoryPageButton(user_id, found.page + 1, label=t(locale, "button.next"))
            )
        return embed, view

    async def job(self, job: Job, locale: str) -> tuple[discord.Embed, ui.View]:
        return job_details(
            job, locale, await self.messages.get(job.id), self.tunables.video.keep_hours
        )

    async def info(self, member: Member, job_id: int) -> discord.Embed:
        """A result's Info card, for anyone in its server."""
        found = await self.listings.info(member, job_id)
        parent = await self.messages.get(found.parent.id) if found.parent else None
        return info_embed(found, member.locale, parent)

    async def queue(self, member: Member) -> tuple[discord.Embed, ui.View]:
        """The member's queued and running jobs here, and how long the server's queue is."""
        locale = member.locale
        found = await self.listings.queue(member)
        lines, view = [], ui.View(timeout=None)
        for job, progress in found.mine:
            if progress.state == "queued":
                # No position from a process that does not run the engine (a standby).
                status = (
                    t(locale, "status.waiting")
                    if progress.position is None
                    else t(locale, "status.queued", position=progress.position)
                )
                if len(view.children) < 25:
                    label = t(locale, "button.cancel_n", job=job.id)
                    view.add_item(CancelButton(job.id, label=label))
            else:
                status = t(locale, QUEUE_STATES[progress.state])
            lines.append(f"**#{job.id}** · {status} · {plain(job.prompt, 60)}")
        embed = discord.Embed(title=t(locale, "queue.title"), colour=render.COLOUR_NEUTRAL)
        embed.description = "\n".join(lines) or t(locale, "queue.none")
        counts = found.counts
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
    embed.description = plain(job.prompt or result_text(job), 4000) or None
    options = job.options
    tool = job.kind is TaskKind.TOOL
    model = render.tool_name(job, locale) if tool else job.model
    asked = [
        ("discord.field_model", f"{model} {options.get('version') or ''}".strip()),
        ("discord.field_negative", plain(options.get("negative_prompt"), 1024)),
        ("discord.field_size", options.get("shown_size")),
        ("discord.field_count", options.get("count")),
        (
            "discord.field_enhance",
            t(locale, "common.yes") if options.get("enhance_prompt") else None,
        ),
        ("discord.field_references", len(options.get("references") or ()) or None),
        ("info.field_style", style_shown(options.get("style"), locale)),
        ("info.field_parent", _parent(options, locale)),
    ]
    rows = [(t(locale, key), value, key != "discord.field_negative") for key, value in asked]
    rows += [(name, value, True) for name, value in video_fields(job, locale) if is_video(job)]
    ended = [
        ("discord.field_state", render.state_name(job, locale)),
        ("discord.field_created", f"<t:{int(job.created_at)}:f>"),
        (
            "discord.field_error",
            job_failure_text(locale, job, 1800) if job.state is JobState.FAILED else None,
        ),
    ]
    rows += [(t(locale, key), value, True) for key, value in ended]
    for name, value, inline in rows:
        if value not in (None, ""):
            embed.add_field(name=name, value=shorten(str(value), 1024), inline=inline)
    link = render.jump_url(job, message)
    if link and job.state is JobState.DELIVERED:
        embed.add_field(name=t(locale, "discord.jump"), value=link, inline=False)
    view = ui.View(timeout=None)
    if not tool:  # a tool is used again from its picture
        view.add_item(RerunButton(job.id, label=t(locale, "button.rerun"), emoji="🔁"))
    if download_offered(job, keep_hours):
        view.add_item(DownloadButton(job.id, label=t(locale, "video.button.download"), emoji="📥"))
    return embed, view


def _parent(options: dict, locale: str) -> str | None:
    parent = options.get("parent_id")
    return t(locale, "info.parent_value", job=parent) if isinstance(parent, int) else None
