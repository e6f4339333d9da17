"""What to tell a person about a job's progress or failure, whatever the medium.

Discord-free: the CLI prints these lines and the Discord renderer puts them in embeds; each
adds only what its medium needs (a bar on its own line, a stopwatch in a line).
"""

from __future__ import annotations

from ..engine.events import ErrorCategory, Progress
from ..mps.errors import BUCKET_CODES
from ..mps.models import TaskKind
from ..storage.jobs import Job, JobState
from .formatting import shorten
from .i18n import t

# What is happening to a job that has left the queue: the engine's own steps, then what
# MPS says of the task while it runs (anything else reads as "running").
STEPS = {"submitting": "status.submitting", "downloading": "status.downloading"}
MPS_STATUSES = {"WAIT": "status.WAIT", "RUN": "status.RUN"}

# Why a job failed, by `ErrorCategory`.
FAILURES = {
    ErrorCategory.CONTENT_VIOLATION: "failure.content_violation",
    ErrorCategory.INVALID_REQUEST: "failure.invalid_request",
    ErrorCategory.REFERENCE_DOWNLOAD: "failure.reference_download",
    ErrorCategory.OPERATOR: "failure.operator",
    ErrorCategory.UNKNOWN_OUTCOME: "failure.unknown_outcome",
    ErrorCategory.GENERATION_FAILED: "failure.generation_failed",
    ErrorCategory.TASK_NOT_FOUND: "failure.task_not_found",
    ErrorCategory.TIMEOUT: "failure.timeout",
    ErrorCategory.RESULT_EXPIRED: "failure.result_expired",
    ErrorCategory.RESULT_TOO_LARGE: "failure.result_too_large",
    ErrorCategory.DOWNLOAD_FAILED: "failure.download_failed",
    ErrorCategory.RESULT_INVALID: "failure.result_invalid",
    ErrorCategory.DELIVERY_FAILED: "failure.delivery_failed",
    ErrorCategory.SERVICE_ERROR: "failure.service_error",
    ErrorCategory.CREATE_FAILED: "failure.create_failed",
    ErrorCategory.INTERNAL: "failure.internal",
}


def status_line(locale: str, progress: Progress) -> str:
    """Where the job stands: its queue position, or what is happening to it now."""
    if progress.position is not None:
        return t(locale, "status.queued", position=progress.position)
    if progress.state in STEPS:
        return t(locale, STEPS[progress.state])
    return t(locale, MPS_STATUSES.get(progress.mps_status or "", "status.running"))


def failure_text(
    locale: str,
    job: Job,
    timeout_seconds: float,
    *,
    operator: bool = False,
    message_limit: int = 500,
) -> str:
    """Why the job ended without a result. `operator` is for whoever runs the bot (the
    CLI): rejected credentials are named as such instead of "ask an admin"."""
    if job.state is JobState.CANCELLED:
        return t(locale, "failure.cancelled")
    category = ErrorCategory(job.error_category or ErrorCategory.SERVICE_ERROR)
    code = job.error_code or ""
    if category is ErrorCategory.OPERATOR and code in BUCKET_CODES:
        return t(locale, "failure.tool_bucket", code=code)
    if category is ErrorCategory.REFERENCE_DOWNLOAD and job.kind is TaskKind.TOOL:
        return t(locale, "failure.tool_input")  # the picture a tool was used on
    if operator and category is ErrorCategory.OPERATOR and code.startswith("AuthFailure"):
        key = (
            "cli.clock_skew"
            if code == "AuthFailure.SignatureExpire"
            else "cli.credentials_rejected"
        )
        return t(locale, key, code=code)
    return t(
        locale,
        FAILURES[category],
        code=code,
        message=shorten(job.error_message, message_limit),
        minutes=int(timeout_seconds // 60),
    )


def duration_estimate(locale: str, seconds: float) -> str:
    """`~7 s`, `~70 s`, `~4 min`: a typical duration as a person would say it (seconds to
    the unit under 10, to 5 under 2 minutes, then minutes)."""
    if seconds < 10:
        return t(locale, "budget.time.seconds", n=max(1, round(seconds)))
    if seconds < 120:
        return t(locale, "budget.time.seconds", n=int(5 * round(seconds / 5)))
    return t(locale, "budget.time.minutes", n=round(seconds / 60))
