"""The emulated MPS account: its tasks, limits, faults and counters, and the actions
(the image tools' two in tool_service.py).

Nothing here knows about HTTP requests: the server authenticates, rate-limits and applies
faults, then hands the parsed JSON body to `MpsService.call`.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import logging
from collections.abc import Callable
from typing import Any

import aiohttp

from .config import (
    IMAGE_CREATE,
    IMAGE_DESCRIBE,
    PROCESS_IMAGE,
    TOOL_DESCRIBE,
    VIDEO_CREATE,
    VIDEO_DESCRIBE,
    EmulatorConfig,
)
from .faults import FaultQueue
from .images import ResultFiles
from .protocol import ApiError, missing, type_error
from .ratelimit import RateLimiter
from .stats import Stats
from .tasks import DONE, IMAGE, VIDEO, Task, TaskStore
from .tool_service import ImageTools
from .validation import Reference, validate_image_create
from .video_validation import validate_video_create

log = logging.getLogger(__name__)

# What a reference's first bytes say it is.
SIGNATURES = {"jpeg": b"\xff\xd8\xff", "png": b"\x89PNG\r\n\x1a\n"}


class MpsService:
    def __init__(
        self,
        config: EmulatorConfig,
        clock: Callable[[], float],
        wall_clock: Callable[[], float],
    ) -> None:
        self.config = config
        self.clock = clock
        self.wall_clock = wall_clock
        self.store = TaskStore(config, config.seed)
        self.limiter = RateLimiter(config.rate_limits)
        self.faults = FaultQueue()
        self.stats = Stats()
        self.files = ResultFiles(
            config.image_mode, shared=config.shared_images, video_mode=config.video_mode
        )
        self.http: aiohttp.ClientSession | None = None
        self.tools = ImageTools(config, clock, wall_clock, self.stats, lambda: self.http)

    async def open(self) -> None:
        # trust_env=False: reference URLs are fetched directly, never through a proxy that
        # the environment of a test run happens to set.
        self.http = aiohttp.ClientSession(trust_env=False)

    async def close(self) -> None:
        await self.tools.close()
        if self.http is not None:
            await self.http.close()
            self.http = None

    async def call(self, action: str, params: dict[str, Any], base_url: str) -> dict[str, Any]:
        if action == IMAGE_CREATE:
            return await self._create(IMAGE, params)
        if action == VIDEO_CREATE:
            return await self._create(VIDEO, params)
        if action == IMAGE_DESCRIBE:
            return self._describe(IMAGE, params, base_url)
        if action == VIDEO_DESCRIBE:
            return self._describe(VIDEO, params, base_url)
        if action in (PROCESS_IMAGE, TOOL_DESCRIBE):
            return await self.tools.call(action, params, base_url)
        raise AssertionError(f"no handler for {action}")  # the server checked the action

    async def _create(self, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        validate = validate_image_create if kind == IMAGE else validate_video_create
        request = validate(params, self.config)
        digests: list[str] = []
        if request.references:
            digests = await asyncio.gather(*(self._fetch_reference(r) for r in request.references))
        # Checked after the fetches, right before creating: no await between check and create,
        # so concurrent Creates cannot overshoot the cap.
        cap = self.config.max_running_tasks
        now = self.clock()
        if cap is not None and self.store.unfinished(kind, now) >= cap:
            raise ApiError(
                "LimitExceeded.CreateTask",
                f"The number of running tasks has reached the limit `{cap}`.",
            )
        task = self.store.create(
            request.spec, now, self.wall_clock(), self.stats.epoch, request.output_blocked
        )
        task.params, task.reference_digests = copy.deepcopy(params), tuple(digests)
        self.stats.tasks_created[kind] += 1
        log.debug("created %s (%s %s)", task.task_id, task.spec.model, task.spec.version)
        return {"TaskId": task.task_id}

    def _describe(self, kind: str, params: dict[str, Any], base_url: str) -> dict[str, Any]:
        for key in params:
            if key != "TaskId":
                raise ApiError("UnknownParameter", f"The parameter `{key}` is not recognized.")
        task_id = params.get("TaskId")
        if task_id is None or task_id == "":
            raise missing("TaskId")
        if not isinstance(task_id, str):
            raise type_error("TaskId")
        task = self.store.get(task_id)
        now = self.clock()
        # Tasks are found for `task_lookup_window` after their creation (7 days, as the
        # documentation says of DescribeImageTaskDetail; A19).
        if (
            task is None
            or task.kind != kind
            or now - task.created_at > self.config.task_lookup_window
        ):
            raise ApiError("ResourceNotFound.TaskNotFound", f"The task `{task_id}` does not exist.")

        status = task.status(now)
        task.describe_calls += 1
        final = task.is_final(now)
        if final and task.first_final_seen_at is None:
            task.first_final_seen_at = now
        urls = self.result_urls(task, base_url) if status == DONE else []
        message = task.message if final else ""
        if kind == IMAGE:
            return {"Status": status, "ImageUrls": urls, "Message": message}
        resolution = task.spec.resolution if status == DONE else ""
        return {"Status": status, "VideoUrls": urls, "Resolution": resolution, "Message": message}

    def result_urls(self, task: Task, base_url: str) -> list[str]:
        base = (self.config.public_url or base_url).rstrip("/")
        return [self.files.url(base, task, i) for i in range(task.spec.output_count)]

    async def _fetch_reference(self, reference: Reference) -> str:
        """Fetch a reference image as MPS does: one it cannot fetch is a DownloadError, one
        of a format or size the field does not take is InvalidParameterValue.SrcFile. The
        SHA-256 of what was fetched."""
        assert self.http is not None, "MpsService.open() was not called"
        url = reference.url
        limit = min(reference.max_bytes, self.config.max_reference_bytes)
        timeout = aiohttp.ClientTimeout(total=self.config.reference_timeout)
        why = bad = ""
        data = b""
        try:
            async with self.http.get(url, timeout=timeout) as response:
                if response.status != 200:
                    why = f"HTTP {response.status}"
                else:
                    # Read to the end (read(n) returns what has arrived, not n bytes).
                    received = bytearray()
                    async for chunk in response.content.iter_chunked(65536):
                        received += chunk
                        if len(received) > limit:
                            break
                    data = bytes(received)
                    if len(data) > limit:
                        bad = f"larger than {limit} bytes"
                    elif image_format(data) not in reference.formats:
                        bad = f"not one of {', '.join(reference.formats)}"
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            why = f"{type(exc).__name__}: {exc}"
        if why or bad:
            self.stats.references["failed"] += 1
            log.info("reference %s not usable: %s", url, why or bad)
        if why:
            raise ApiError(
                "ResourceNotFound.DownloadError", f"Failed to download the file from `{url}`."
            )
        if bad:
            raise ApiError("InvalidParameterValue.SrcFile", f"The image at `{url}` is {bad}.")
        self.stats.references["fetched"] += 1
        return hashlib.sha256(data).hexdigest()


def image_format(data: bytes) -> str | None:
    for name, signature in SIGNATURES.items():
        if data.startswith(signature):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None
