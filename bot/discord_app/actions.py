"""What commands and buttons do, in one place: start a job, re-roll, vary, delete, re-run,
cancel, turn history pages. Cogs and buttons stay thin and call these."""

from __future__ import annotations

import dataclasses

import aiohttp
import discord

from ..config import Tunables
from ..engine.engine import JobEngine
from ..engine.events import JobRequest
from ..generation import ImageOptions, validate_image
from ..mps.models import TaskKind
from ..references import check_reference_bytes, read_head
from ..rules.rulebook import Ask
from ..storage.jobs import Job, JobState, JobStore
from .errors import Refusal, locale_of, report_error, say
from .listings import Listings
from .messenger import JobMessenger
from .tracker import JobTracker

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
    ) -> None:
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
        valid = validate_image(options, self.tunables)
        # Every rule is checked (and the place reserved) before the public "thinking…".
        admission = await self.engine.admit(
            Ask(interaction.guild_id, interaction.user.id, TaskKind.IMAGE)
        )
        try:
            await interaction.response.defer(thinking=True)
        except BaseException:
            admission.release()
            raise
        job = await self.engine.submit(
            JobRequest(
                kind=TaskKind.IMAGE,
                guild_id=interaction.guild_id,
                user_id=interaction.user.id,
                model=valid.spec.name,
                prompt=valid.request.prompt,
                request=valid.request.to_api(),
                options=valid.record(options),
                frontend={
                    "channel_id": interaction.channel_id,
                    "attachment_size_limit": interaction.filesize_limit,
                },
                locale=locale_of(interaction),
            ),
            admission,
        )
        self.messenger.remember(job.id, interaction)
        self.tracker.track(job.id)
        return job

    async def _job_in_guild(self, interaction: discord.Interaction, job_id: int) -> Job:
        job = await self.store.get(job_id)
        if job is None or job.guild_id != interaction.guild_id:
            raise Refusal("error.job_not_found", job=job_id)
        return job

    async def reroll(self, interaction: discord.Interaction, job_id: int, _: int) -> None:
        """Same prompt and options again; the new job belongs to whoever pressed."""
        job = await self._job_in_guild(interaction, job_id)
        await self.start(interaction, await fresh_options(interaction, job))

    async def rerun(self, interaction: discord.Interaction, job_id: int, _: int) -> None:
        job = await self._job_in_guild(interaction, job_id)
        if job.user_id != interaction.user.id:
            raise Refusal("error.not_your_job")
        await self.start(interaction, await fresh_options(interaction, job))

    async def vary(self, interaction: discord.Interaction, job_id: int, index: int) -> None:
        """The result itself becomes the reference image of a new job."""
        job = await self._job_in_guild(interaction, job_id)
        message = interaction.message
        if message is None or index >= len(message.attachments):
            raise Refusal("error.result_gone")
        # Attachment URLs are signed and expire: the one on the message just pressed is fresh.
        url = message.attachments[index].url
        options = dataclasses.replace(ImageOptions.from_record(job.options), references=(url,))
        await self.start(interaction, options)

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


async def fresh_options(interaction: discord.Interaction, job: Job) -> ImageOptions:
    """A job's options with its reference images' Discord URLs signed afresh: attachment
    URLs expire after about a day, and a re-roll may come much later. Discord refreshes at
    most 50 at a time; a URL it does not know comes back unchanged."""
    options = ImageOptions.from_record(job.options)
    urls = list(options.references)
    if not urls:
        return options
    refreshed: dict[str, str] = {}
    for start in range(0, len(urls), 50):
        answer = await interaction.client.http.request(
            discord.http.Route("POST", REFRESH_URLS),
            json={"attachment_urls": urls[start : start + 50]},
        )
        for pair in answer.get("refreshed_urls") or ():
            if pair.get("original") and pair.get("refreshed"):
                refreshed[pair["original"]] = pair["refreshed"]
    return dataclasses.replace(options, references=tuple(refreshed.get(url, url) for url in urls))
