"""Jobs, for every front end: what a member may ask, and the asking itself.

The service holds the rules of a job's life that are not the engine's: a server's default
model and size, who may press what (owner-only buttons, deleting, re-running, cancelling),
validation of images and videos, reference checks, and the options a Re-roll, Vary,
Animate or Run again asks with. It never touches Discord: what only Discord can do (sign
an attachment URL afresh) comes in as a callable.

Asking is two steps, because Discord wants an answer within 3 seconds: `ask_*` validates
and admits (every rule checked, the member's place reserved) and returns a `Ticket`; the
front end then shows it is working (Discord defers) and `launch`es the ticket, or
`release`s it if it could not.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..asks.images import ImageOptions, validate_image
from ..asks.references import check_declared, check_reference_bytes
from ..asks.videos import VideoOptions, validate_video
from ..config.tunables import Tunables
from ..engine.admission import Admission
from ..engine.engine import JobEngine
from ..engine.events import JobRequest
from ..mps.models import TaskKind
from ..refusal import Refusal
from ..rules.rulebook import Ask
from ..rules.server_settings import ServerSettingsReader
from ..storage.jobs import Job, JobState, JobStore
from .listings import download_offered
from .members import Member

# The first bytes of an uploaded file (to tell what it is), and attachment URLs signed
# afresh (original -> refreshed; a URL the platform does not know is left out).
HeadReader = Callable[[str], Awaitable[bytes]]
UrlRefresher = Callable[[list[str]], Awaitable[Mapping[str, str]]]
# A member's warnings that could not be sent to them directly, taken once.
WarningsReader = Callable[[int, int], Awaitable[list[str]]]


@dataclass
class Ticket:
    """An admitted ask: valid, every rule passed, the member's place reserved. Launch it,
    or release it if the job is not going to be launched."""

    member: Member
    kind: TaskKind
    model: str
    prompt: str | None
    request: dict[str, Any]
    record: dict[str, Any]  # what was asked, kept with the job for history and re-runs
    admission: Admission
    # How many tasks (jobs, one batch) the ask takes, and the outputs each one bills.
    tasks: int = 1
    units: int = 1

    def release(self) -> None:
        self.admission.release()


class JobService:
    def __init__(
        self,
        *,
        engine: JobEngine,
        store: JobStore,
        settings: ServerSettingsReader,
        tunables: Tunables,
        read_head: HeadReader,
        warnings: WarningsReader | None = None,
    ) -> None:
        self.engine = engine
        self.store = store  # read only: the engine writes jobs
        self.settings = settings
        self.tunables = tunables
        self._read_head = read_head
        self._warnings = warnings

    # -- what a server offers --------------------------------------------------------------

    def with_server_defaults(self, guild_id: int, options: ImageOptions) -> ImageOptions:
        """The server's default model (and size, for that model) where none was chosen."""
        server = self.settings.get(guild_id)
        if options.model is None:
            options = dataclasses.replace(options, model=server.default_model)
        size = server.default_size
        spec = self.tunables.models.get(options.model or "")
        if (
            size
            and options.size is None
            and options.aspect is None
            and spec is not None
            and spec.name == server.default_model
            and size in spec.sizes
        ):
            options = dataclasses.replace(options, size=size)
        return options

    def model_choices(self, guild_id: int, typed: str) -> list[tuple[str, str]]:
        """(label, value) of the image models and versions this server allows that match
        what was typed so far; value is `name:version`."""
        allowed = self.settings.get(guild_id).models
        wanted = typed.lower()
        choices = []
        for spec in self.tunables.models.values():
            if allowed and spec.name not in allowed:
                continue
            for version in spec.versions:
                label = f"{spec.name} {version}"
                if wanted in label.lower():
                    choices.append((label, f"{spec.name}:{version}"))
        return choices

    def video_model_choices(self, guild_id: int, typed: str) -> list[tuple[str, str]]:
        """The same for the video models this server allows."""
        allowed = self.settings.get(guild_id).video_models
        wanted = typed.lower()
        return [
            (f"{spec.name} {version}", f"{spec.name}:{version}")
            for spec in self.tunables.video_models.values()
            if not allowed or spec.name in allowed
            for version in spec.versions
            if wanted in f"{spec.name} {version}".lower()
        ]

    # -- references ------------------------------------------------------------------------

    async def reference(self, url: str, content_type: str | None, filename: str, size: int) -> str:
        """An uploaded reference image, checked for free: its declared type and size, then
        its first bytes (a 0-byte file or a text file named .png never costs a Create)."""
        limit = self.tunables.max_reference_bytes
        check_declared(content_type, filename, size, limit)
        check_reference_bytes(await self._read_head(url), content_type, limit)
        return url

    async def frame(self, url: str, content_type: str | None, filename: str, size: int) -> str:
        """An uploaded video frame, checked the same way: JPEG or PNG only, as the video
        fields are documented."""
        limit = self.tunables.video.max_frame_bytes
        check_declared(content_type, filename, size, limit, frame=True)
        check_reference_bytes(await self._read_head(url), content_type, limit, frame=True)
        return url

    # -- asking ----------------------------------------------------------------------------

    async def ask_image(self, member: Member, options: ImageOptions) -> Ticket:
        """Validate (free), then admit: a Ticket, or a Refusal saying why not. An ask for
        several images of a model that makes one per task takes that many tasks."""
        server = self.settings.get(member.guild_id)
        valid = validate_image(
            self.with_server_defaults(member.guild_id, options), self.tunables, mark=server.ai_mark
        )
        request = valid.request
        return await self._admit(
            member,
            TaskKind.IMAGE,
            model=valid.spec.name,
            prompt=request.prompt,
            negative_prompt=request.negative_prompt,
            request=request.to_api(),
            record=valid.record(options),
            tasks=valid.tasks,
            units=valid.units_per_task,
        )

    async def ask_video(self, member: Member, options: VideoOptions) -> Ticket:
        server = self.settings.get(member.guild_id)
        if options.model is None:
            options = dataclasses.replace(options, model=server.video_default_model)
        valid = validate_video(options, self.tunables, mark=server.ai_mark)
        return await self._admit(
            member,
            TaskKind.VIDEO,
            model=valid.spec.name,
            prompt=valid.request.prompt,
            negative_prompt=valid.request.negative_prompt,
            request=valid.request.to_api(),
            record=valid.record(options),
        )

    async def _admit(
        self,
        member: Member,
        kind: TaskKind,
        *,
        model: str,
        prompt: str | None,
        negative_prompt: str | None,
        request: dict[str, Any],
        record: dict[str, Any],
        tasks: int = 1,
        units: int = 1,
    ) -> Ticket:
        admission = await self.engine.admit(
            Ask(
                member.guild_id,
                member.user_id,
                kind,
                model=model,
                prompt=prompt,
                negative_prompt=negative_prompt,
                channel_id=member.channel_id,
                roles=member.roles,
                units=tasks * units,
            )
        )
        return Ticket(member, kind, model, prompt, request, record, admission, tasks, units)

    async def launch(self, ticket: Ticket, frontend: Mapping[str, Any] | None = None) -> Job:
        """Write and queue the ticket's jobs (one batch) and return the first; `frontend` is
        what the front end needs to find them again (its channel, say), kept with them."""
        member = ticket.member
        return await self.engine.submit(
            JobRequest(
                kind=ticket.kind,
                guild_id=member.guild_id,
                user_id=member.user_id,
                model=ticket.model,
                prompt=ticket.prompt,
                request=ticket.request,
                options=ticket.record,
                frontend=dict(frontend or {}),
                locale=member.locale,
                units=ticket.units,
                tasks=ticket.tasks,
            ),
            ticket.admission,
        )

    async def take_warnings(self, member: Member) -> list[str]:
        """A moderator's warnings that wait for this member, each shown once."""
        if self._warnings is None:
            return []
        return await self._warnings(member.guild_id, member.user_id)

    # -- asking again from a stored job ----------------------------------------------------

    async def ask_reroll(self, member: Member, job_id: int, refresh: UrlRefresher) -> Ticket:
        """Same prompt and options again; the new job belongs to whoever pressed."""
        job = await self.job_here(member, job_id)
        self._may_press(member, job)
        return await self._ask_like(member, job, refresh)

    async def ask_rerun(self, member: Member, job_id: int, refresh: UrlRefresher) -> Ticket:
        """Run again, from /history: one's own jobs only."""
        job = await self.job_here(member, job_id)
        self._owned(member, job)
        return await self._ask_like(member, job, refresh)

    async def ask_vary(
        self, member: Member, job_id: int, images: Sequence[str] | None, index: int
    ) -> Ticket:
        """The result at `index` of `images` (the URLs on the result's message, freshly
        signed; None: the message is gone) becomes the reference image of a new job."""
        job = await self.job_here(member, job_id)
        self._may_press(member, job)
        if images is None or index >= len(images):
            raise Refusal("error.result_gone")
        options = ImageOptions.from_record(job.options)
        return await self.ask_image(
            member, dataclasses.replace(options, references=(images[index],))
        )

    async def ask_animate(
        self, member: Member, job_id: int, images: Sequence[str] | None, index: int
    ) -> Ticket:
        """The image result becomes the first frame of a video, with the image's prompt."""
        job = await self.job_here(member, job_id)
        self._may_press(member, job)
        if job.kind is not TaskKind.IMAGE or images is None or index >= len(images):
            raise Refusal("error.result_gone")
        return await self.ask_video(
            member, VideoOptions(prompt=job.prompt, first_frame=images[index])
        )

    async def _ask_like(self, member: Member, job: Job, refresh: UrlRefresher) -> Ticket:
        """A new job asked exactly as `job` was, image or video, its uploaded images' URLs
        signed afresh (they expire after about a day; a re-roll may come much later)."""
        if job.kind is TaskKind.VIDEO:
            video = VideoOptions.from_record(job.options)
            frames = [url for url in (video.first_frame, video.last_frame) if url]
            frames += video.references
            fresh = await refresh(frames) if frames else {}
            video = dataclasses.replace(
                video,
                first_frame=fresh.get(video.first_frame or "", video.first_frame),
                last_frame=fresh.get(video.last_frame or "", video.last_frame),
                references=tuple(fresh.get(url, url) for url in video.references),
            )
            return await self.ask_video(member, video)
        image = ImageOptions.from_record(job.options)
        if image.references:
            fresh = await refresh(list(image.references))
            image = dataclasses.replace(
                image, references=tuple(fresh.get(url, url) for url in image.references)
            )
        return await self.ask_image(member, image)

    # -- who may do what with a job --------------------------------------------------------

    async def job_here(self, member: Member, job_id: int) -> Job:
        """A job of the member's server; another server's does not exist as far as they know."""
        job = await self.store.get(job_id)
        if job is None or job.guild_id != member.guild_id:
            raise Refusal("error.job_not_found", job=job_id)
        return job

    def _owned(self, member: Member, job: Job) -> None:
        if job.user_id != member.user_id:
            raise Refusal("error.not_your_job")

    def _may_press(self, member: Member, job: Job) -> None:
        """Re-roll, Vary and Animate spend the presser's quota; a server may keep them to
        the owner of the result."""
        if job.user_id != member.user_id and self.settings.get(job.guild_id).buttons == "owner":
            raise Refusal("admin.refused.buttons")

    async def deletable(self, member: Member, job_id: int) -> Job:
        """Delete is for the person who asked, or anyone who may manage messages."""
        job = await self.job_here(member, job_id)
        if job.user_id != member.user_id and not member.manage_messages:
            raise Refusal("error.delete_not_allowed")
        return job

    async def cancel(self, member: Member, job_id: int) -> Job:
        """Cancel one's own job while it waits; once MPS has it, it cannot be recalled."""
        job = await self.job_here(member, job_id)
        self._owned(member, job)
        if job.state is not JobState.QUEUED or not await self.engine.cancel(job.id):
            raise Refusal("error.cannot_cancel", job=job.id)
        return job

    async def downloadable(self, member: Member, job_id: int, now: float) -> Job:
        """One's own video that was made but was too big to post, while it is kept."""
        job = await self.job_here(member, job_id)
        self._owned(member, job)
        if not download_offered(job, self.tunables.video.keep_hours, now):
            raise Refusal("video.error.download_gone")
        return job
