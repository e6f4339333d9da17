"""When to ask Describe about each in-flight task.

The seed approach polls every task every 5 seconds from the start; most of those calls
ask about a task that cannot be done yet. Here each task's first poll waits until it could
plausibly be done (learned per model from finished tasks), then it is polled at the target
interval. All tasks share one Describe budget: the poller serves the most overdue task
first, so under saturation every task is polled in turn (detection delay at most
tasks-in-flight / rate) rather than some starving.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class DurationPrior:
    low: float
    high: float


class DurationModel:
    """Learns how long tasks of one model take, from bounds seen by polling.

    A task seen unfinished at `t_lo` and finished at `t_hi` took somewhere in between; the
    midpoint is the sample. Until enough samples exist the configured prior is used.
    """

    MIN_SAMPLES = 20

    def __init__(self, prior: DurationPrior, keep: int = 200) -> None:
        self.prior = prior
        self._samples: deque[float] = deque(maxlen=keep)
        self._sorted: list[float] = []

    def add(self, seconds: float) -> None:
        if len(self._samples) == self._samples.maxlen:
            old = self._samples[0]
            del self._sorted[bisect.bisect_left(self._sorted, old)]
        self._samples.append(seconds)
        bisect.insort(self._sorted, seconds)

    @property
    def count(self) -> int:
        return len(self._sorted)

    @property
    def learned(self) -> bool:
        return len(self._sorted) >= self.MIN_SAMPLES

    def quantile(self, q: float) -> float:
        data = self._sorted
        index = min(len(data) - 1, max(0, int(q * (len(data) - 1))))
        return data[index]

    def earliest(self) -> float:
        """The time before which polling is almost surely wasted."""
        return self.quantile(0.02) if self.learned else self.prior.low

    def typical(self) -> float:
        """A median duration, for progress bars and time estimates."""
        return self.quantile(0.5) if self.learned else (self.prior.low + self.prior.high) / 2

    def latest(self) -> float:
        return self.quantile(0.98) if self.learned else self.prior.high


class PollSchedule:
    """A min-heap of (due time, job id); each job has at most one entry that counts."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, int]] = []
        self._due: dict[int, float] = {}
        self._counter = itertools.count()

    def __len__(self) -> int:
        return len(self._due)

    def set(self, job_id: int, due: float) -> None:
        self._due[job_id] = due
        heapq.heappush(self._heap, (due, next(self._counter), job_id))

    def discard(self, job_id: int) -> None:
        self._due.pop(job_id, None)  # stale heap entries are skipped lazily

    def _clean(self) -> None:
        while self._heap:
            due, _, job_id = self._heap[0]
            if self._due.get(job_id) == due:
                return
            heapq.heappop(self._heap)

    def next_due(self) -> float | None:
        self._clean()
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now: float) -> int | None:
        """The most overdue job whose time has come, or None."""
        self._clean()
        if not self._heap or self._heap[0][0] > now:
            return None
        _, _, job_id = heapq.heappop(self._heap)
        del self._due[job_id]
        return job_id
