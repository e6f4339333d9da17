"""What members see of their jobs, for every front end: their history, their queue, one
job in detail, and which finished jobs still offer something (a video's Download)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..config.tunables import Tunables
from ..engine.engine import JobEngine, QueueCounts
from ..engine.events import ErrorCategory, Progress
from ..mps.models import TaskKind
from ..refusal import Refusal
from ..storage.jobs import Job, JobState, JobStore
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
        other servers have."""
        mine = []
        for progress in self.engine.user_jobs(member.guild_id, member.user_id):
            job = await self.store.get(progress.job_id)
            if job is not None:
                mine.append((job, progress))
        return QueueView(mine, self.engine.counts(member.guild_id))

    def progress(self, job_id: int) -> Progress | None:
        return self.engine.progress(job_id)
