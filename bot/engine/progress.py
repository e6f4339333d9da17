"""How far a job has come, for progress messages: pure reads of the engine's memory."""

from __future__ import annotations

from ..storage.jobs import Job
from .durations import DurationBook
from .events import Progress
from .registry import LiveJob, Registry


def progress_of(
    registry: Registry,
    durations: DurationBook,
    now: float,
    job_id: int,
    account_refused: bool = False,
) -> Progress | None:
    """Where a job stands, for progress messages: its place in its server's queue, or how
    long its task has run and, from what the model's tasks took, how far it may be."""
    live = registry.get(job_id)
    if live is None:
        return None
    queue = registry.queue
    position = queue.position(live.batch)
    running_for = fraction = eta = None
    if live.submitted is not None:
        running_for = now - live.submitted
        typical = durations.model(live.kind, live.model).typical()
        fraction = min(0.95, running_for / typical) if typical > 0 else None
        eta = max(0.0, typical - running_for)
        if live.reported is not None:
            fraction = min(0.99, live.reported)  # what MPS says beats an estimate
    return Progress(
        job_id=job_id,
        state=_state_of(live, position),
        position=position,
        guild_queued=queue.guild_queued(live.guild_id),
        mps_status=live.mps_status,
        waited=now - live.created,
        running_for=running_for,
        fraction=fraction,
        eta=eta,
        account_refused=account_refused,
    )


def stored_progress(job: Job, guild_queued: int, now: float) -> Progress:
    """Where a job stands as its row says (no queue position, no estimate): what a process
    that does not run the engine can tell."""
    started = job.submitted_at
    return Progress(
        job_id=job.id,
        state=job.state.value,
        position=None,
        guild_queued=guild_queued,
        mps_status=job.mps_status,
        waited=now - job.created_at,
        running_for=None if started is None else now - started,
        fraction=None,
        eta=None,
    )


def _state_of(live: LiveJob, position: int | None) -> str:
    if position is not None:
        return "queued"
    if live.submitted is None:
        return "submitting"
    if live.mps_status == "DONE":
        return "downloading"
    return "running"
