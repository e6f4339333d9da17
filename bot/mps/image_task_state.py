"""What DescribeImageTaskDetail answers, mapped onto what a caller can act on.

The API (SDK 3.1.194 `DescribeImageTaskDetailResponse`, `ImageProcessTaskResult`) reports a
task Status (WAITING, PROCESSING, FINISH), a task-level ErrCode (int), ErrMsg (an error
*code* string, empty on success) and Message, and one result per output with its own
Status (PROCESSING, SUCCESS, FAIL), ErrMsg, Message, Progress and Output (SignedUrl for a
file, Content for text). A FINISH task is not a successful one: it succeeded only when no
error is set at either level and every result is SUCCESS with something in it.

Reading rules, each the cautious one where the documentation is silent:
- an unknown Status is not final (like the AIGC actions);
- FINISH with a result still PROCESSING is not final either: the answers disagree, and
  looking again costs a Describe, whereas giving up would lose a billed result;
- FINISH with no result, or a SUCCESS result with neither a URL nor a text, is a failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from .errors import is_output_blocked
from .models import TaskState, TaskStatus


class ImageTaskStatus(StrEnum):
    WAITING = "WAITING"
    PROCESSING = "PROCESSING"
    FINISH = "FINISH"


class ResultStatus(StrEnum):
    PROCESSING = "PROCESSING"
    SUCCESS = "SUCCESS"
    FAIL = "FAIL"


# Codes of the failures this module infers itself (MPS never sends them).
NO_RESULT = "NoResult"
NO_OUTPUT = "NoOutput"

_E = TypeVar("_E", bound=StrEnum)


@dataclass(frozen=True)
class ImageOutput:
    """Where a result went: its COS path and bucket, a signed URL to fetch it, or a text."""

    path: str = ""
    url: str = ""
    content: str = ""
    bucket: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class ImageResult:
    status: ResultStatus | None
    code: str = ""  # the result's ErrMsg: an error code, empty on success
    message: str = ""
    output: ImageOutput | None = None
    progress: int | None = None

    @property
    def usable(self) -> bool:
        output = self.output
        return (
            self.status is ResultStatus.SUCCESS
            and not self.code
            and output is not None
            and bool(output.url or output.content)
        )


@dataclass(frozen=True)
class ImageTaskFailure:
    """Why a finished task gave nothing: an error code and the service's words for it."""

    code: str
    message: str

    @property
    def blocked(self) -> bool:
        """Whether content moderation stopped it (recognised by its words, as for AIGC)."""
        return "violation" in self.code.lower() or is_output_blocked(self.message)


@dataclass(frozen=True)
class ImageTaskState:
    task_id: str
    status: ImageTaskStatus | None
    results: tuple[ImageResult, ...] = ()
    err_code: int = 0
    err_msg: str = ""
    message: str = ""
    request_id: str | None = None

    @property
    def final(self) -> bool:
        if self.status is not ImageTaskStatus.FINISH:
            return False
        return all(r.status is not ResultStatus.PROCESSING for r in self.results)

    @property
    def failure(self) -> ImageTaskFailure | None:
        """Why the task failed, once final; None while it runs or when it succeeded."""
        if not self.final:
            return None
        if self.err_code or self.err_msg:
            code = self.err_msg or f"ErrCode {self.err_code}"
            return ImageTaskFailure(code, self.message or self.err_msg)
        for result in self.results:
            if result.status is not ResultStatus.SUCCESS or result.code:
                return ImageTaskFailure(result.code or "FAIL", result.message or self.message)
        if not self.results:
            return ImageTaskFailure(NO_RESULT, "the task finished without a result")
        if not all(r.usable for r in self.results):
            return ImageTaskFailure(NO_OUTPUT, "a result has neither a file nor a text")
        return None

    @property
    def succeeded(self) -> bool:
        return self.final and self.failure is None

    @property
    def urls(self) -> tuple[str, ...]:
        """Signed URLs of the usable result files, also when another result failed (valid
        for a while only: fetch them at once; a new Describe signs new ones)."""
        return tuple(r.output.url for r in self.results if r.usable and r.output and r.output.url)

    @property
    def text(self) -> str:
        """The text results (Describe), joined."""
        parts = [r.output.content for r in self.results if r.usable and r.output]
        return "\n\n".join(p for p in parts if p)

    @property
    def progress(self) -> int:
        """0–100: FINISH is 100, WAITING 0, PROCESSING the results' mean Progress."""
        if self.final:
            return 100
        known = [r.progress for r in self.results if r.progress is not None]
        if self.status is not ImageTaskStatus.PROCESSING or not known:
            return 0
        return max(0, min(99, round(sum(known) / len(known))))

    def as_task_state(self) -> TaskState:
        """The answer in the engine's terms, as honestly as it maps: WAITING is WAIT;
        PROCESSING, an unknown status and a FINISH whose results still run are RUN (not
        final); FINISH is DONE only when it succeeded, FAIL with its error otherwise."""
        if self.status is ImageTaskStatus.WAITING:
            status: TaskStatus | None = TaskStatus.WAIT
        elif self.status is None:
            status = None
        elif not self.final:
            status = TaskStatus.RUN
        else:
            failure = self.failure
            if failure is not None:
                return TaskState(
                    self.task_id,
                    TaskStatus.FAIL,
                    message=failure.message or failure.code,
                    request_id=self.request_id,
                    code=failure.code,
                    blocked=failure.blocked,
                )
            status = TaskStatus.DONE
        reported = any(r.progress is not None for r in self.results)
        return TaskState(
            self.task_id,
            status,
            urls=self.urls if status is TaskStatus.DONE else (),
            text=self.text if status is TaskStatus.DONE else "",
            request_id=self.request_id,
            progress=self.progress if status is TaskStatus.RUN and reported else None,
        )

    @classmethod
    def from_api(cls, task_id: str, body: dict[str, Any]) -> ImageTaskState:
        """Read a DescribeImageTaskDetail Response; ValueError/TypeError when malformed."""
        raw_results = body.get("ImageProcessTaskResultSet") or []
        if not isinstance(raw_results, list):
            raise TypeError("ImageProcessTaskResultSet is not a list")
        err_code = body.get("ErrCode") or 0
        if not isinstance(err_code, int) or isinstance(err_code, bool):
            raise TypeError("ErrCode is not an integer")
        return cls(
            task_id=task_id,
            status=_enum(ImageTaskStatus, body.get("Status")),
            results=tuple(_result(item) for item in raw_results),
            err_code=err_code,
            err_msg=_text(body.get("ErrMsg")),
            message=_text(body.get("Message")),
            request_id=body.get("RequestId") if isinstance(body.get("RequestId"), str) else None,
        )


def _enum(cls: type[_E], raw: Any) -> _E | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise TypeError("a status that is not a string")
    try:
        return cls(raw)
    except ValueError:
        return None  # a status this release does not know: not final


def _text(raw: Any) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise TypeError("a text field that is not a string")
    return raw


def _result(item: Any) -> ImageResult:
    if not isinstance(item, dict):
        raise TypeError("a result that is not an object")
    progress = item.get("Progress")
    if progress is not None and (not isinstance(progress, int) or isinstance(progress, bool)):
        raise TypeError("Progress is not an integer")
    return ImageResult(
        status=_enum(ResultStatus, item.get("Status")),
        code=_text(item.get("ErrMsg")),
        message=_text(item.get("Message")),
        output=_output(item.get("Output")),
        progress=progress,
    )


def _output(raw: Any) -> ImageOutput | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise TypeError("Output is not an object")
    storage = raw.get("OutputStorage") or {}
    if not isinstance(storage, dict):
        raise TypeError("OutputStorage is not an object")
    cos = storage.get("CosOutputStorage") or {}
    if not isinstance(cos, dict):
        raise TypeError("CosOutputStorage is not an object")
    return ImageOutput(
        path=_text(raw.get("Path")),
        url=_text(raw.get("SignedUrl")),
        content=_text(raw.get("Content")),
        bucket=cos.get("Bucket") if isinstance(cos.get("Bucket"), str) else None,
        region=cos.get("Region") if isinstance(cos.get("Region"), str) else None,
    )
