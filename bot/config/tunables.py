"""Non-secret tunables: model catalogue, quotas, concurrency, polling and download limits.

Defaults live here; an optional JSON file (`BOT_CONFIG`) overrides any of them. The model
list changes between MPS releases, which is why it is configuration and not code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..mps.models import TaskKind

ASPECTS = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "21:9")


@dataclass(frozen=True)
class ModelSpec:
    name: str
    versions: tuple[str, ...]
    default_version: str
    kind: TaskKind = TaskKind.IMAGE
    # How the output shape is asked for: "size" (AdditionalParameters.size, WxH),
    # "aspect" (ExtraParameters.AspectRatio) or "none".
    shape: str = "none"
    sizes: tuple[str, ...] = ()
    aspects: tuple[str, ...] = ()
    # Size rule checked before spending money: "hunyuan" (each side 512-2048 px and
    # w*h <= 1024*1024) or "qwen" (w*h between 512^2 and 2048^2).
    size_rule: str | None = None
    max_references: dict[str, int] = field(default_factory=dict)
    max_images: int = 1
    negative_prompt: bool = False
    # What one created task costs on the Tencent bill, for /usage's estimate; None: unknown.
    price_per_image: float | None = None

    def references_allowed(self, version: str) -> int:
        return self.max_references.get(version, self.max_references.get("*", 0))


def _default_models() -> dict[str, ModelSpec]:
    specs = [
        ModelSpec(
            name="Hunyuan",
            versions=("3.0", "3.5-preview"),
            default_version="3.0",
            shape="size",
            sizes=(
                "1024x1024",
                "768x1024",
                "1024x768",
                "720x1280",
                "1280x720",
                "864x1152",
                "1152x864",
            ),
            size_rule="hunyuan",
            max_references={"3.0": 3, "3.5-preview": 5},
            max_images=1,
            negative_prompt=True,
        ),
        ModelSpec(
            name="Qwen",
            versions=("0925",),
            default_version="0925",
            shape="size",
            sizes=("1024x1024", "1328x1328", "1664x928", "928x1664", "1472x1140", "1140x1472"),
            size_rule="qwen",
            max_references={"*": 3},
            negative_prompt=True,
        ),
        ModelSpec(
            name="Kling",
            versions=("2.1", "O1", "3.0", "3.0-Omni"),
            default_version="2.1",
            shape="aspect",
            aspects=ASPECTS,
            max_references={"2.1": 4, "O1": 10, "3.0-Omni": 10, "3.0": 4},
            max_images=4,
            negative_prompt=True,
        ),
        ModelSpec(
            name="Vidu",
            versions=("q2",),
            default_version="q2",
            shape="aspect",
            aspects=ASPECTS,
            max_references={"q2": 7},
            max_images=4,
        ),
    ]
    return {spec.name: spec for spec in specs}


# Aspect ratios and resolutions the video service knows (SDK CreateAigcVideoTask).
VIDEO_ASPECTS = ("16:9", "9:16", "1:1", "4:3", "3:4", "21:9")
VIDEO_RESOLUTIONS = ("480P", "540P", "720P", "768P", "1080P", "2K", "4K")
# In `VideoModelSpec.last_frame` and `audio`, this version key stands for every version;
# as a `last_frame` value it means "at any resolution".
EVERY = "*"


@dataclass(frozen=True)
class VideoModelSpec:
    """A video model as CreateAigcVideoTask takes it (SDK 3.1.194 field documentation)."""

    name: str
    versions: tuple[str, ...]
    default_version: str
    # Allowed Durations in seconds; `version_durations` replaces them for some versions.
    durations: tuple[int, ...] = (5, 10)
    version_durations: dict[str, tuple[int, ...]] = field(default_factory=dict)
    default_duration: int = 5
    resolutions: tuple[str, ...] = ("720P", "1080P")
    default_resolution: str = "720P"
    aspects: tuple[str, ...] = ("16:9", "9:16", "1:1")
    # Versions that take a last frame (LastImageUrl) -> the Resolution they need for it,
    # or "*" for any. The key "*" covers every version.
    last_frame: dict[str, str] = field(default_factory=dict)
    # Versions that can add sound (ExtraParameters.EnableAudio); "*" covers every version.
    audio: tuple[str, ...] = ()

    def durations_for(self, version: str) -> tuple[int, ...]:
        return self.version_durations.get(version, self.durations)

    def duration_default(self, version: str) -> int:
        allowed = self.durations_for(version)
        return self.default_duration if self.default_duration in allowed else allowed[0]

    def last_frame_resolution(self, version: str) -> str | None:
        """The Resolution a last frame needs with `version` ("*": any), None if refused."""
        return self.last_frame.get(version, self.last_frame.get(EVERY))

    def has_audio(self, version: str) -> bool:
        return EVERY in self.audio or version in self.audio


def _default_video_models() -> dict[str, VideoModelSpec]:
    specs = [
        VideoModelSpec(
            name="Kling",
            versions=("3.0", "3.0-Omni", "O1", "2.6", "2.5", "2.1", "2.0", "1.6"),
            default_version="3.0",
            version_durations={
                "O1": tuple(range(3, 11)),
                "3.0": tuple(range(3, 16)),
                "3.0-Omni": tuple(range(3, 16)),
            },
            last_frame={
                "3.0": EVERY,
                "3.0-Omni": EVERY,
                "O1": EVERY,
                "2.0": EVERY,
                "2.6": "1080P",
                "2.5": "1080P",
                "2.1": "1080P",
                "1.6": "1080P",
            },
            audio=(EVERY,),
        ),
        VideoModelSpec(
            name="Vidu",
            versions=("q3", "q3-pro", "q3-turbo", "q3-mix", "q2", "q2-pro", "q2-turbo"),
            default_version="q3",
            durations=tuple(range(1, 11)),
            version_durations={
                v: tuple(range(3, 17)) for v in ("q3", "q3-pro", "q3-turbo", "q3-mix")
            },
            resolutions=("540P", "720P", "1080P"),
            last_frame={v: EVERY for v in ("q3-pro", "q3-turbo", "q2-pro", "q2-turbo")},
            audio=("q3", "q3-pro", "q3-turbo", "q3-mix"),
        ),
        VideoModelSpec(
            name="Hailuo",
            versions=("2.3", "2.3-fast", "02"),
            default_version="2.3",
            durations=(6, 10),
            default_duration=6,
            resolutions=("768P", "1080P"),
            default_resolution="768P",
            last_frame={"02": EVERY},
        ),
        VideoModelSpec(
            name="PixVerse",
            versions=("v6", "v5.6", "c1"),
            default_version="v6",
            durations=tuple(range(1, 16)),
            version_durations={"v5.6": (5, 8, 10)},
            resolutions=("540P", "720P", "1080P"),
            last_frame={EVERY: EVERY},
            audio=(EVERY,),
        ),
        VideoModelSpec(name="Hunyuan", versions=("1.5",), default_version="1.5"),
    ]
    return {spec.name: spec for spec in specs}


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
class Tunables:
    models: dict[str, ModelSpec] = field(default_factory=_default_models)
    default_model: str = "Hunyuan"
    limits: Limits = field(default_factory=Limits)
    rates: Rates = field(default_factory=Rates)
    polling: Polling = field(default_factory=Polling)
    downloads: Downloads = field(default_factory=Downloads)
    discord: DiscordTunables = field(default_factory=DiscordTunables)
    video_models: dict[str, VideoModelSpec] = field(default_factory=_default_video_models)
    video: Video = field(default_factory=Video)
    # After MPS says "not now" to a Create (rate limited, too many running tasks, or
    # unreachable), submissions pause this long, doubling up to the maximum.
    create_backoff: tuple[float, float] = (2.0, 60.0)
    max_prompt_chars: int = 1000
    max_reference_bytes: int = 7 * 1024 * 1024
    # At shutdown, how long Creates already on the wire may take to answer. With the
    # Discord close it must fit Docker's default 10 s stop timeout.
    shutdown_grace: float = 6.0
