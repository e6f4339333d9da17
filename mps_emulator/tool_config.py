"""How the emulated image tools (ProcessImage, DescribeImageTaskDetail) behave."""

from __future__ import annotations

from dataclasses import dataclass

Range = tuple[float, float]

# Neither the code of a failed result nor the text is documented beyond "an error code,
# empty for success" (ImageProcessTaskResult.ErrMsg); these are the emulator's.
DEFAULT_FAILURE_CODE = "InternalError"
DEFAULT_FAILURE_MESSAGE = "The image processing failed."
# DescribeImageTaskDetail "最多可以查询7天之内提交的任务" (mps_client.py).
RETENTION_SECONDS = 7 * 24 * 3600.0


@dataclass
class ToolConfig:
    # WAITING then PROCESSING, drawn per task. Tencent documents no duration; a task also
    # stays PROCESSING until the emulator has really made its result.
    wait: Range = (1.0, 3.0)
    run: Range = (4.0, 15.0)
    failure_rate: float = 0.0
    failure_code: str = DEFAULT_FAILURE_CODE
    failure_message: str = DEFAULT_FAILURE_MESSAGE
    # Tasks older than this are answered as unknown.
    retention: float = RETENTION_SECONDS
    # Output.SignedUrl is signed at each Describe and lives this long (not documented).
    url_lifetime: float = 3600.0
    # Bucket -> region of the buckets that exist; None: every well-formed bucket name
    # exists in the region it is named with.
    buckets: dict[str, str] | None = None
    # Input fetches (no limits are documented for ProcessImage inputs; these are the
    # emulator's, generous, bounds).
    input_timeout: float = 10.0
    max_input_bytes: int = 32 * 1024 * 1024
    max_input_pixels: int = 36_000_000
    # What Describe answers for an unknown or expired task: which of
    # ResourceNotFound.TaskNotFound, FailedOperation.TaskNotFound and
    # InvalidParameterValue.TaskId MPS uses here is not documented.
    missing_task_code: str = "ResourceNotFound.TaskNotFound"

    def __post_init__(self) -> None:
        for name in ("wait", "run"):
            low, high = getattr(self, name)
            if low < 0 or high < low:
                raise ValueError(f"tools.{name} must be a (low, high) range with 0 <= low <= high")
        if not 0.0 <= self.failure_rate <= 1.0:
            raise ValueError("tools.failure_rate must be between 0 and 1")
        if self.retention <= 0 or self.url_lifetime <= 0:
            raise ValueError("tools.retention and tools.url_lifetime must be positive")
