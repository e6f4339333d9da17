"""What to tell a person about a job's progress or failure, whatever the medium.

Discord-free: the CLI prints these lines and the Discord renderer puts them in embeds; each
adds only what its medium needs (a bar on its own line, a stopwatch in a line).
"""

from __future__ import annotations

from ..engine.events import ErrorCategory, Progress
from ..storage.jobs import Job, JobState
from .formatting import shorten
from .i18n import t


def status_line(locale: str, progress: Progress) -> str:
    """Where the job stands: its queue position, or what is happening to it now."""
    if progress.position is not None:
        return t(locale, "status.queued", position=progress.position)
    if progress.state in ("submitting", "downloading"):
        return t(locale, f"status.{progress.state}")
    return t(locale, f"status.{progress.mps_status or 'running'}")


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
    if operator and category is ErrorCategory.OPERATOR and code.startswith("AuthFailure"):
        key = (
            "cli.clock_skew"
            if code == "AuthFailure.SignatureExpire"
            else "cli.credentials_rejected"
        )
        return t(locale, key, code=code)
    return t(
        locale,
        f"failure.{category.value}",
        code=code,
        message=shorten(job.error_message, message_limit),
        minutes=int(timeout_seconds // 60),
    )
