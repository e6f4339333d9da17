"""What job commands and buttons do in Discord: answer in time, launch, draw.

The job service decides (who may press what, what a re-roll asks for, what is valid);
this class does the Discord part around it: the 3-second answer (a ticket is admitted
before the public "thinking…", released if that fails), the job's message, warnings shown
privately, and the listings' buttons. Each button calls one method here by name.
"""

from __future__ import annotations

import io
import logging
import time
from functools import partial
from pathlib import Path

import discord

from ..asks.images import ImageOptions
from ..asks.videos import VideoOptions
from ..config.tunables import Tunables
from ..media.transcode_pool import TranscodePool
from ..mps.models import TaskKind
from ..refusal import Refusal
from ..services.jobs import JobService, Ticket
from ..services.listings import JobListings
from ..services.members import Member
from ..storage.jobs import Job
from ..text.i18n import t
from . import render
from .errors import answers_errors
from .forms import PromptForm, RemixForm
from .interactions import member_of, say
from .listings import ListingViews
from .messenger import JobMessenger
from .tracker import JobTracker
from .video_rescue import rescue_upload

REFRESH_URLS = "/attachments/refresh-urls"

log = logging.getLogger(__name__)


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
        transcodes: TranscodePool,
    ) -> None:
        self.jobs = jobs
        self.transcodes = transcodes
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
        frontend = {"channel_id": member.channel_id, "attachment_size_limit": member.upload_limit}
        try:
            answer = await interaction.response.defer(thinking=True)
            # Written with the job: whichever process delivers it (after a restart, or the
            # engine's holder in a cluster) edits this message with the bot token.
            message_id = getattr(answer, "message_id", None)
            if message_id is None:
                message_id = (await interaction.original_response()).id
            frontend["message_id"] = message_id
        except BaseException:
            ticket.release()
            raise
        job = await self.jobs.launch(ticket, frontend)
        if self.tracker.engine.running:
            # Its edits go through the token while it lives. (On a standby the engine's
            # holder edits it through the channel; nothing here would ever forget it.)
            self.messenger.remember(job.id, interaction)
        self.tracker.track(job.id)
        # Optional: a follow-up that fails never stands between the job and its delivery.
        try:
            await self._tell_privately(interaction, member, job, ticket.notes)
        except Exception as exc:
            log.warning("job %d: the private follow-up failed: %r", job.id, exc)
        return job

    async def _tell_privately(
        self,
        interaction: discord.Interaction,
        member: Member,
        job: Job,
        notes: tuple[Refusal, ...],
    ) -> None:
        """A moderator's warnings waiting for the member, and the preferences this ask
        left out (one line each), in one private message."""
        warnings = await self.jobs.warnings.take(member)
        lines = [t(member.locale, note.key, **note.params) for note in notes]
        if not warnings and not lines:
            return
        shown = False
        try:
            # The job's message first (a follow-up to a bare deferral would replace it),
            # then the warning, privately.
            progress = self.listings.progress(job.id)
            if progress is not None:
                await interaction.edit_original_response(
                    embed=render.progress_embed(job, progress, member.locale)
                )
            texts = [text for _, text in warnings]
            header = say(interaction, "moderation.warning_header")
            warning = [header, *texts] if texts else []
            parts = ["\n\n".join(warning), "\n".join(lines)]
            await interaction.followup.send("\n\n".join(p for p in parts if p), ephemeral=True)
            shown = True
        finally:
            # Marked shown only once shown; otherwise it waits for the next ask.
            await self.jobs.warnings.settle([i for i, _ in warnings], shown=shown)

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
    async def remix(self, interaction: discord.Interaction, job_id: int) -> None:
        """A form with the job's prompt and negative prompt; submitted, a new job with
        everything else kept."""
        member = member_of(interaction)
        job = await self.jobs.remix_form(member, job_id)
        video = job.kind is TaskKind.VIDEO
        limits = self.tunables
        form = RemixForm(
            job_id=job.id,
            user_id=member.user_id,
            locale=member.locale,
            prompt=job.options.get("prompt", job.prompt),
            negative_prompt=job.options.get("negative_prompt"),
            max_chars=limits.video.max_prompt_chars if video else limits.max_prompt_chars,
            submitted=partial(self.remix_submitted, job_id=job.id),
        )
        await interaction.response.send_modal(form)

    @answers_errors
    async def remix_submitted(
        self,
        interaction: discord.Interaction,
        prompt: str | None,
        negative_prompt: str | None,
        *,
        job_id: int,
    ) -> None:
        member = member_of(interaction)
        refresh = partial(refreshed_urls, interaction)
        ticket = await self.jobs.ask_remix(member, job_id, prompt, negative_prompt, refresh)
        await self.launch(interaction, member, ticket)

    @answers_errors
    async def info(self, interaction: discord.Interaction, job_id: int) -> None:
        """Everything about a result, privately: prompt, options, style, timings, cost,
        the job it was remixed from."""
        embed = await self.views.info(member_of(interaction), job_id)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    # -- message context menus -------------------------------------------------------------

    @answers_errors
    async def use_as_reference(
        self, interaction: discord.Interaction, message: discord.Message
    ) -> None:
        """The message's image becomes the reference of a new image; a form asks for the
        prompt. The image is checked before the form is shown."""
        member = member_of(interaction)
        url = await self.reference(first_image(message))
        form = PromptForm(
            message_id=message.id,
            user_id=member.user_id,
            locale=member.locale,
            max_chars=self.tunables.max_prompt_chars,
            submitted=partial(self.reference_submitted, url=url),
        )
        await interaction.response.send_modal(form)

    @answers_errors
    async def reference_submitted(
        self, interaction: discord.Interaction, prompt: str | None, _: str | None, *, url: str
    ) -> None:
        member = member_of(interaction)
        ticket = await self.jobs.ask_image(member, ImageOptions(prompt=prompt, references=(url,)))
        await self.launch(interaction, member, ticket)

    @answers_errors
    async def animate_message(
        self, interaction: discord.Interaction, message: discord.Message
    ) -> None:
        """A video from the message's image (its first frame), with the member's
        preferences."""
        member = member_of(interaction)
        url = await self.frame(first_image(message))
        ticket = await self.jobs.ask_video(member, VideoOptions(prompt=None, first_frame=url))
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
        upload = await rescue_upload(
            files, interaction.filesize_limit, self.tunables.video, self.transcodes
        )
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


def first_image(message: discord.Message) -> discord.Attachment:
    """The first image attached to a message (the one a context menu works on)."""
    for attachment in message.attachments:
        if (attachment.content_type or "").startswith("image/"):
            return attachment
    raise Refusal("menus.error.no_image")


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
