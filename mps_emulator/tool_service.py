"""ProcessImage and DescribeImageTaskDetail: the image tools of the emulated account.

ProcessImage checks the request (process_image.py), fetches and decodes the input, plans
the output's size against the documented caps, all before answering, so every refusal
costs nothing, then makes the result in a worker thread while the task runs. The server
has authenticated, rate-limited and applied faults by then, as for every action.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

import aiohttp

from .config import PROCESS_IMAGE, TOOL_DESCRIBE, EmulatorConfig
from .cos_bucket import CosBuckets, StoredObject
from .image_tools import CONTENT_TYPES, inspect, output_extension, plan_size, render
from .process_image import ToolJob, validate_process_image
from .protocol import ApiError, missing, type_error
from .stats import Stats
from .tool_tasks import FINISH, TASK_ID_PREFIX, ForcedToolOutcome, ToolFailure, ToolTask

log = logging.getLogger(__name__)


class ImageTools:
    def __init__(
        self,
        config: EmulatorConfig,
        clock: Callable[[], float],
        wall_clock: Callable[[], float],
        stats: Stats,
        http: Callable[[], aiohttp.ClientSession | None],
    ) -> None:
        self.emulator_config = config
        self.config = config.tools
        self.clock = clock
        self.stats = stats
        self._http = http
        self.rng = random.Random(config.seed)
        self.tasks: dict[str, ToolTask] = {}
        self.buckets = CosBuckets()
        self.counts: Counter[str] = Counter()
        self._forced: deque[ForcedToolOutcome] = deque()
        self._renders: set[asyncio.Task[None]] = set()
        # Wall time derived from the monotonic clock, so that a test's fake clock moves the
        # signed URLs' expiry and the 7-day window together.
        self._epoch = (clock(), wall_clock())

    def wall(self) -> float:
        mono, wall = self._epoch
        return wall + (self.clock() - mono)

    async def call(self, action: str, params: dict[str, Any], base_url: str) -> dict[str, Any]:
        if action == PROCESS_IMAGE:
            return await self._process(params)
        assert action == TOOL_DESCRIBE, action
        return self._describe(params, base_url)

    # ---- ProcessImage --------------------------------------------------------------------

    async def _process(self, params: dict[str, Any]) -> dict[str, Any]:
        job = validate_process_image(params)
        self._check_bucket(job)
        data = await self._fetch(job.input_url)
        source = await asyncio.to_thread(inspect, data, self.config.max_input_pixels)
        size = plan_size(job, source)
        extension = output_extension(job, source)
        # No await from here to the task's creation: concurrent calls cannot pass the cap.
        now = self.clock()
        cap = self.emulator_config.max_running_tasks
        running = sum(1 for t in self.tasks.values() if t.status(now) != FINISH)
        if cap is not None and running >= cap:
            raise ApiError(
                "LimitExceeded.CreateTask",
                f"The number of running tasks has reached the limit `{cap}`.",
            )
        task = self._new_task(job, now, extension)
        if task.failure is None:
            render_task = asyncio.create_task(self._render(task, data, size))
            self._renders.add(render_task)
            render_task.add_done_callback(self._renders.discard)
        else:
            task.ready_at = now
        self.counts["created"] += 1
        self.stats.tasks_created["tool"] += 1
        return {"TaskId": task.task_id}

    def _check_bucket(self, job: ToolJob) -> None:
        known = self.config.buckets
        if known is not None and known.get(job.bucket) != job.region:
            raise ApiError(
                "ResourceNotFound.CosBucketNotExist",
                f"The bucket `{job.bucket}` does not exist in `{job.region}`.",
            )

    async def _fetch(self, url: str) -> bytes:
        http = self._http()
        assert http is not None, "MpsService.open() was not called"
        limit = self.config.max_input_bytes
        why = ""
        try:
            timeout = aiohttp.ClientTimeout(total=self.config.input_timeout)
            async with http.get(url, timeout=timeout) as response:
                if response.status != 200:
                    why = f"HTTP {response.status}"
                else:
                    # StreamReader.read(n) returns what has arrived, not n bytes: read to
                    # the end (or past the limit), or a large picture is cut short.
                    received = bytearray()
                    async for chunk in response.content.iter_chunked(65536):
                        received += chunk
                        if len(received) > limit:
                            why = f"larger than {limit} bytes"
                            break
                    data = bytes(received)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            why = f"{type(exc).__name__}: {exc}"
        if why:
            self.counts["inputs_failed"] += 1
            log.info("tool input %s not usable: %s", url, why)
            raise ApiError(
                "ResourceNotFound.DownloadError", f"Failed to download the file from `{url}`."
            )
        self.counts["inputs_fetched"] += 1
        return data

    def _new_task(self, job: ToolJob, now: float, extension: str) -> ToolTask:
        # The same draws whether forced or not, so forcing one task keeps a seeded run's ids.
        task_id = f"{TASK_ID_PREFIX}{self.rng.getrandbits(128):032x}"
        wait_s = self.rng.uniform(*self.config.wait)
        run_s = self.rng.uniform(*self.config.run)
        failure = None
        if self.rng.random() < self.config.failure_rate:
            failure = ToolFailure(self.config.failure_code, self.config.failure_message)
        if self._forced:
            forced = self._forced.popleft()
            failure = forced.failure
            wait_s = wait_s if forced.wait is None else forced.wait
            run_s = run_s if forced.run is None else forced.run
        task = ToolTask(
            task_id=task_id,
            job=job,
            created_at=now,
            created_wall=self.wall(),
            wait_s=wait_s,
            run_s=run_s,
            object_key=job.path_template.replace("{format}", extension),
            extension=extension,
            failure=failure,
        )
        self.tasks[task_id] = task
        return task

    async def _render(self, task: ToolTask, data: bytes, size: tuple[int, int]) -> None:
        try:
            rendered = await asyncio.to_thread(render, task.job, data, size, task.extension)
        except Exception:
            log.exception("image tool %s failed to render", task.task_id)
            task.failure = ToolFailure(self.config.failure_code, self.config.failure_message)
        else:
            task.rendered = rendered
            if rendered.data is not None:
                stored = StoredObject(rendered.data, CONTENT_TYPES[task.extension], task.final_at)
                self.buckets.put(task.job.bucket, task.object_key, stored)
        task.ready_at = self.clock()

    # ---- DescribeImageTaskDetail ---------------------------------------------------------

    def _describe(self, params: dict[str, Any], base_url: str) -> dict[str, Any]:
        for key in params:
            if key != "TaskId":
                raise ApiError("UnknownParameter", f"The parameter `{key}` is not recognized.")
        task_id = params.get("TaskId")
        if task_id is None or task_id == "":
            raise missing("TaskId")
        if not isinstance(task_id, str):
            raise type_error("TaskId")
        now = self.clock()
        task = self.tasks.get(task_id)
        if task is None or now - task.created_at > self.config.retention:
            raise ApiError(self.config.missing_task_code, f"The task `{task_id}` does not exist.")
        task.describe_calls += 1
        start = int(self.wall())
        base = (self.emulator_config.public_url or base_url).rstrip("/")
        url = self.buckets.signed_url(
            base, task.job.bucket, task.object_key, start, start + int(self.config.url_lifetime)
        )
        return task.answer(now, url)

    # ---- control -------------------------------------------------------------------------

    def force_next(self, outcome: ForcedToolOutcome, count: int = 1) -> None:
        """Decide the outcome and optionally the durations of the next `count` tasks."""
        if count < 1:
            raise ValueError("count must be at least 1")
        self._forced.extend([outcome] * count)

    def fail_next(
        self,
        failure: ToolFailure | None = None,
        count: int = 1,
        *,
        wait: float | None = None,
        run: float | None = None,
    ) -> None:
        """The next `count` tasks end in `failure` (its empty code or message: the config's;
        its level "result" or "task", see tool_tasks.py)."""
        failure = failure or ToolFailure("", "")
        failure = ToolFailure(
            failure.code or self.config.failure_code,
            failure.message or self.config.failure_message,
            failure.level,
        )
        self.force_next(ForcedToolOutcome(failure, wait, run), count)

    def pending_forced(self) -> int:
        return len(self._forced)

    def count_download(self, key: str) -> None:
        for task in self.tasks.values():
            if task.object_key == key:
                task.downloads += 1

    async def settled(self) -> None:
        """Wait until every result being made is made (tests await this, not a sleep)."""
        while self._renders:
            await asyncio.gather(*self._renders, return_exceptions=True)

    def snapshot(self, now: float) -> dict[str, Any]:
        return {
            "counts": dict(self.counts),
            "pending_outcomes": len(self._forced),
            "tasks": {
                t.task_id: {
                    "tool": t.job.tool,
                    "status": t.status(now),
                    "failed": t.failure is not None,
                    "path": "/" + t.object_key,
                    "describe_calls": t.describe_calls,
                    "downloads": t.downloads,
                }
                for t in self.tasks.values()
            },
        }

    def clear(self, *, full: bool) -> None:
        self.counts.clear()
        if full:
            self.tasks.clear()
            self._forced.clear()
            self.buckets.clear()

    async def close(self) -> None:
        for render_task in list(self._renders):
            render_task.cancel()
        await asyncio.gather(*self._renders, return_exceptions=True)
