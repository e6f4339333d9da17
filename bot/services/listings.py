"""What members see of their jobs, for every front end: their history, their queue, one
job in detail, and which finished jobs still offer something (a video's Download)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..config.tunables import Tunables
from ..engine.engine import JobEngine, QueueCounts
from ..engine.events import ErrorCategory, Progress
from ..engine.progress import stored_progress
from ..mps.models import TaskKind
from ..refusal import Refusal
from ..storage.jobs import Job, JobState, JobStore
from ..storage.queue_reads import members_unfinished, server_counts
from .members import Member


@dataclass(frozen=True)
class HistoryPage:
    jobs: list[Job]  # one per ask: a batch by its first job
    page: int  # from 0
    pages: int
    total: int
    # How each batch of several jobs stands as a whole (its first job's own state may
    # differ: it may have failed while the others were delivered).
    states: dict[int, JobState] = field(default_factory=dict)


def batch_state(jobs: list[Job]) -> JobState:
    """A batch's state as its member sees it: delivered if any image was."""
    states = [j.state for j in jobs]
    if JobState.DELIVERED in states:
        return JobState.DELIVERED
    waiting = [s for s in states if not s.final]
    if waiting:
        return waiting[0]
    return JobState.CANCELLED if all(s is JobState.CANCELLED for s in states) else JobState.FAILED


@dataclass(frozen=True)
class JobInfo:
    """What the Info card shows of a job (a batch by its first job)."""

    job: Job
    batch: list[Job]
    parent: Job | None  # the job it was remixed from (when it is in this server)
    images: int  # outputs billed: tasks MPS accepted, times the outputs each makes
    cost: float | None  # estimated from the catalogue's price; None when unknown
    waited: float | None  # from the ask to MPS accepting the (first) Create
    generated: float | None  # from MPS accepting to its last result
    total: float | None  # from the ask to the end (the result downloaded, or the failure)


@dataclass(frozen=True)
class QueueView:
    mine: list[tuple[Job, Progress]]  # the member's unfinished jobs here, oldest first
    counts: QueueCounts  # the whole server's


def is_video(job: Job) -> bool:
    return job.kind is TaskKind.VIDEO


def download_offered(job: Job, keep_hours: float, now: float | None = None) -> bool:
    """A video that was made but could not be posted is offered again for a while."""
    if not is_video(job) or job.state is not JobState.FAILED or not job.results:
        return False
    if job.error_category != ErrorCategory.DELIVERY_FAILED:
        return False
    ended = job.finished_at or job.updated_at
    return (now if now is not None else time.time()) < ended + keep_hours * 3600


class JobListings:
    def __init__(self, *, engine: JobEngine, store: JobStore, tunables: Tunables) -> None:
        self.engine = engine
        self.store = store  # read only: the engine writes jobs
        self.tunables = tunables

    async def own_job(self, member: Member, job_id: int) -> Job:
        """One of the member's own jobs here (for /history): anyone else's is not found."""
        job = await self.store.get(job_id)
        if job is None or (job.guild_id, job.user_id) != (member.guild_id, member.user_id):
            raise Refusal("error.job_not_found", job=job_id)
        return job

    async def info(self, member: Member, job_id: int) -> JobInfo:
        """A job of this server as its Info card shows it; anyone here may look (its result
        is in the channel), another server's is not found."""
        job = await self.store.get(job_id)
        if job is None or job.guild_id != member.guild_id:
            raise Refusal("error.job_not_found", job=job_id)
        batch = await self.store.batch(job.batch_key)
        first = batch[0] if batch else job
        parent = None
        if isinstance(first.options.get("parent_id"), int):
            parent = await self.store.get(first.options["parent_id"])
            if parent is not None and parent.guild_id != member.guild_id:
                parent = None
        billed = [j for j in batch if j.task_id is not None]
        images = sum(j.units for j in billed)
        spec = self.tunables.models.get(first.model) if first.kind is TaskKind.IMAGE else None
        price = spec.price_per_image if spec is not None else None
        accepted = [j.submitted_at for j in billed if j.submitted_at is not None]
        finals = [j.mps_final_at for j in billed if j.mps_final_at is not None]
        ends = [j.mps_final_at or j.finished_at for j in batch if j.mps_final_at or j.finished_at]
        return JobInfo(
            job=first,
            batch=batch,
            parent=parent,
            images=images,
            cost=None if price is None else price * images,
            waited=min(accepted) - first.created_at if accepted else None,
            generated=max(finals) - min(accepted) if accepted and finals else None,
            total=max(ends) - first.created_at if ends else None,
        )

    def check_history_owner(self, member: Member, owner_id: int) -> None:
        """History pages are turned by their owner only."""
        if owner_id != member.user_id:
            raise Refusal("error.not_your_history")

    async def history(self, member: Member, page: int) -> HistoryPage:
        """One page of the member's own jobs in this server, newest first."""
        size = self.tunables.discord.history_page_size
        total = await self.store.count_history(member.guild_id, member.user_id)
        pages = max(1, -(-total // size))
        page = max(0, min(page, pages - 1))
        jobs = await self.store.history(
            member.guild_id, member.user_id, limit=size, offset=page * size
        )
        states = {
            job.id: batch_state(await self.store.batch(job.batch_key))
            for job in jobs
            if job.batch_size > 1
        }
        return HistoryPage(jobs, page, pages, total, states)

    async def queue(self, member: Member) -> QueueView:
        """The member's queued and running jobs here, and how busy the server is.

        From the engine's memory and one indexed read per own job: fast however many jobs
        other servers have. A process that does not run the engine (a standby) reads them
        from the database instead, without queue positions."""
        if not self.engine.running:
            return await self._queue_from_database(member)
        mine = []
        for progress in self.engine.user_jobs(member.guild_id, member.user_id):
            job = await self.store.get(progress.job_id)
            if job is not None:
                mine.append((job, progress))
        return QueueView(mine, self.engine.counts(member.guild_id))

    async def _queue_from_database(self, member: Member) -> QueueView:
        db, now = self.store.db, time.time()
        queued, running = await server_counts(db, member.guild_id)
        jobs = await members_unfinished(db, member.guild_id, member.user_id)
        mine = [(job, stored_progress(job, queued, now)) for job in jobs]
        return QueueView(mine, QueueCounts(queued, running))

    def progress(self, job_id: int) -> Progress | None:
        return self.engine.progress(job_id)
