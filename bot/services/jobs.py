"""Jobs, for every front end: what a member may ask, and the asking itself.

The service holds the rules of a job's life that are not the engine's: a server's default
model and size, the member's preferences (on fresh asks only: a Re-roll, Remix or Vary asks
as its job did), styles, spoilers, who may press what (owner-only buttons, deleting,
re-running, cancelling), validation of images and videos, reference checks, and the options
a Re-roll, Remix, Vary, Animate or Run again asks with. It never touches Discord: what only
Discord can do (sign an attachment URL afresh) comes in as a callable.

Asking is two steps, because Discord wants an answer within 3 seconds: `ask_*` validates
and admits (every rule checked, the member's place reserved) and returns a `Ticket`; the
front end then shows it is working (Discord defers) and `launch`es the ticket, or
`release`s it if it could not.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

from ..asks.images import ImageOptions, validate_image
from ..asks.references import check_declared, check_reference_bytes
from ..asks.styles import Style
from ..asks.videos import VideoOptions, validate_video
from ..config.tunables import Tunables
from ..engine.engine import JobEngine
from ..engine.events import JobRequest
from ..mps.models import TaskKind
from ..refusal import Refusal
from ..rules.rulebook import Ask
from ..rules.server_settings import ServerSettings, ServerSettingsReader
from ..storage.jobs import Job, JobState, JobStore
from .again import linked, options_like
from .listings import download_offered
from .members import Member
from .offers import model_choices, with_server_defaults
from .preferences import PreferenceService
from .spending import Spending
from .styles import StyleService
from .tickets import HeadReader, Ticket, UrlRefresher, WarningsReader, WarningsShown
from .warnings import PendingWarnings

__all__ = [
    "HeadReader",
    "JobService",
    "Ticket",
    "UrlRefresher",
    "WarningsReader",
    "WarningsShown",
]
Options = TypeVar("Options", ImageOptions, VideoOptions)
Choice = tuple[str, str]


class JobService:
    def __init__(
        self,
        *,
        engine: JobEngine,
        store: JobStore,
        settings: ServerSettingsReader,
        tunables: Tunables,
        read_head: HeadReader,
        styles: StyleService,
        preferences: PreferenceService,
        spending: Spending | None = None,
        warnings: WarningsReader | None = None,
        warnings_shown: WarningsShown | None = None,
    ) -> None:
        self.engine = engine
        self.store = store  # read only: the engine writes jobs
        self.settings = settings
        self.tunables = tunables
        self._read_head = read_head
        self.warnings = PendingWarnings(warnings, warnings_shown)  # a moderator's, per member
        self.styles = styles  # styles by name, the built-in ones and the server's
        self.preferences = preferences  # each member's own defaults
        # Prices and budgets (without budgets, asks are priced all the same).
        self.spending = spending or Spending(budgets=None, settings=settings, tunables=tunables)

    # -- what a server offers --------------------------------------------------------------

    def with_server_defaults(self, guild_id: int, options: ImageOptions) -> ImageOptions:
        """The server's default model (and size, for that model) where none was chosen."""
        return with_server_defaults(self.settings.get(guild_id), self.tunables, options)

    def model_choices(self, guild_id: int, typed: str, locale: str = "en-US") -> list[Choice]:
        """(label, `name:version`) of the image models this server allows matching `typed`."""
        details = partial(self.spending.details, self.engine.durations, locale)  # time, price
        allowed = self.settings.get(guild_id).models
        return model_choices(allowed, self.tunables.models, typed, details)

    def video_model_choices(self, guild_id: int, typed: str, locale: str = "en-US") -> list[Choice]:
        """The same for the video models this server allows."""
        details = partial(self.spending.details, self.engine.durations, locale)
        allowed = self.settings.get(guild_id).video_models
        return model_choices(allowed, self.tunables.video_models, typed, details)

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
        """Validate (free), then admit: a Ticket, or a Refusal saying why not. The member's
        preferences fill the options they left out. An ask for several images of a model
        that makes one per task takes that many tasks."""
        options, notes = await self.preferences.for_image(member, options)
        return await self._ask_image(member, options, notes=tuple(notes))

    async def ask_video(self, member: Member, options: VideoOptions) -> Ticket:
        options, notes = await self.preferences.for_video(member, options)
        return await self._ask_video(member, options, notes=tuple(notes))

    async def _ask_image(
        self,
        member: Member,
        options: ImageOptions,
        *,
        notes: tuple[Refusal, ...] = (),
        parent: int | None = None,
    ) -> Ticket:
        """An image asked exactly as `options` say (no preference applied); `parent`: the
        job it was remixed from."""
        server, style, asked = await self._placed(member, options)
        options = self.with_server_defaults(member.guild_id, asked)
        valid = validate_image(options, self.tunables, mark=server.ai_mark, style=style)
        priced = await self.spending.image(
            member.guild_id, options, valid, mark=server.ai_mark, style=style
        )
        # Kept as asked (server defaults apply again on a re-roll), unless switched.
        valid, record = priced.valid, priced.options if priced.note else asked
        return await self.admit(
            member,
            TaskKind.IMAGE,
            model=valid.spec.name,
            prompt=valid.request.prompt,
            negative_prompt=valid.request.negative_prompt,
            request=valid.request.to_api(),
            record=linked(valid.record(record), parent),
            tasks=valid.tasks,
            units=valid.units_per_task,
            notes=(*notes, priced.note) if priced.note else notes,
            cost=priced.cost,
            fallback=priced.fallback,
        )

    async def _ask_video(
        self,
        member: Member,
        options: VideoOptions,
        *,
        notes: tuple[Refusal, ...] = (),
        parent: int | None = None,
    ) -> Ticket:
        server, style, options = await self._placed(member, options)
        if options.model is None:
            options = dataclasses.replace(options, model=server.video_default_model)
        valid = validate_video(options, self.tunables, mark=server.ai_mark, style=style)
        cost = await self.spending.video(member.guild_id, valid)
        return await self.admit(
            member,
            TaskKind.VIDEO,
            model=valid.spec.name,
            prompt=valid.request.prompt,
            negative_prompt=valid.request.negative_prompt,
            request=valid.request.to_api(),
            record=linked(valid.record(options), parent),
            notes=notes,
            cost=cost,
        )

    async def _placed(
        self, member: Member, options: Options
    ) -> tuple[ServerSettings, Style | None, Options]:
        """The server, the style the options name, and the options with the spoiler rule
        of the channel they were asked in."""
        server = self.settings.get(member.guild_id)
        style = await self.styles.resolve(member.guild_id, options.style)
        spoiler = options.spoiler or server.spoils(member.channel_id)
        return server, style, dataclasses.replace(options, spoiler=spoiler)

    async def admit(
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
        notes: tuple[Refusal, ...] = (),
        cost: float = 0.0,
        fallback: bool = False,
    ) -> Ticket:
        """`prompt` and `negative_prompt` as sent (a style's text included): the rules'
        blocked words are looked for in what Tencent would be sent. `cost`: the whole
        ask's estimate, which the budgets count."""
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
                cost=cost,
                fallback=fallback,
            )
        )
        # The job shows the member's own words; the request holds what was sent.
        shown, each = record.get("prompt"), (cost / tasks if cost else None)
        record = self._with_probation(member, record)
        return Ticket(
            member, kind, model, shown, request, record, admission, tasks, units, notes, each
        )

    def _with_probation(self, member: Member, record: dict[str, Any]) -> dict[str, Any]:
        """The job's record, marked when its results must wait for a moderator. Judged at
        each ask from who asks: a re-roll of a held result by someone else is theirs."""
        server = self.settings.get(member.guild_id)
        held = server.on_probation(
            member.roles, member.joined_at, time.time(), manage_messages=member.manage_messages
        )
        record = {k: v for k, v in record.items() if k != "probation"}
        return {**record, "probation": True} if held else record

    async def launch(self, ticket: Ticket, frontend: Mapping[str, Any] | None = None) -> Job:
        """Write and queue the ticket's jobs (one batch) and return the first; `frontend` is
        what the front end needs to find them again (its channel, say), kept with them."""
        member = ticket.member
        job = await self.engine.submit(
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
                cost=ticket.cost,
            ),
            ticket.admission,
        )
        self.spending.admitted(member.guild_id)  # a budget's 80 % warning may be due
        return job

    # -- asking again from a stored job ----------------------------------------------------

    async def ask_reroll(self, member: Member, job_id: int, refresh: UrlRefresher) -> Ticket:
        """Same prompt and options again; the new job belongs to whoever pressed."""
        job = await self.job_here(member, job_id)
        self.may_press(member, job)
        return await self._ask_like(member, job, refresh)

    async def ask_rerun(self, member: Member, job_id: int, refresh: UrlRefresher) -> Ticket:
        """Run again, from /history: one's own jobs only."""
        job = await self.job_here(member, job_id)
        self._owned(member, job)
        return await self._ask_like(member, job, refresh)

    async def remix_form(self, member: Member, job_id: int) -> Job:
        """The job a member may remix (checked before the form is shown): its record
        holds the prompt and negative prompt to start from."""
        job = await self.job_here(member, job_id)
        self.may_press(member, job)
        return job

    async def ask_remix(
        self,
        member: Member,
        job_id: int,
        prompt: str | None,
        negative_prompt: str | None,
        refresh: UrlRefresher,
    ) -> Ticket:
        """The job's options (model, size, aspect, references, style…) with a new prompt
        and negative prompt; the new job links to the one it was remixed from."""
        job = await self.remix_form(member, job_id)
        changes = {"prompt": prompt, "negative_prompt": negative_prompt or None}
        return await self._ask_like(member, job, refresh, changes, parent=job.batch_key)

    async def ask_vary(
        self, member: Member, job_id: int, images: Sequence[str] | None, index: int
    ) -> Ticket:
        """The result at `index` of `images` (the URLs on the result's message, freshly
        signed; None: the message is gone) becomes the reference image of a new job."""
        job = await self.job_here(member, job_id)
        self.may_press(member, job)
        if images is None or index >= len(images):
            raise Refusal("error.result_gone")
        options = ImageOptions.from_record(job.options)
        return await self._ask_image(
            member, dataclasses.replace(options, references=(images[index],))
        )

    async def ask_animate(
        self, member: Member, job_id: int, images: Sequence[str] | None, index: int
    ) -> Ticket:
        """The image result becomes the first frame of a video, with the image's prompt
        (a fresh video: the member's preferences apply)."""
        job = await self.job_here(member, job_id)
        self.may_press(member, job)
        if job.kind is not TaskKind.IMAGE or images is None or index >= len(images):
            raise Refusal("error.result_gone")
        spoiler = bool(job.options.get("spoiler"))
        return await self.ask_video(
            member, VideoOptions(prompt=job.prompt, first_frame=images[index], spoiler=spoiler)
        )

    async def _ask_like(
        self,
        member: Member,
        job: Job,
        refresh: UrlRefresher,
        changes: Mapping[str, Any] | None = None,
        parent: int | None = None,
    ) -> Ticket:
        """A new job asked exactly as `job` was (but for `changes`), image or video."""
        if job.kind is TaskKind.TOOL:
            raise Refusal("tools.refused.again")  # a tool is used again from its picture
        options = await options_like(job, refresh, changes)
        if isinstance(options, VideoOptions):
            return await self._ask_video(member, options, parent=parent)
        return await self._ask_image(member, options, parent=parent)

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

    def may_press(self, member: Member, job: Job) -> None:
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
