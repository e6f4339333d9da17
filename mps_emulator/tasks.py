"""Tasks and their lifecycle: WAIT, then RUN, then DONE or FAIL.

A task's state is never advanced by a timer. It draws its durations and its outcome once,
when created, and its status at any moment is computed from its creation time. That keeps the
emulator free of background work and makes every answer a pure function of the clock.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .config import EmulatorConfig, Range

IMAGE = "image"
VIDEO = "video"
DONE = "DONE"
FAIL = "FAIL"
OK_MESSAGE = "ok"
# The Message of a task whose result was blocked by content moderation after it ran: Status
# FAIL, and nothing else in the Describe answer tells it apart (the SDK's Describe*Task
# models carry no error code), so a client classifies it by this exact text.
OUTPUT_BLOCKED_MESSAGE = "The generated content was blocked by content moderation."


def is_output_blocked(status: str, message: str) -> bool:
    """Whether a Describe answer's Status and Message say the output failed moderation."""
    return status == FAIL and message == OUTPUT_BLOCKED_MESSAGE


@dataclass(frozen=True)
class TaskSpec:
    """What a validated Create asked for, as far as the result files are concerned."""

    kind: str
    model: str
    version: str
    output_count: int
    width: int
    height: int
    extension: str  # "png", "jpg" or "mp4"
    resolution: str | None = None  # video only, as DescribeAigcVideoTask shows it
    duration: int = 0  # video only, seconds
    audio: bool = False  # video only: an AAC track (ExtraParameters.EnableAudio)
    logo: bool = False  # the visible "AI generated" mark was asked for (LogoAdd 1)


@dataclass(frozen=True)
class ForcedOutcome:
    """Overrides for the next created task of a kind (None keeps the random draw)."""

    status: str = FAIL
    message: str | None = None
    wait: float | None = None
    run: float | None = None


@dataclass
class Task:
    task_id: str
    spec: TaskSpec
    created_at: float  # emulator monotonic clock
    created_wall: float  # unix time at creation, to stamp Expires on result URLs
    wait_s: float
    run_s: float
    outcome: str  # DONE or FAIL, decided at creation
    message: str
    url_lifetime: float
    epoch: int  # stats epoch the task was created in (see MpsEmulator.reset)
    describe_calls: int = 0
    # When the Create's answer left for the client (after any `slow` delay); None while
    # it has not (or was dropped): a task the client may never have heard of.
    answered_at: float | None = None
    first_final_seen_at: float | None = None
    downloads: int = 0
    # What the Create asked, as received (its JSON parameters), and the SHA-256 of each
    # reference image fetched for it, in order: what a test asserts MPS was sent.
    params: dict[str, Any] = field(default_factory=dict)
    reference_digests: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def final_at(self) -> float:
        """When the task reaches DONE/FAIL, in the emulator's monotonic clock."""
        return self.created_at + self.wait_s + self.run_s

    @property
    def urls_expire_at(self) -> float:
        """Result URLs are signed when the task finishes and live `url_lifetime` from then."""
        return self.final_at + self.url_lifetime

    def status(self, now: float) -> str:
        if now < self.created_at + self.wait_s:
            return "WAIT"
        if now < self.final_at:
            return "RUN"
        return self.outcome

    def is_final(self, now: float) -> bool:
        return now >= self.final_at


class TaskStore:
    def __init__(self, config: EmulatorConfig, seed: int | None) -> None:
        self.config = config
        self.rng = random.Random(seed)
        self.tasks: dict[str, Task] = {}
        self._forced: dict[str, deque[ForcedOutcome]] = {IMAGE: deque(), VIDEO: deque()}

    def force_next(self, kind: str, outcome: ForcedOutcome, count: int = 1) -> None:
        self._forced[kind].extend([outcome] * count)

    def pending_forced(self) -> dict[str, int]:
        return {kind: len(queue) for kind, queue in self._forced.items()}

    def clear_forced(self) -> None:
        for queue in self._forced.values():
            queue.clear()

    def get(self, task_id: str) -> Task | None:
        return self.tasks.get(task_id)

    def unfinished(self, kind: str, now: float) -> int:
        return sum(1 for t in self.tasks.values() if t.kind == kind and not t.is_final(now))

    def create(
        self, spec: TaskSpec, now: float, wall: float, epoch: int, output_blocked: bool = False
    ) -> Task:
        cfg = self.config
        if spec.kind == IMAGE:
            wait_range, run_range, total_range = cfg.image_wait, cfg.image_run, cfg.image_total
        else:
            wait_range, run_range, total_range = cfg.video_wait, cfg.video_run, cfg.video_total
        # Always make the same four draws, forced or not, so forcing one task does not shift
        # the ids and timings of every later task in a seeded run.
        prefix = "4-AigcImage-" if spec.kind == IMAGE else "4-AigcVideo-"
        task_id = f"{prefix}{self.rng.getrandbits(128):032x}"
        if total_range is None:
            wait_s = _draw(self.rng, wait_range)
            run_s = _draw(self.rng, run_range)
        else:
            total = _draw(self.rng, total_range)
            self.rng.random()  # the unused second draw keeps the count of draws the same
            wait_s = total * cfg.wait_fraction
            run_s = total - wait_s
        fails = self.rng.random() < cfg.failure_rate
        outcome, message = (FAIL, cfg.failure_message) if fails else (DONE, OK_MESSAGE)

        forced_queue = self._forced[spec.kind]
        if forced_queue:
            forced = forced_queue.popleft()
            outcome = forced.status
            message = (forced.message or cfg.failure_message) if outcome == FAIL else OK_MESSAGE
            wait_s = wait_s if forced.wait is None else forced.wait
            run_s = run_s if forced.run is None else forced.run
        if output_blocked:
            # Output moderation runs on the finished result, so it wins over any other outcome.
            outcome, message = FAIL, OUTPUT_BLOCKED_MESSAGE

        task = Task(
            task_id=task_id,
            spec=spec,
            created_at=now,
            created_wall=wall,
            wait_s=wait_s,
            run_s=run_s,
            outcome=outcome,
            message=message,
            url_lifetime=cfg.url_lifetime,
            epoch=epoch,
        )
        self.tasks[task_id] = task
        return task


def _draw(rng: random.Random, bounds: Range) -> float:
    low, high = bounds
    return rng.uniform(low, high)
