"""A faithful loopback emulator of the Tencent Cloud MPS AIGC API, for tests and benchmarks.

It verifies TC3-HMAC-SHA256 signatures as Tencent does, enforces the per-action rate limits
over rolling one-second windows, runs tasks through WAIT -> RUN -> DONE/FAIL on their own
drawn durations, serves real result images and MP4 videos behind signed expiring URLs,
injects faults on demand, and counts everything a benchmark wants to know.

Requests are checked model by model as the SDK 3.1.194 documentation describes them
(contract.py, with its line numbers), with the most specific error code the SDK lists.

Videos: H.264 at 24 fps, `Duration` seconds long (default per model, see contract.py),
frame size from ExtraParameters.Resolution/AspectRatio times `EmulatorConfig.video_scale`,
with a mono AAC track exactly when ExtraParameters.EnableAudio is true (accepted only for
the models that document it). `video_mode="noise"`
makes them big (lossless random frames) to exercise a client's transcoding.

Output moderation: a task whose result fails moderation is accepted and runs, then Describe
answers ``Status: FAIL`` with ``Message`` exactly `OUTPUT_BLOCKED_MESSAGE`
("The generated content was blocked by content moderation."); the SDK's Describe answers
carry no error code, so that text is the signal (`is_output_blocked(status, message)`).
Trigger it with `EmulatorConfig.banned_output_words` (a prompt containing one) or the fault
kind "block_output" for the next task. Prompt moderation (`banned_words`) is different: the
Create itself is answered InvalidParameter.ViolationContent.

Image tools: ProcessImage and DescribeImageTaskDetail (tool_service.py), checked as MPS
documents them (process_image.py, image_task_configs.py), really done with Pillow
(image_tools.py), their results kept in an emulated COS bucket and served at signed,
expiring URLs (cos_bucket.py, cos_downloads.py); `EmulatorConfig.tools` (`ToolConfig`)
sets their timings, failures, buckets and the 7-day window, and
`emulator.service.tools.settled()` waits until every result being made is made.

Broken results: Download faults or `EmulatorConfig.bad_results` serve garbage, truncated_png,
bomb_png or empty bodies, or the picture as BMP or TIFF labelled PNG (bad_results.py);
`result_http_500s` makes each URL fail first.

Default credentials (accepted when no others are configured; they are the public example
values of MPS-API.md, not secrets):

    SecretId  AKIDEXAMPLEEXAMPLEEXAMPLEEXAMPLE
    SecretKey EXAMPLEKEYEXAMPLEKEYEXAMPLEKEY12

From the command line: ``python -m mps_emulator --port 8765`` (``--help`` for the rest).
From Python::

    from mps_emulator import EmulatorConfig, MpsEmulator

    config = EmulatorConfig(image_wait=(0.0, 0.0), image_run=(0.05, 0.05), seed=1)
    async with MpsEmulator(config) as emu:
        ...  # endpoint emu.url, Host header emu.host, sign with emu.credentials
        emu.inject_fault("slow", "CreateAigcImageTask", delay=5)
        emu.inject_fault("block_output", "CreateAigcVideoTask")
        emu.inject_fault("bomb_png", "Download")
        print(emu.stats()["actions"]["CreateAigcImageTask"]["peak_1s"])

HTTP admin endpoints (unauthenticated; the emulator is a loopback test tool):
``GET /_emulator/stats``, ``POST /_emulator/faults`` (body as `MpsEmulator.inject_fault`'s
arguments), ``POST /_emulator/reset`` (optional body ``{"full": true}``),
``POST /_emulator/account`` (``{"error": "FailedOperation.UserArrears"}`` puts the account
in a state only its operator can fix, ``{"error": null}`` clears it).

The errors a client must handle apart can be produced on demand: any error code on the next
requests of an action (fault "error" with a `code`, e.g. FailedOperation.TaskNotFound or
InvalidParameterValue.TaskId on Describe, FailedOperation.CreateAIGCTaskFailed on Create),
account errors (above), and tasks older than `task_lookup_window` (7 days) are not found.
"""

from .bad_results import BAD_RESULT_KINDS
from .config import (
    ACCOUNT_ERRORS,
    ACTIONS,
    DEFAULT_RATE_LIMITS,
    DEFAULT_SECRET_ID,
    DEFAULT_SECRET_KEY,
    EmulatorConfig,
)
from .faults import ANY_ACTION, API_FAULT_KINDS, DOWNLOAD, DOWNLOAD_FAULT_KINDS
from .server import BLOCK_OUTPUT, FAIL_TASK, MpsEmulator
from .tasks import OUTPUT_BLOCKED_MESSAGE, Task, is_output_blocked
from .tool_config import ToolConfig

__all__ = [
    "ACCOUNT_ERRORS",
    "ACTIONS",
    "ANY_ACTION",
    "API_FAULT_KINDS",
    "BAD_RESULT_KINDS",
    "BLOCK_OUTPUT",
    "DEFAULT_RATE_LIMITS",
    "DEFAULT_SECRET_ID",
    "DEFAULT_SECRET_KEY",
    "DOWNLOAD",
    "DOWNLOAD_FAULT_KINDS",
    "FAIL_TASK",
    "OUTPUT_BLOCKED_MESSAGE",
    "EmulatorConfig",
    "MpsEmulator",
    "Task",
    "ToolConfig",
    "is_output_blocked",
]
