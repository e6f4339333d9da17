"""Image tool tasks: WAITING, then PROCESSING, then FINISH, with one result that succeeded
or failed, and the DescribeImageTaskDetail answer for each moment.

As with the AIGC tasks, a task draws its durations and outcome when created and its status
is computed from the clock; one thing more holds it in PROCESSING: the result must really
have been made (in a worker thread) before FINISH is answered.

How a failure shows (SDK 3.1.194 `DescribeImageTaskDetailResponse`; which level MPS uses
for which failure is not documented, so the emulator does both):
- "result": the task FINISHes with ErrCode 0 and one result `Status: FAIL` with an
  ErrMsg code and a Message;
- "task": the task FINISHes with a non-zero ErrCode, ErrMsg and Message, and no result.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from .image_tools import Rendered
from .process_image import ToolJob

WAITING = "WAITING"
PROCESSING = "PROCESSING"
FINISH = "FINISH"
RESULT_LEVEL = "result"
TASK_LEVEL = "task"
# ErrCode of a task-level failure: an integer, undocumented beyond "任务失败时的错误码".
TASK_ERR_CODE = 70000
# ProcessImage's TaskIds are not documented; MPS workflow tasks look like this.
TASK_ID_PREFIX = "2600000000-WorkflowTask-"


@dataclass(frozen=True)
class ToolFailure:
    code: str
    message: str
    level: str = RESULT_LEVEL


@dataclass(frozen=True)
class ForcedToolOutcome:
    failure: ToolFailure | None
    wait: float | None = None
    run: float | None = None


@dataclass
class ToolTask:
    task_id: str
    job: ToolJob
    created_at: float  # monotonic
    created_wall: float  # unix time, for CreateTime/FinishTime
    wait_s: float
    run_s: float
    object_key: str  # the Path, {format} filled in
    extension: str
    failure: ToolFailure | None = None
    # When the result was made (monotonic), and what it is; None while it is being made.
    ready_at: float | None = None
    rendered: Rendered | None = None
    describe_calls: int = 0
    downloads: int = 0

    @property
    def final_at(self) -> float:
        """When the task may FINISH by its drawn durations."""
        return self.created_at + self.wait_s + self.run_s

    def finished_at(self) -> float | None:
        if self.ready_at is None:
            return None
        return max(self.final_at, self.ready_at)

    def status(self, now: float) -> str:
        if now < self.created_at + self.wait_s:
            return WAITING
        done = self.finished_at()
        if done is None or now < done:
            return PROCESSING
        return FINISH

    def progress(self, now: float) -> int:
        begun = now - self.created_at - self.wait_s
        return max(0, min(99, int(100 * begun / self.run_s))) if self.run_s > 0 else 99

    def answer(self, now: float, signed_url: str) -> dict[str, Any]:
        """The DescribeImageTaskDetail Response fields (RequestId aside) at `now`."""
        status = self.status(now)
        body: dict[str, Any] = {
            "TaskType": "WorkflowTask",
            "Status": status,
            "ErrCode": 0,
            "ErrMsg": "",
            "Message": "",
            "ImageProcessTaskResultSet": [],
            "CreateTime": _iso(self.created_wall),
            "FinishTime": "",
            "ImageTask": self.job.image_task,
            "InputInfo": self.job.input_info,
        }
        if status == WAITING:
            return body
        if status == PROCESSING:
            body["ImageProcessTaskResultSet"] = [
                {"Status": PROCESSING, "ErrMsg": "", "Message": "", "Progress": self.progress(now)}
            ]
            return body
        done = self.finished_at()
        assert done is not None
        body["FinishTime"] = _iso(self.created_wall + (done - self.created_at))
        failure = self.failure
        if failure is not None and failure.level == TASK_LEVEL:
            body.update(ErrCode=TASK_ERR_CODE, ErrMsg=failure.code, Message=failure.message)
            return body
        if failure is not None:
            result = {"Status": "FAIL", "ErrMsg": failure.code, "Message": failure.message}
            result["Progress"] = 100
        else:
            result = {"Status": "SUCCESS", "ErrMsg": "", "Message": "", "Progress": 100}
            result["Output"] = self._output(signed_url)
        body["ImageProcessTaskResultSet"] = [result]
        return body

    def _output(self, signed_url: str) -> dict[str, Any]:
        rendered = self.rendered
        assert rendered is not None
        storage = {
            "Type": "COS",
            "CosOutputStorage": {"Bucket": self.job.bucket, "Region": self.job.region},
        }
        if rendered.data is None:  # a text result: nothing was written
            return {
                "Path": "",
                "OutputStorage": storage,
                "SignedUrl": "",
                "Content": rendered.text,
                "FileId": "",
            }
        return {
            "Path": "/" + self.object_key,
            "OutputStorage": storage,
            "SignedUrl": signed_url,
            "Content": "",
            "FileId": "",
        }


def _iso(unix: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(unix))
