"""An unfinished job found in the database when the engine starts, taken up where it was."""

from __future__ import annotations

from collections.abc import Callable

from ..storage.jobs import Job, JobState
from .events import ErrorCategory
from .outcomes import Outcomes
from .registry import Registry


async def resume(
    job: Job,
    registry: Registry,
    outcomes: Outcomes,
    clock: Callable[[], float],
    wall: Callable[[], float],
) -> None:
    """A job past its queue: polled again at once, or failed if its Create's fate is unknown
    (queued jobs are queued again by the engine itself)."""
    if job.state is JobState.READY:
        return  # results on disk: the front end delivers them, the engine has no part
    live = registry.track(job)
    if job.state is JobState.SUBMITTING and job.task_id is None:
        # The process stopped while a Create was in flight. It may have created a
        # billed task whose id we never saw; submitting again could bill twice.
        await outcomes.fail(
            live,
            ErrorCategory.UNKNOWN_OUTCOME,
            "SubmitInterrupted",
            "the bot stopped while submitting; not resubmitted to avoid double billing",
        )
    elif job.state in (JobState.SUBMITTING, JobState.RUNNING, JobState.DOWNLOADING):
        live.task_id = job.task_id
        live.mps_status = job.mps_status
        live.learn = False
        since = wall() - (job.submitted_at or job.created_at)
        live.submitted = clock() - max(0.0, since)
        registry.hold_slot(live)
        registry.schedule_poll(live, clock())  # ask about it right away
