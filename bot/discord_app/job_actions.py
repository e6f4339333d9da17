"""What job commands and buttons do in Discord: answer in time, launch, draw.

The job service decides (who may press what, what a re-roll asks for, what is valid);
this class does the Discord part around it: the 3-second answer (a ticket is admitted
before the public "thinking…", released if that fails), the job's message, warnings shown
privately, and the listings' buttons. Each button calls one method here by name.
"""

from __future__ import annotations

import io
import time
from functools import partial
from pathlib import Path

import discord

from ..config.tunables import Tunables
from ..services.jobs import JobService, Ticket
from ..services.listings import JobListings
from ..services.members import Member
from ..storage.jobs import Job
from . import render
from .errors import answers_errors
from .interactions import member_of, say
from .listings import ListingViews
from .messenger import JobMessenger
from .tracker import JobTracker
from .video_rescue import rescue_upload

REFRESH_URLS = "/attachments/refresh-urls"


class JobActions:
    def __init__(
        self,
        *,
        jobs: JobService,
        messenger: JobMessenger,
        tracker: JobTracker,
        listings: JobListings,
        views: ListingViews,
        tunables: Tunables,
    ) -> None:
        self.jobs = jobs
        self.messenger = messenger
        self.tracker = tracker
        self.listings = listings
        self.views = views
        self.tunables = tunables

    async def reference(self, attachment: discord.Attachment) -> str:
        """An uploaded reference image's URL, once the job service found it fit."""
        return await self.jobs.reference(
            attachment.url, attachment.content_type, attachment.filename, attachment.size
        )

    async def frame(self, attachment: discord.Attachment) -> str:
        """An uploaded video frame's URL, once the job service found it fit."""
        return await self.jobs.frame(
            attachment.url, attachment.content_type, attachment.filename, attachment.size
        )

    async def launch(self, interaction: discord.Interaction, member: Member, ticket: Ticket) -> Job:
        """Answer within Discord's 3 seconds (the public "thinking…"), then launch the
        admitted job and follow it on that message."""
        try:
            await interaction.response.defer(thinking=True)
        except BaseException:
            ticket.release()
            raise
        job = await self.jobs.launch(
            ticket,
            {"channel_id": member.channel_id, "attachment_size_limit": member.upload_limit},
        )
        self.messenger.remember(job.id, interaction)
        await self._show_warnings(interaction, member, job)
        self.tracker.track(job.id)
        return job

    async def _show_warnings(
        self, interaction: discord.Interaction, member: Member, job: Job
    ) -> None:
        texts = await self.jobs.take_warnings(member)
        if not texts:
            return
        # The job's message first (a follow-up to a bare deferral would replace it), then
        # the warning, privately.
        progress = self.listings.progress(job.id)
        if progress is not None:
            await interaction.edit_original_response(
                embed=render.progress_embed(job, progress, member.locale)
            )
        header = say(interaction, "moderation.warning_header")
        await interaction.followup.send("\n\n".join([header, *texts]), ephemeral=True)

    # -- buttons on a result ---------------------------------------------------------------

    @answers_errors
    async def reroll(self, interaction: discord.Interaction, job_id: int) -> None:
        """Same prompt and options again; the new job belongs to whoever pressed."""
        member = member_of(interaction)
        refresh = partial(refreshed_urls, interaction)
        await self.launch(interaction, member, await self.jobs.ask_reroll(member, job_id, refresh))

    @answers_errors
    async def vary(self, interaction: discord.Interaction, job_id: int, index: int) -> None:
        """The result itself becomes the reference image of a new job."""
        member = member_of(interaction)
        ticket = await self.jobs.ask_vary(member, job_id, _images_on(interaction), index)
        await self.launch(interaction, member, ticket)

    @answers_errors
    async def animate_result(
        self, interaction: discord.Interaction, job_id: int, index: int
    ) -> None:
        """The image result becomes the first frame of a video, with the image's prompt."""
        member = member_of(interaction)
        ticket = await self.jobs.ask_animate(member, job_id, _images_on(interaction), index)
        await self.launch(interaction, member, ticket)

    @answers_errors
    async def delete(self, interaction: discord.Interaction, job_id: int) -> None:
        job = await self.jobs.deletable(member_of(interaction), job_id)
        if interaction.message is not None:
            await interaction.message.delete()
        await interaction.response.send_message(
            say(interaction, "discord.deleted", job=job.id), ephemeral=True
        )

    # -- buttons of /history and /queue ----------------------------------------------------

    @answers_errors
    async def rerun(self, interaction: discord.Interaction, job_id: int) -> None:
        member = member_of(interaction)
        refresh = partial(refreshed_urls, interaction)
        await self.launch(interaction, member, await self.jobs.ask_rerun(member, job_id, refresh))

    @answers_errors
    async def download(self, interaction: discord.Interaction, job_id: int) -> None:
        """A video that was made but was too big to post: try again, smaller, privately."""
        job = await self.jobs.downloadable(member_of(interaction), job_id, time.time())
        files = [(Path(r.path), r.filename) for r in job.results]
        await interaction.response.defer(ephemeral=True, thinking=True)
        upload = await rescue_upload(files, interaction.filesize_limit, self.tunables.video)
        await interaction.followup.send(
            say(interaction, "video.download_ready", job=job.id),
            file=discord.File(io.BytesIO(upload.data), filename=upload.filename),
            ephemeral=True,
        )

    @answers_errors
    async def cancel(self, interaction: discord.Interaction, job_id: int) -> None:
        member = member_of(interaction)
        await self.jobs.cancel(member, job_id)
        embed, view = await self.views.queue(member)
        await interaction.response.edit_message(embed=embed, view=view)

    @answers_errors
    async def history_page(
        self, interaction: discord.Interaction, owner_id: int, page: int
    ) -> None:
        member = member_of(interaction)
        self.listings.check_history_owner(member, owner_id)
        embed, view = await self.views.history(member, page)
        await interaction.response.edit_message(embed=embed, view=view)


def _images_on(interaction: discord.Interaction) -> list[str] | None:
    """The URLs of the pressed message's attachments, freshly signed (None: no message)."""
    message = interaction.message
    return None if message is None else [a.url for a in message.attachments]


async def refreshed_urls(interaction: discord.Interaction, urls: list[str]) -> dict[str, str]:
    """Discord attachment URLs signed afresh: they expire after about a day, and a re-roll
    may come much later. Discord refreshes at most 50 at a time; a URL it does not know
    comes back unchanged."""
    refreshed: dict[str, str] = {}
    for start in range(0, len(urls), 50):
        answer = await interaction.client.http.request(
            discord.http.Route("POST", REFRESH_URLS),
            json={"attachment_urls": urls[start : start + 50]},
        )
        for pair in answer.get("refreshed_urls") or ():
            if pair.get("original") and pair.get("refreshed"):
                refreshed[pair["original"]] = pair["refreshed"]
    return refreshed
