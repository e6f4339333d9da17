"""Emulator configuration: one dataclass, defaults taken from the MPS API reference.

Everything the emulator decides (models, limits, timings, moderation) lives here rather than
in the handlers, so tests and benchmarks change behaviour by building a config, not by patching.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.mps.signer import Credentials

from .tool_config import ToolConfig

DEFAULT_SECRET_ID = "AKIDEXAMPLEEXAMPLEEXAMPLEEXAMPLE"
DEFAULT_SECRET_KEY = "EXAMPLEKEYEXAMPLEKEYEXAMPLEKEY12"

IMAGE_CREATE = "CreateAigcImageTask"
IMAGE_DESCRIBE = "DescribeAigcImageTask"
VIDEO_CREATE = "CreateAigcVideoTask"
VIDEO_DESCRIBE = "DescribeAigcVideoTask"
PROCESS_IMAGE = "ProcessImage"
TOOL_DESCRIBE = "DescribeImageTaskDetail"
ACTIONS = (IMAGE_CREATE, IMAGE_DESCRIBE, VIDEO_CREATE, VIDEO_DESCRIBE, PROCESS_IMAGE, TOOL_DESCRIBE)

# Per account, per action, per second (MPS-API.md "Rate limits"). DescribeImageTaskDetail's
# page said 20/s in 2025 and 100/s since 2026: the stricter figure.
DEFAULT_RATE_LIMITS: dict[str, int] = {
    IMAGE_CREATE: 20,
    IMAGE_DESCRIBE: 20,
    VIDEO_CREATE: 10,
    VIDEO_DESCRIBE: 50,
    PROCESS_IMAGE: 20,
    TOOL_DESCRIBE: 20,
}

# Model name -> allowed versions; the first version is the one used when ModelVersion is
# omitted ("the model's current stable version"). An empty tuple accepts any version.
DEFAULT_IMAGE_MODELS: dict[str, tuple[str, ...]] = {
    "Hunyuan": ("3.0", "3.5-preview"),
    "Qwen": ("0925",),
    "Vidu": ("q2",),
    "Kling": ("2.1", "O1", "3.0", "3.0-Omni"),
    "wand-vega-image": ("1.0-lite", "1.0-flash", "1.0-pro"),
}

# From the SDK 3.1.194 field documentation; kept permissive on purpose.
DEFAULT_VIDEO_MODELS: dict[str, tuple[str, ...]] = {
    "Hunyuan": ("1.5",),
    "Kling": ("1.6", "2.0", "2.1", "2.5", "O1", "2.6", "3.0", "3.0-Omni"),
    "Vidu": ("q2", "q2-pro", "q2-turbo", "q3-pro", "q3-turbo", "q3", "q3-mix"),
    "Hailuo": ("02", "2.3", "2.3-fast"),
    "PixVerse": ("v5.6", "v6", "c1"),
    "wand-vega-video": ("1.0-lite",),
    "Mingmou": (),
    "H2": ("1.0",),
}

# "Model/Version" -> most reference images (ImageInfos) a Create may carry. The SDK says one
# image is supported by default; these are the documented exceptions.
DEFAULT_MAX_REFERENCE_IMAGES: dict[str, int] = {
    "Hunyuan/3.0": 3,
    "Hunyuan/3.5-preview": 5,
    "Kling/2.1": 4,
    "Kling/O1": 10,
    "Kling/3.0-Omni": 10,
    "Vidu/q2": 7,
    "wand-vega-image/1.0-lite": 10,
    "wand-vega-image/1.0-flash": 10,
    "wand-vega-image/1.0-pro": 10,
}

# "Model" or "Model/Version" (the more precise key wins) -> (default Duration, allowed
# Durations), from the SDK 3.1.194 field documentation of CreateAigcVideoTask.Duration.
DEFAULT_VIDEO_DURATIONS: dict[str, tuple[int, tuple[int, ...]]] = {
    "Hunyuan": (5, (5, 10)),
    "Kling": (5, (5, 10)),
    "Kling/O1": (5, tuple(range(3, 11))),
    "Kling/3.0": (5, tuple(range(3, 16))),
    "Kling/3.0-Omni": (5, tuple(range(3, 16))),
    "Vidu": (5, tuple(range(1, 11))),
    "Vidu/q3": (5, tuple(range(3, 17))),
    "Vidu/q3-pro": (5, tuple(range(3, 17))),
    "Vidu/q3-turbo": (5, tuple(range(3, 17))),
    "Vidu/q3-mix": (5, tuple(range(3, 17))),
    "Hailuo": (6, (6, 10)),
    "PixVerse": (5, tuple(range(1, 16))),
    "PixVerse/v5.6": (5, (5, 8, 10)),
    "wand-vega-video": (5, tuple(range(4, 16))),
    "H2": (5, tuple(range(3, 16))),
    "Mingmou": (5, tuple(range(1, 17))),
}
# Models ("Model" or "Model/Version") that accept ExtraParameters.EnableAudio=true (SDK:
# Kling, PixVerse, and only the q3 series of Vidu).
DEFAULT_AUDIO_MODELS: tuple[str, ...] = (
    "Kling",
    "PixVerse",
    "Vidu/q3",
    "Vidu/q3-pro",
    "Vidu/q3-turbo",
    "Vidu/q3-mix",
)
# Models ("Model" or "Model/Version") that accept LastImageUrl (a last frame), mapped to the
# Resolution they need for it, or None for any (SDK field documentation of LastImageUrl).
DEFAULT_LAST_FRAME_MODELS: dict[str, str | None] = {
    "Kling/2.0": None,
    "Kling/O1": None,
    "Kling/3.0": None,
    "Kling/3.0-Omni": None,
    "Kling/1.6": "1080P",
    "Kling/2.1": "1080P",
    "Kling/2.5": "1080P",
    "Kling/2.6": "1080P",
    "Vidu/q2-pro": None,
    "Vidu/q2-turbo": None,
    "Vidu/q3-pro": None,
    "Vidu/q3-turbo": None,
    "PixVerse": None,
    "Hailuo/02": None,
    "wand-vega-video/1.0-lite": None,
}
# The Resolution a video gets when the request names none (SDK: Hailuo 768P, H2 1080P).
DEFAULT_VIDEO_RESOLUTIONS: dict[str, str] = {"Hailuo": "768P", "H2": "1080P"}

ImageMode = Literal["gradient", "noise"]
VideoMode = Literal["gradient", "noise"]
BadResult = Literal["garbage", "truncated_png", "bomb_png", "empty"]
Range = tuple[float, float]


@dataclass
class EmulatorConfig:
    """How the emulated MPS account behaves. Every field has a realistic default.

    Durations are `(low, high)` ranges in seconds; each task draws its wait (WAIT state) and
    run (RUN state) times uniformly from them when it is created. Defaults give 60–180 s for
    an image and 3–5 min for a video, as the real service does; tests use tiny ranges.
    """

    credentials: dict[str, str] = field(
        default_factory=lambda: {DEFAULT_SECRET_ID: DEFAULT_SECRET_KEY}
    )
    # Requests per rolling second, per action; an action left out is not limited.
    rate_limits: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    image_wait: Range = (5.0, 20.0)
    image_run: Range = (55.0, 160.0)
    video_wait: Range = (10.0, 30.0)
    video_run: Range = (170.0, 270.0)
    # Another duration model: when set for a kind, a task's total time is drawn uniformly from
    # this range and split into WAIT (`wait_fraction` of it) then RUN, and the kind's
    # wait/run ranges above are ignored. The benchmark uses it ("image tasks take uniformly
    # 60-180 s, WAIT then RUN").
    image_total: Range | None = None
    video_total: Range | None = None
    wait_fraction: float = 0.1
    # Probability that a created task ends in FAIL, and the Message it then carries.
    failure_rate: float = 0.0
    failure_message: str = "AIGC generation failed: the model returned no result"
    # Case-insensitive substrings that make a prompt fail moderation: the Create is answered
    # InvalidParameter.ViolationContent.
    banned_words: tuple[str, ...] = ()
    # Case-insensitive substrings that make a task's OUTPUT fail moderation: the Create is
    # accepted, the task runs, then ends FAIL with OUTPUT_BLOCKED_MESSAGE.
    banned_output_words: tuple[str, ...] = ()
    image_models: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(DEFAULT_IMAGE_MODELS)
    )
    video_models: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(DEFAULT_VIDEO_MODELS)
    )
    max_reference_images: dict[str, int] = field(
        default_factory=lambda: dict(DEFAULT_MAX_REFERENCE_IMAGES)
    )
    default_max_reference_images: int = 1
    max_video_reference_images: int = 10
    # Result URLs stay valid this long after the task finishes (the service keeps 12 h).
    url_lifetime: float = 12 * 3600.0
    # Largest |X-TC-Timestamp - server clock| accepted before AuthFailure.SignatureExpire.
    clock_skew: float = 300.0
    # Seeds task ids, durations and failure draws, so the same run gives the same tasks.
    seed: int | None = None
    # "gradient": small deterministic pictures; "noise": incompressible PNGs (for size limits).
    image_mode: ImageMode = "gradient"
    # Serve the same picture (per size, format and output index) for every task, drawn once:
    # keeps a long benchmark from spending the machine's CPU on drawing thousands of images.
    shared_images: bool = False
    # Result videos: the frame size is the requested Resolution/AspectRatio's (e.g. 720P 16:9
    # is 1280x720) times `video_scale`, rounded to even sides; Describe's Resolution shows the
    # size actually served. Tests use a small scale (0.25: 320x180) to keep encoding cheap.
    video_scale: float = 1.0
    # "gradient": a few hundred KB; "noise": lossless random frames, about
    # width*height*1.5*24 bytes a second (320x180: ~2 MiB/s), to exceed upload limits.
    video_mode: VideoMode = "gradient"
    video_durations: dict[str, tuple[int, tuple[int, ...]]] = field(
        default_factory=lambda: dict(DEFAULT_VIDEO_DURATIONS)
    )
    audio_models: tuple[str, ...] = DEFAULT_AUDIO_MODELS
    last_frame_models: dict[str, str | None] = field(
        default_factory=lambda: dict(DEFAULT_LAST_FRAME_MODELS)
    )
    # Serve every result download broken this way (see bad_results.py); None serves real files.
    bad_results: BadResult | None = None
    # Every result URL answers HTTP 500 this many times before it serves its file.
    result_http_500s: int = 0
    # Tasks of one kind (image or video) that may be unfinished at once before a Create is
    # answered LimitExceeded.CreateTask; None means no cap.
    max_running_tasks: int | None = None
    # Reference image fetches (ImageInfos, ImageUrl, LastImageUrl).
    reference_timeout: float = 5.0
    max_reference_bytes: int = 20 * 1024 * 1024
    # Base of result URLs; None uses the Host the client reached the emulator with.
    public_url: str | None = None
    # The image tools (ProcessImage): timings, failures, buckets, the 7-day window.
    tools: ToolConfig = field(default_factory=ToolConfig)

    def __post_init__(self) -> None:
        if not self.credentials:
            raise ValueError("EmulatorConfig needs at least one SecretId/SecretKey pair")
        for name in ("image_wait", "image_run", "video_wait", "video_run"):
            low, high = getattr(self, name)
            if low < 0 or high < low:
                raise ValueError(f"{name} must be a (low, high) range with 0 <= low <= high")
        for name in ("image_total", "video_total"):
            bounds = getattr(self, name)
            if bounds is not None and (bounds[0] < 0 or bounds[1] < bounds[0]):
                raise ValueError(f"{name} must be a (low, high) range with 0 <= low <= high")
        if not 0.0 <= self.wait_fraction <= 1.0:
            raise ValueError("wait_fraction must be between 0 and 1")
        if not 0.0 <= self.failure_rate <= 1.0:
            raise ValueError("failure_rate must be between 0 and 1")
        if self.image_mode not in ("gradient", "noise"):
            raise ValueError("image_mode must be 'gradient' or 'noise'")
        if self.video_mode not in ("gradient", "noise"):
            raise ValueError("video_mode must be 'gradient' or 'noise'")
        if not 0.0 < self.video_scale <= 1.0:
            raise ValueError("video_scale must be in (0, 1]")
        if self.bad_results not in (None, "garbage", "truncated_png", "bomb_png", "empty"):
            raise ValueError("bad_results must be garbage, truncated_png, bomb_png or empty")
        if self.result_http_500s < 0:
            raise ValueError("result_http_500s must not be negative")
        self.banned_words = tuple(self.banned_words)
        self.banned_output_words = tuple(self.banned_output_words)

    @property
    def default_credentials(self) -> Credentials:
        """The first accepted key pair, handy for tests that just need a valid signer."""
        secret_id, secret_key = next(iter(self.credentials.items()))
        return Credentials(secret_id, secret_key)

    def video_duration_rule(self, model: str, version: str) -> tuple[int, tuple[int, ...]]:
        """(default, allowed) Durations in seconds for a video model."""
        rule = self.video_durations.get(f"{model}/{version}") or self.video_durations.get(model)
        return rule or (5, tuple(range(1, 17)))

    def supports_audio(self, model: str, version: str) -> bool:
        return model in self.audio_models or f"{model}/{version}" in self.audio_models

    def last_frame_ok(self, model: str, version: str, resolution: str) -> bool:
        for key in (f"{model}/{version}", model):
            if key in self.last_frame_models:
                needed = self.last_frame_models[key]
                return needed is None or needed == resolution
        return False

    def reference_limit(self, model: str, version: str) -> int:
        return self.max_reference_images.get(
            f"{model}/{version}", self.default_max_reference_images
        )
