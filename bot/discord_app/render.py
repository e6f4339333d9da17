"""What a job's message looks like at each stage. Pure functions of job state and locale,
so the look is tested without Discord."""

from __future__ import annotations

import discord

from ..asks.styles import BUILTIN_LABELS
from ..engine.downloader import result_text
from ..engine.events import ErrorCategory, Progress
from ..mps.models import TaskKind
from ..services.listings import is_video
from ..storage.jobs import Job, JobState
from ..storage.messages import JobMessage
from ..text.formatting import bar, elapsed, plain
from ..text.i18n import t
from ..text.wording import duration_estimate, status_line
from .video_details import job_failure_text, video_fields

PROMPT_PREVIEW = 200
COLOUR_WORKING = discord.Colour.blurple()
COLOUR_DONE = discord.Colour.green()
COLOUR_FAILED = discord.Colour.red()
COLOUR_NEUTRAL = discord.Colour.light_grey()


# An image tool's name, by the tool (a tool job's `model`).
TOOL_NAMES = {
    "upscale_2x": "tools.name.upscale_2x",
    "upscale_4x": "tools.name.upscale_4x",
    "zoom_out": "tools.name.zoom_out",
    "remove_background": "tools.name.remove_background",
    "describe": "tools.name.describe",
}


def _base(job: Job, locale: str, colour: discord.Colour, *, show_prompt: bool = True):
    title = plain(job.prompt, PROMPT_PREVIEW) if show_prompt and job.prompt else None
    untitled = "video.title_untitled" if is_video(job) else "discord.title_untitled"
    if job.kind is TaskKind.TOOL:
        # "Upscale ×2 · the prompt of the image it was used on", when it has one.
        untitled = "tools.title"
        title = f"{tool_name(job, locale)} · {title}"[:256] if title else None
    embed = discord.Embed(title=title or t(locale, untitled, tool=tool_name(job, locale)))
    embed.colour = colour
    embed.set_footer(text=t(locale, "discord.footer", job=job.id, model=_model_label(job, locale)))
    return embed


def notice_embed(
    job: Job, locale: str, text: str, colour: discord.Colour = COLOUR_NEUTRAL
) -> discord.Embed:
    """The job's message with one line of news (e.g. its result waits for a moderator)."""
    embed = _base(job, locale, colour)
    embed.description = text
    return embed


def tool_name(job: Job, locale: str) -> str:
    return t(locale, TOOL_NAMES.get(job.model, "tools.name.unknown"))


def _model_label(job: Job, locale: str = "en-US") -> str:
    if job.kind is TaskKind.TOOL:
        return tool_name(job, locale)
    version = job.request.get("ModelVersion")
    return f"{job.model} {version}" if version else job.model


def style_shown(name: str | None, locale: str) -> str | None:
    """A style's name as the reader reads it (a built-in style's is localised)."""
    if not name:
        return None
    return t(locale, BUILTIN_LABELS[name]) if name in BUILTIN_LABELS else plain(name, 100)


def progress_embed(job: Job, progress: Progress, locale: str) -> discord.Embed:
    """Queue position while waiting; status, elapsed time and an estimated bar while running.

    Times are shown in 5-second steps so the text (and so the message) changes only that
    often."""
    embed = _base(job, locale, COLOUR_WORKING)
    waited = elapsed(progress.waited // 5 * 5)
    status = status_line(locale, progress)
    if progress.position is not None:
        lines = [
            status,
            t(locale, "discord.queue_length", count=progress.guild_queued),
            t(locale, "discord.waited", time=waited),
        ]
        if progress.account_refused or job.error_category == ErrorCategory.OPERATOR:
            lines.append(t(locale, "discord.waiting_for_account"))
        elif job.error_code:
            lines.append(t(locale, "discord.deferred_by_service"))
    elif progress.state in ("submitting", "downloading"):
        lines = [status, t(locale, "discord.waited", time=waited)]
    else:
        fraction = progress.fraction or 0.0
        lines = [
            status,
            bar(fraction // 0.05 * 0.05),
            t(locale, "discord.running_for", time=elapsed((progress.running_for or 0) // 5 * 5)),
        ]
        # From the model's usual time here, the same figure its autocomplete shows.
        if progress.eta:
            left = duration_estimate(locale, progress.eta)
            lines.append(t(locale, "budget.progress.left", time=left))
    embed.description = "\n".join(lines)
    return embed


def result_embed(
    job: Job,
    locale: str,
    first_filename: str | None,
    took: float | None,
    batch: list[Job] | None = None,
    timeout_seconds: float = 0.0,
) -> discord.Embed:
    """The results of `job`'s batch (`batch`: its jobs, `job` first), and a line for
    those of its jobs that failed."""
    embed = _base(job, locale, COLOUR_DONE)
    embed.add_field(name=t(locale, "discord.field_model"), value=_model_label(job, locale))
    size = job.options.get("shown_size")
    if size:
        embed.add_field(name=t(locale, "discord.field_size"), value=str(size))
    for name, value in video_fields(job, locale) if is_video(job) else ():
        embed.add_field(name=name, value=value)
    style = style_shown(job.options.get("style"), locale)
    if style:
        embed.add_field(name=t(locale, "info.field_style"), value=style)
    if took is not None:
        embed.add_field(name=t(locale, "discord.field_time"), value=elapsed(took))
    embed.add_field(name=t(locale, "discord.field_job"), value=f"#{job.id}")
    negative = job.options.get("negative_prompt")
    if negative:
        embed.add_field(
            name=t(locale, "discord.field_negative"), value=plain(negative, 1024), inline=False
        )
    failed = [j for j in batch or () if j.state is JobState.FAILED]
    if failed:
        lines = batch_failures(failed, len(batch or ()), locale, timeout_seconds)
        embed.description = "\n".join(lines)
    if first_filename and not is_video(job):  # a video plays as the attachment itself
        embed.set_image(url=f"attachment://{first_filename}")
    return embed


def batch_failures(failed: list[Job], total: int, locale: str, timeout_seconds: float) -> list[str]:
    """How many of a batch's images failed, and why: one line per reason."""
    reasons: dict[str, int] = {}
    for job in failed:
        reason = job_failure_text(locale, job, timeout_seconds)
        reasons[reason] = reasons.get(reason, 0) + 1
    return [
        t(locale, "discord.batch_failed", failed=count, total=total, reason=reason)
        for reason, count in reasons.items()
    ]


def failure_embed(jobs: list[Job], locale: str, timeout_seconds: float) -> discord.Embed:
    """Why a batch (a job asked alone is a batch of one) has no result at all."""
    job = jobs[0]
    # A blocked prompt is not repeated in public.
    blocked = any(j.error_category == ErrorCategory.CONTENT_VIOLATION for j in jobs)
    cancelled = all(j.state is JobState.CANCELLED for j in jobs)
    embed = _base(
        job, locale, COLOUR_NEUTRAL if cancelled else COLOUR_FAILED, show_prompt=not blocked
    )
    if len(jobs) == 1 or cancelled:
        embed.description = job_failure_text(locale, job, timeout_seconds)
    else:
        embed.description = "\n".join(batch_failures(jobs, len(jobs), locale, timeout_seconds))
    return embed


STATE_NAMES = {
    JobState.QUEUED: "state.queued",
    JobState.SUBMITTING: "state.submitting",
    JobState.RUNNING: "state.running",
    JobState.DOWNLOADING: "state.downloading",
    JobState.READY: "state.ready",
    JobState.DELIVERED: "state.delivered",
    JobState.FAILED: "state.failed",
    JobState.CANCELLED: "state.cancelled",
}
STATE_ICONS = {
    JobState.QUEUED: "⏳",
    JobState.SUBMITTING: "📤",
    JobState.RUNNING: "🎨",
    JobState.DOWNLOADING: "📥",
    JobState.READY: "📥",
    JobState.DELIVERED: "✅",
    JobState.FAILED: "❌",
    JobState.CANCELLED: "🚫",
}


def message_link(guild_id: int, channel_id: int, message_id: int) -> str:
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def jump_url(job: Job, message: JobMessage | None) -> str | None:
    if message is not None:
        return message_link(job.guild_id, message.channel_id, message.message_id)
    # Jobs from before the job_messages table kept the message id with the job.
    channel, legacy = job.frontend.get("channel_id"), job.frontend.get("message_id")
    if not channel or not legacy:
        return None
    return message_link(job.guild_id, channel, legacy)


def state_name(job: Job, locale: str, state: JobState | None = None) -> str:
    """A job's state as a member reads it: a held result is waiting for review, not being
    posted."""
    current = state or job.state
    if current is JobState.READY and job.options.get("probation"):
        return t(locale, "probation.state_held")
    return t(locale, STATE_NAMES[current])


def history_line(
    job: Job, locale: str, message: JobMessage | None, batch: JobState | None = None
) -> str:
    """One ask in /history; `batch` is how its batch stands, when it asked for several."""
    current = batch or job.state
    state = state_name(job, locale, current)
    if is_video(job):
        state = f"🎬 {state}"
    elif job.kind is TaskKind.TOOL:
        state = f"🛠️ {tool_name(job, locale)} · {state}"
    elif job.batch_size > 1:
        state = f"{state} · ×{job.batch_size}"
    when = f"<t:{int(job.created_at)}:R>"
    words = plain(job.prompt or result_text(job), 80)  # a description has no prompt
    line = f"**#{job.id}** {STATE_ICONS[current]} {state} · {when} · {words}"
    parent = job.options.get("parent_id")
    if isinstance(parent, int):
        line += f" · {t(locale, 'remix.history_parent', job=parent)}"
    link = jump_url(job, message)
    if link and current is JobState.DELIVERED:
        line += f" · [{t(locale, 'discord.jump')}]({link})"
    return line
