"""Non-secret tunables: model catalogue, quotas, concurrency, polling and download limits.

Defaults live here; an optional JSON file (`BOT_CONFIG`) overrides any of them. The model
list changes between MPS releases, which is why it is configuration and not code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .mps.models import TaskKind

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

    def by_action(self) -> dict[str, float]:
        return {
            "CreateAigcImageTask": self.create_image,
            "DescribeAigcImageTask": self.describe_image,
            "CreateAigcVideoTask": self.create_video,
            "DescribeAigcVideoTask": self.describe_video,
        }


@dataclass(frozen=True)
class Polling:
    timeout_seconds: float = 1800
    # Priors for a task's duration until finished jobs teach the engine better ones.
    image_expected: tuple[float, float] = (60, 180)
    video_expected: tuple[float, float] = (180, 300)
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
    # After MPS says "not now" to a Create (rate limited, too many running tasks, or
    # unreachable), submissions pause this long, doubling up to the maximum.
    create_backoff: tuple[float, float] = (2.0, 60.0)
    max_prompt_chars: int = 1000
    max_reference_bytes: int = 7 * 1024 * 1024
    # At shutdown, how long Creates already on the wire may take to answer. With the
    # Discord close it must fit Docker's default 10 s stop timeout.
    shutdown_grace: float = 6.0
