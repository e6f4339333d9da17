"""What the engine tells its front ends, and the request a front end submits."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..mps.models import TaskKind
from ..storage.jobs import Job


class EventType(StrEnum):
    QUEUED = "queued"
    SUBMITTED = "submitted"
    STATUS = "status"  # MPS status changed (WAIT -> RUN)
    READY = "ready"  # result files downloaded; the front end delivers them
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (EventType.DELIVERED, EventType.FAILED, EventType.CANCELLED)


class ErrorCategory(StrEnum):
    """Why a job failed, in terms a front end can explain to a user."""

    CONTENT_VIOLATION = "content_violation"
    INVALID_REQUEST = "invalid_request"
    REFERENCE_DOWNLOAD = "reference_download"
    OPERATOR = "operator"  # credentials, arrears: an admin must act (the job waits)
    CREATE_FAILED = "create_failed"  # MPS could not create the task: nothing was made
    UNKNOWN_OUTCOME = "unknown_outcome"  # a Create may have reached MPS; not retried
    GENERATION_FAILED = "generation_failed"  # MPS answered Status FAIL
    TASK_NOT_FOUND = "task_not_found"
    TIMEOUT = "timeout"
    RESULT_EXPIRED = "result_expired"
    RESULT_TOO_LARGE = "result_too_large"
    DOWNLOAD_FAILED = "download_failed"
    RESULT_INVALID = "result_invalid"  # the files were not what they claimed to be
    DELIVERY_FAILED = "delivery_failed"
    SERVICE_ERROR = "service_error"
    INTERNAL = "internal"  # the bot itself failed (a database or disk error, a bug)


@dataclass(frozen=True)
class JobEvent:
    type: EventType
    job: Job


@dataclass(frozen=True)
class JobRequest:
    """A job as a front end asks for it. `request` is the MPS API dict (already validated)."""

    kind: TaskKind
    guild_id: int
    user_id: int
    model: str
    prompt: str | None
    request: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    frontend: dict[str, Any] = field(default_factory=dict)
    locale: str | None = None
    # Outputs each task bills, and how many tasks the ask takes: an ask for several images
    # of a model that makes one per task is that many jobs, one batch.
    units: int = 1
    tasks: int = 1
    cost: float | None = None  # each task's, estimated from the price list

    def row(self, index: int, lead: int | None) -> dict[str, Any]:
        """The job row of its `index`th task (`lead`: the batch's first job's id)."""
        return {
            "kind": self.kind,
            "guild_id": self.guild_id,
            "user_id": self.user_id,
            "model": self.model,
            "prompt": self.prompt,
            "request": self.request,
            "options": self.options,
            "frontend": self.frontend,
            "locale": self.locale,
            "units": self.units,
            "batch_id": lead,
            "batch_index": index,
            "batch_size": self.tasks,
            "cost": self.cost,
        }


@dataclass(frozen=True)
class QueueCounts:
    """How many jobs of a server wait and run."""

    queued: int
    running: int


@dataclass(frozen=True)
class Progress:
    """A job's live position, for progress messages. Times are in seconds."""

    job_id: int
    state: str
    position: int | None  # place in its guild's queue while queued
    guild_queued: int
    mps_status: str | None
    waited: float  # since the job was created
    running_for: float | None  # since MPS accepted the task
    fraction: float | None  # estimated completion, 0..1, while running
    eta: float | None  # estimated seconds left while running
    # No task is created while Tencent refuses the account: queued jobs wait for it.
    account_refused: bool = False
