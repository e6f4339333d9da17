"""What commands and buttons do, in one place: start a job, re-roll, vary, delete, re-run,
cancel, turn history pages. Cogs and buttons stay thin and call these."""

from __future__ import annotations

import dataclasses
import io
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import discord

from ..asks.images import ImageOptions, validate_image
from ..asks.references import check_reference_bytes, read_head
from ..asks.videos import VideoOptions, validate_video
from ..config.tunables import Tunables
from ..engine.engine import JobEngine
from ..engine.events import JobRequest
from ..mps.models import TaskKind
from ..refusal import Refusal
from ..rules.rulebook import Ask
from ..storage.jobs import Job, JobState, JobStore
from . import render
from .errors import locale_of, report_error, say
from .listings import Listings
from .messenger import JobMessenger
from .tracker import JobTracker
from .video_details import download_offered
from .video_rescue import rescue_upload

REFERENCE_TYPES = ("image/jpeg", "image/png", "image/webp")


def check_reference(attachment: discord.Attachment, max_bytes: int) -> None:
    """Refuse a bad reference before anything is spent."""
    content_type = (attachment.content_type or "").split(";")[0].strip().lower()
    if content_type not in REFERENCE_TYPES:
        raise Refusal("error.reference_type", type=content_type or attachment.filename)
    if attachment.size > max_bytes:
        raise Refusal(
            "error.reference_too_large",
            size=f"{attachment.size / 2**20:.1f}",
            max=f"{max_bytes / 2**20:.0f}",
        )


class JobActions:
    def __init__(
        self,
        *,
        session: aiohttp.ClientSession,
        engine: JobEngine,
        store: JobStore,
        messenger: JobMessenger,
        tracker: JobTracker,
        listings: Listings,
        tunables: Tunables,
        warnings: Callable[[int, int], Awaitable[list[str]]] | None = None,
    ) -> None:
        # A moderator's warning that could not be sent by DM waits for the member here.
        self.warnings = warnings
        self.session = session  # reads uploaded references' first bytes
        self.engine = engine
        self.store = store  # read only: the engine writes jobs
        self.messenger = messenger
        self.tracker = tracker
        self.listings = listings
        self.tunables = tunables

    async def run_guarded(
        self, interaction: discord.Interaction, action: str, job_id: int, index: int
    ) -> None:
        """Button entry point: any error becomes a message to the presser."""
        try:
            await getattr(self, action)(interaction, job_id, index)
        except Exception as exc:
            await report_error(interaction, exc)

    # -- creating jobs ---------------------------------------------------------------------

    async def reference_url(self, attachment: discord.Attachment) -> str:
        """An uploaded reference, checked for free: its declared type and size, then its
        first bytes (a 0-byte file or a text file named .png never costs a Create)."""
        limit = self.tunables.max_reference_bytes
        check_reference(attachment, limit)
        head = await read_head(self.session, attachment.url)
        check_reference_bytes(head, attachment.content_type, limit)
        return attachment.url

    async def start(self, interaction: discord.Interaction, options: ImageOptions) -> Job:
        """Validate (free), defer within Discord's 3 seconds, then queue the job."""
        if interaction.guild_id is None:
            raise Refusal("error.guild_only")
        valid = validate_image(self._server_defaults(interaction.guild_id, options), self.tunables)
        request = valid.request
        return await self._launch(
            interaction,
            TaskKind.IMAGE,
            model=valid.spec.name,
            prompt=request.prompt,
            negative_prompt=request.negative_prompt,
            request=request.to_api(),
            record=valid.record(options),
        )

    async def start_video(self, interaction: discord.Interaction, options: VideoOptions) -> Job:
        """`start` for a video: validate (free), admit as a video, defer, queue."""
        if interaction.guild_id is None:
            raise Refusal("error.guild_only")
        valid = validate_video(options, self.tunables)
        return await self._launch(
            interaction,
            TaskKind.VIDEO,
            model=valid.spec.name,
            prompt=valid.request.prompt,
            negative_prompt=None,
            request=valid.request.to_api(),
            record=valid.record(options),
        )

    async def _launch(
        self,
        interaction: discord.Interaction,
        kind: TaskKind,
        *,
        model: str,
        prompt: str | None,
        negative_prompt: str | None,
        request: dict,
        record: dict,
    ) -> Job:
        """Admit (every rule, the place reserved) before the public "thinking…", then queue
        the job and follow it."""
        assert interaction.guild_id is not None
        admission = await self.engine.admit(
            Ask(
                interaction.guild_id,
                interaction.user.id,
                kind,
                model=model,
                prompt=prompt,
                negative_prompt=negative_prompt,
                channel_id=interaction.channel_id,
                roles=tuple(r.id for r in getattr(interaction.user, "roles", ())),
            )
        )
        try:
            await interaction.response.defer(thinking=True)
        except BaseException:
            admission.release()
            raise
        job = await self.engine.submit(
            JobRequest(
                kind=kind,
                guild_id=interaction.guild_id,
                user_id=interaction.user.id,
                model=model,
                prompt=prompt,
                request=request,
                options=record,
                frontend={
                    "channel_id": interaction.channel_id,
                    "attachment_size_limit": interaction.filesize_limit,
                },
                locale=locale_of(interaction),
            ),
            admission,
        )
        self.messenger.remember(job.id, interaction)
        await self._show_warnings(interaction, job)
        self.tracker.track(job.id)
        return job

    async def _start_like(self, interaction: discord.Interaction, job: Job) -> None:
        """A new job asked exactly as `job` was, image or video, with its uploaded images'
        URLs refreshed."""
        if job.kind is TaskKind.VIDEO:
            video = VideoOptions.from_record(job.options)
            frames = [url for url in (video.first_frame, video.last_frame) if url]
            fresh = await refreshed_urls(interaction, frames) if frames else {}
            video = dataclasses.replace(
                video,
                first_frame=fresh.get(video.first_frame or "", video.first_frame),
                last_frame=fresh.get(video.last_frame or "", video.last_frame),
            )
            await self.start_video(interaction, video)
            return
        image = ImageOptions.from_record(job.options)
        if image.references:
            fresh = await refreshed_urls(interaction, list(image.references))
            image = dataclasses.replace(
                image, references=tuple(fresh.get(url, url) for url in image.references)
            )
        await self.start(interaction, image)

    def _server_defaults(self, guild_id: int, options: ImageOptions) -> ImageOptions:
        """The server's default model (and size, for that model) where none was chosen."""
        store = self.engine.rules.settings
        if store is None:
            return options
        guild = store.get(guild_id)
        if options.model is None:
            options = dataclasses.replace(options, model=guild.get("default_model"))
        size = guild.get("default_size")
        spec = self.tunables.models.get(options.model or "")
        if (
            size
            and options.size is None
            and options.aspect is None
            and spec is not None
            and spec.name == guild.get("default_model")
            and size in spec.sizes
        ):
            options = dataclasses.replace(options, size=size)
        return options

    def _may_press(self, interaction: discord.Interaction, job: Job) -> None:
        """Re-roll, Vary and Animate spend the presser's quota; a server may keep them to the
        owner of the result."""
        store = self.engine.rules.settings
        if (
            store is not None
            and job.user_id != interaction.user.id
            and store.get(job.guild_id).get("buttons") == "owner"
        ):
            raise Refusal("admin.refused.buttons")

    async def _show_warnings(self, interaction: discord.Interaction, job: Job) -> None:
        if self.warnings is None or interaction.guild_id is None:
            return
        texts = await self.warnings(interaction.guild_id, interaction.user.id)
        if not texts:
            return
        # The job's message first (a follow-up to a bare deferral would replace it), then
        # the warning, privately.
        progress = self.engine.progress(job.id)
        if progress is not None:
            locale = locale_of(interaction)
            await interaction.edit_original_response(
                embed=render.progress_embed(job, progress, locale)
            )
        header = say(interaction, "moderation.warning_header")
        await interaction.followup.send("\n\n".join([header, *texts]), ephemeral=True)

    async def _job_in_guild(self, interaction: discord.Interaction, job_id: int) -> Job:
        job = await self.store.get(job_id)
        if job is None or job.guild_id != interaction.guild_id:
            raise Refusal("error.job_not_found", job=job_id)
        return job

    async def reroll(self, interaction: discord.Interaction, job_id: int, _: int) -> None:
        """Same prompt and options again; the new job belongs to whoever pressed."""
        job = await self._job_in_guild(interaction, job_id)
        self._may_press(interaction, job)
        await self._start_like(interaction, job)

    async def rerun(self, interaction: discord.Interaction, job_id: int, _: int) -> None:
        job = await self._job_in_guild(interaction, job_id)
        if job.user_id != interaction.user.id:
            raise Refusal("error.not_your_job")
        await self._start_like(interaction, job)

    async def vary(self, interaction: discord.Interaction, job_id: int, index: int) -> None:
        """The result itself becomes the reference image of a new job."""
        job = await self._job_in_guild(interaction, job_id)
        self._may_press(interaction, job)
        message = interaction.message
        if message is None or index >= len(message.attachments):
            raise Refusal("error.result_gone")
        # Attachment URLs are signed and expire: the one on the message just pressed is fresh.
        url = message.attachments[index].url
        options = dataclasses.replace(ImageOptions.from_record(job.options), references=(url,))
        await self.start(interaction, options)

    async def animate(self, interaction: discord.Interaction, job_id: int, index: int) -> None:
        """The image result becomes the first frame of a video, with the image's prompt."""
        job = await self._job_in_guild(interaction, job_id)
        self._may_press(interaction, job)
        message = interaction.message
        if job.kind is not TaskKind.IMAGE or message is None:
            raise Refusal("error.result_gone")
        if index >= len(message.attachments):
            raise Refusal("error.result_gone")
        # As for Vary: the URL on the message just pressed is freshly signed.
        url = message.attachments[index].url
        await self.start_video(interaction, VideoOptions(prompt=job.prompt, first_frame=url))

    async def download(self, interaction: discord.Interaction, job_id: int, _: int) -> None:
        """A video that was made but was too big to post: try again, smaller, privately."""
        job = await self._job_in_guild(interaction, job_id)
        if job.user_id != interaction.user.id:
            raise Refusal("error.not_your_job")
        video = self.tunables.video
        if not download_offered(job, video.keep_hours, time.time()):
            raise Refusal("video.error.download_gone")
        files = [(Path(r.path), r.filename) for r in job.results]
        await interaction.response.defer(ephemeral=True, thinking=True)
        upload = await rescue_upload(files, interaction.filesize_limit, video)
        await interaction.followup.send(
            say(interaction, "video.download_ready", job=job.id),
            file=discord.File(io.BytesIO(upload.data), filename=upload.filename),
            ephemeral=True,
        )

    # -- managing jobs ---------------------------------------------------------------------

    async def delete(self, interaction: discord.Interaction, job_id: int, _: int) -> None:
        job = await self._job_in_guild(interaction, job_id)
        moderator = interaction.permissions.manage_messages
        if job.user_id != interaction.user.id and not moderator:
            raise Refusal("error.delete_not_allowed")
        if interaction.message is not None:
            await interaction.message.delete()
        await interaction.response.send_message(
            say(interaction, "discord.deleted", job=job.id), ephemeral=True
        )

    async def cancel(self, interaction: discord.Interaction, job_id: int, _: int) -> None:
        job = await self._job_in_guild(interaction, job_id)
        if job.user_id != interaction.user.id:
            raise Refusal("error.not_your_job")
        if job.state is not JobState.QUEUED or not await self.engine.cancel(job.id):
            raise Refusal("error.cannot_cancel", job=job.id)
        embed, view = await self.listings.queue(interaction)
        await interaction.response.edit_message(embed=embed, view=view)

    async def history_page(self, interaction: discord.Interaction, owner: int, page: int) -> None:
        if owner != interaction.user.id:
            raise Refusal("error.not_your_history")
        embed, view = await self.listings.history(interaction, page)
        await interaction.response.edit_message(embed=embed, view=view)


REFRESH_URLS = "/attachments/refresh-urls"


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
