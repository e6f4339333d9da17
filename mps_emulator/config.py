"""Emulator configuration: one dataclass, defaults taken from the MPS API reference.

Everything the emulator decides (models, limits, timings, moderation) lives here rather than
in the handlers, so tests and benchmarks change behaviour by building a config, not by patching.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.mps.signer import Credentials

from .bad_results import BAD_RESULT_KINDS
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

# The models, versions and what each takes are the documentation's: see contract.py.
# Account states an operator must fix (issue "operator errors"): while one is set, every API
# request after authentication is answered with it.
ACCOUNT_ERRORS = (
    "ResourceNotFound.UserUnregister",
    "InvalidParameterValue.UserUnRegister",
    "FailedOperation.InvalidMpsUser",
    "FailedOperation.UserArrears",
    "UnsupportedRegion",
    "ActionOffline",
    "UnauthorizedOperation",
    "AuthFailure.UnauthorizedOperation",
    "AuthFailure.SecretIdNotFound",
)

ImageMode = Literal["gradient", "noise"]
VideoMode = Literal["gradient", "noise"]
BadResult = Literal["garbage", "truncated_png", "bomb_png", "empty", "bmp", "tiff"]
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
    # Serve every result download broken this way (see bad_results.py); None serves real files.
    bad_results: BadResult | None = None
    # Every result URL answers HTTP 500 this many times before it serves its file.
    result_http_500s: int = 0
    # Tasks of one kind (image or video) that may be unfinished at once before a Create is
    # answered LimitExceeded.CreateTask; None means no cap.
    max_running_tasks: int | None = None
    # Reference image fetches (ImageInfos, ImageUrl, LastImageUrl).
    reference_timeout: float = 5.0
    # The largest reference fetched at all; each field has its own documented limit too.
    max_reference_bytes: int = 20 * 1024 * 1024
    # Describe finds a task this long after its creation (7 days, documented for
    # DescribeImageTaskDetail; applied to the AIGC tasks as the stricter reading).
    task_lookup_window: float = 7 * 24 * 3600.0
    # An account state an operator must fix (one of ACCOUNT_ERRORS); None: all is well.
    account_error: str | None = None
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
        if self.bad_results not in (None, *BAD_RESULT_KINDS):
            raise ValueError(f"bad_results must be one of {', '.join(BAD_RESULT_KINDS)}")
        if self.result_http_500s < 0:
            raise ValueError("result_http_500s must not be negative")
        if self.account_error is not None and self.account_error not in ACCOUNT_ERRORS:
            raise ValueError(f"account_error must be one of {', '.join(ACCOUNT_ERRORS)}")
        self.banned_words = tuple(self.banned_words)
        self.banned_output_words = tuple(self.banned_output_words)

    @property
    def default_credentials(self) -> Credentials:
        """The first accepted key pair, handy for tests that just need a valid signer."""
        secret_id, secret_key = next(iter(self.credentials.items()))
        return Credentials(secret_id, secret_key)
