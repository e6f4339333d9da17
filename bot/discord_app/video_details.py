"""How a video job reads in embeds: its duration, resolution and sound, and why it failed.

Pure functions of the job and the locale, used by `render` and `listings`."""

from __future__ import annotations

from ..engine.events import ErrorCategory
from ..services.listings import is_video
from ..storage.jobs import Job, JobState
from ..text.i18n import t
from ..text.wording import failure_text

# Failures whose general wording says "image"; a video job gets its own.
OWN_WORDING = {
    ErrorCategory.DELIVERY_FAILED: "video.failure.delivery_failed",
    ErrorCategory.TIMEOUT: "video.failure.timeout",
}


def video_fields(job: Job, locale: str) -> list[tuple[str, str]]:
    """(name, value) pairs, the names in `locale`: duration, resolution and shape, sound,
    frames given."""
    options = job.options
    shape = " · ".join(str(v) for v in (options.get("resolution"), options.get("aspect")) if v)
    frames = [
        t(locale, key)
        for key, present in (
            ("video.first_frame", options.get("first_frame")),
            ("video.last_frame", options.get("last_frame")),
            ("video.reference_images", options.get("references")),
        )
        if present
    ]
    duration = options.get("duration")
    rows = [
        ("video.field_duration", t(locale, "video.seconds", n=duration) if duration else ""),
        ("video.field_resolution", shape),
        (
            "video.field_audio",
            t(locale, "common.yes") if options.get("audio") else t(locale, "video.no"),
        ),
        ("video.field_frames", ", ".join(frames)),
    ]
    return [(t(locale, key), value) for key, value in rows if value]


def job_failure_text(locale: str, job: Job, timeout_seconds: float) -> str:
    category = job.error_category
    if is_video(job) and job.state is JobState.FAILED and category in OWN_WORDING:
        return t(
            locale,
            OWN_WORDING[ErrorCategory(category)],
            message=job.error_message or "",
            minutes=int(timeout_seconds // 60),
        )
    return failure_text(locale, job, timeout_seconds)
