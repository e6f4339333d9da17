"""Non-secret tunables: model catalogue, quotas, concurrency, polling and download limits.

Defaults live here; an optional JSON file (`BOT_CONFIG`) overrides any of them. The model
list changes between MPS releases, which is why it is configuration and not code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .catalogue import (
    ASPECTS,
    EVERY,
    FRAME_FORMATS,
    IMAGE_RESOLUTION_VALUES,
    IMAGE_RESOLUTIONS,
    OUTPUT_FORMATS,
    REFERENCE_FORMATS,
    VIDEO_ASPECTS,
    VIDEO_RESOLUTIONS,
    ImageVersion,
    ModelSpec,
    VideoModelSpec,
    VideoVersion,
    default_image_models,
    default_video_models,
)
from .prices import CURRENCY, ToolPrices

__all__ = [
    "ASPECTS",
    "EVERY",
    "FRAME_FORMATS",
    "IMAGE_RESOLUTIONS",
    "IMAGE_RESOLUTION_VALUES",
    "OUTPUT_FORMATS",
    "REFERENCE_FORMATS",
    "VIDEO_ASPECTS",
    "VIDEO_RESOLUTIONS",
    "ImageVersion",
    "ModelSpec",
    "ToolPrices",
    "Tunables",
    "VideoModelSpec",
    "VideoVersion",
]


@dataclass(frozen=True)
class Video:
    default_model: str = "Kling"
    max_prompt_chars: int = 2000
    # A video that cannot be made to fit the server's upload limit stays on disk this long,
    # for the Download button of /history.
    keep_hours: float = 72.0
    # Transcoding to fit stops here rather than post something unwatchable: the shorter
    # side in pixels, and the video bitrate in kbit/s.
    min_short_side: int = 240
    min_video_kbps: int = 150
    # Transcodes run in worker processes: at most this many at once, each stopped after
    # `transcode_seconds` (a 6-s 720p clip takes a few seconds of one core).
    transcode_workers: int = 1
    transcode_seconds: float = 300.0
    # First and last frames: 10 MB, as the documentation recommends (24505, 24507).
    max_frame_bytes: int = 10 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    running_per_guild: int = 2
    running_per_user: int = 1
    queued_per_user: int = 5
    # Cap on tasks in flight for the whole account; None leaves it to the guild limits.
    running_total: int | None = None


@dataclass(frozen=True)
class Rates:
    """Requests per second per action, as the account's quotas allow."""

    create_image: float = 20
    describe_image: float = 20
    create_video: float = 10
    describe_video: float = 50
    # The image tools. DescribeImageTaskDetail's page says 20/s in 2025 and 100/s since:
    # the stricter figure holds until the account is known to allow more.
    process_image: float = 20
    describe_image_tool: float = 20

    def by_action(self) -> dict[str, float]:
        return {
            "CreateAigcImageTask": self.create_image,
            "DescribeAigcImageTask": self.describe_image,
            "CreateAigcVideoTask": self.create_video,
            "DescribeAigcVideoTask": self.describe_video,
            "ProcessImage": self.process_image,
            "DescribeImageTaskDetail": self.describe_image_tool,
        }


@dataclass(frozen=True)
class Polling:
    timeout_seconds: float = 1800
    # Priors for a task's duration until finished jobs teach the engine better ones.
    image_expected: tuple[float, float] = (60, 180)
    video_expected: tuple[float, float] = (180, 300)
    # The image tools (ProcessImage): Tencent documents no duration; seconds, not minutes.
    tool_expected: tuple[float, float] = (5, 30)
    # How many finished tasks the priors are worth; each task they cannot explain halves it.
    prior_weight: float = 10.0
    # Once a task may be done, how long between polls (seconds), when the budget allows.
    target_interval: float = 5.0
    # Never wait longer than this between two looks at a running task.
    max_interval: float = 30.0


@dataclass(frozen=True)
class Downloads:
    max_bytes: int = 32 * 1024 * 1024
    timeout_seconds: float = 60
    attempts: int = 3
    # A result image with more pixels than this is refused, not decoded: a header that
    # promises gigapixels would otherwise take the process' memory with it.
    max_pixels: int = 50_000_000
    # Result files of jobs that ended without being delivered (delivery failed, the bot
    # stopped) are kept this long for an admin, then removed.
    keep_failed_seconds: float = 3 * 24 * 3600


@dataclass(frozen=True)
class DiscordTunables:
    # Seconds between two progress edits of a job's message, at most.
    progress_interval: float = 5.0
    # An interaction token lives 15 minutes; switch to the bot token this long before.
    token_lifetime: float = 900.0
    token_margin: float = 60.0
    history_page_size: int = 5
    # Pace edits under Discord's rate limits (per channel with the bot token, per interaction
    # token): progress edits that would overrun them are dropped, results go first.
    edit_budget: bool = True
    channel_edit_limit: int = 5
    channel_edit_window: float = 5.0
    token_edit_limit: int = 5
    token_edit_window: float = 2.0
    # Added to each window: a request counts from its send until this long after the window
    # that follows its answer.
    edit_margin: float = 0.25
    # Channel slots per window that progress edits leave free for results.
    final_reserve: int = 2
    # Discord rate limits, server errors and connection resets during delivery are waited
    # out (results are on disk) for this long before the job is marked failed.
    delivery_patience: float = 1800.0
    # Seconds between delivery tries: the first, doubling up to the second (jittered).
    delivery_backoff: tuple[float, float] = (1.0, 60.0)
    # After a restart each resumed job's first edit waits up to this long, at random:
    # no burst of edits all at once.
    resume_spread: float = 5.0


@dataclass(frozen=True)
class Cluster:
    """Several processes on one PostgreSQL: one holds the engine lease, the others wait."""

    # A standby asks for the engine lease this often: a dead holder's engine is taken over
    # within about this long after PostgreSQL notices its connection closed.
    lease_retry: float = 2.0
    # The holder checks its lease connection this often (and at once when it closes); a
    # connection that does not answer within this long is lost, and the engine stops.
    lease_check: float = 2.0
    # The holder looks this often for waiting jobs it was not told of (a standby wrote one
    # and its signal was lost): nothing waits for the next takeover.
    adopt_sweep: float = 30.0


@dataclass(frozen=True)
class Tunables:
    models: dict[str, ModelSpec] = field(default_factory=default_image_models)
    default_model: str = "Hunyuan"
    limits: Limits = field(default_factory=Limits)
    rates: Rates = field(default_factory=Rates)
    polling: Polling = field(default_factory=Polling)
    downloads: Downloads = field(default_factory=Downloads)
    discord: DiscordTunables = field(default_factory=DiscordTunables)
    video_models: dict[str, VideoModelSpec] = field(default_factory=default_video_models)
    video: Video = field(default_factory=Video)
    # After MPS says "not now" to a Create (rate limited, too many running tasks, or
    # unreachable), submissions pause this long, doubling up to the maximum.
    create_backoff: tuple[float, float] = (2.0, 60.0)
    # While Tencent Cloud refuses the account (arrears, unregistered, a rejected key…), a
    # probe checks it after the first interval, then each one twice as long, up to the second.
    outage_probe: tuple[float, float] = (30.0, 300.0)
    max_prompt_chars: int = 1000
    # Images one /imagine may ask for (`count`); each is its own task where the model makes
    # one image per task, as every documented model does.
    max_count: int = 4
    max_reference_bytes: int = 7 * 1024 * 1024
    # At shutdown, how long Creates already on the wire may take to answer. With the
    # Discord close it must fit Docker's default 10 s stop timeout.
    shutdown_grace: float = 6.0
    # Prices are estimates (see `prices.py`): the currency they are in, and each image
    # tool's price per use; models carry their own.
    currency: str = CURRENCY
    tool_prices: ToolPrices = field(default_factory=ToolPrices)
    cluster: Cluster = field(default_factory=Cluster)
