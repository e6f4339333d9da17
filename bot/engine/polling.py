"""When to ask Describe about each in-flight task.

The seed approach polls every task every 5 seconds from the start; most of those calls
ask about a task that cannot be done yet. Here each task's first poll waits until it could
plausibly be done (learned per model from what earlier looks saw, with a share of tasks
probed earlier so that faster tasks are noticed), then it is polled at the target
interval. All tasks share one Describe budget: the poller serves the most overdue task
first, so under saturation every task is polled in turn (detection delay at most
tasks-in-flight / rate) rather than some starving.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import OrderedDict, deque
from collections.abc import Hashable
from dataclasses import dataclass


@dataclass(frozen=True)
class DurationPrior:
    """What a task's duration is believed to be before any is seen: uniform on [low, high],
    worth `weight` observed tasks."""

    low: float
    high: float
    weight: float = 10.0


class DurationModel:
    """How long tasks of one model take, learnt from what polling saw, and when to look first.

    Polling never sees a duration, only bounds: `observe(lower, upper)` records a task last
    seen unfinished `lower` seconds after its submission and first seen done at `upper`. A
    task done at the very first look gives `lower=None` (left-censored: it took at most
    `upper`); a task still running gives `upper=None` (right-censored: it takes more than
    `lower`).

    The estimate is a mixture, each part weighted by what it is worth:

    - the prior, uniform on [low, high], weighing `prior.weight` tasks;
    - each bracketed task, uniform between its bounds (a bracket is at most one poll
      interval wide, so this is close to the truth);
    - each left-censored task, spread below its bound in proportion to what the prior and
      the brackets put there (one step of Turnbull's self-consistency). When nothing is
      known below the bound, it stays at the bound: "done by 12 s" never claims more speed
      than was seen.

    Right-censored tasks add no mass (the task is counted once it ends); they only judge
    the prior. Every observation the prior cannot explain (done before its low, still
    running after its high) halves the prior's weight, so a few such tasks are enough for
    the evidence to take over, and the estimate follows the service when it changes.

    Looking first near a low quantile never reveals that tasks are faster than the current
    estimate, since they are then always done at the first look. So `first_look` probes a
    share of tasks early, at a fraction of that quantile: a faster reality shows up as
    tasks done at a probe. When the estimate moves earlier, tasks still waiting for their
    first look are pulled forward (`observe` returns them) instead of waiting out the
    earlier belief.
    """

    EARLY_Q = 0.02  # first looks aim here: about 2 % of tasks are done before it
    LATE_Q = 0.98
    MIN_SAMPLES = 20
    CONTRADICTION_DECAY = 0.5
    # Exploration: while the prior still rules, or while most tasks are done at the first
    # look, probe many tasks and early; otherwise a few, nearer the estimate (an early probe
    # costs a few extra Describes).
    EXPLORE_SHARE = (0.3, 0.1)
    EXPLORE_FRACTION = ((0.1, 0.5), (0.5, 0.8))
    RECENT = 10  # observations that tell whether first looks come too late
    MAX_PENDING = 10_000

    def __init__(
        self, prior: DurationPrior, keep: int = 200, rng: random.Random | None = None
    ) -> None:
        self.prior = prior
        self.prior_weight = prior.weight
        # (lower, upper) in seconds; lower None when done at the first look.
        self._observed: deque[tuple[float | None, float]] = deque(maxlen=keep)
        self._rng = rng if rng is not None else random.Random(0)
        self._curve: list[tuple[float, float, float]] | None = None
        # Tasks still waiting for their first look: id -> (start, planned due time).
        self._pending: OrderedDict[Hashable, tuple[float, float]] = OrderedDict()
        self._overdue: set[Hashable] = set()  # running past the prior's high, counted once
        self.contradictions = 0

    # -- evidence ------------------------------------------------------------------------

    def add(self, seconds: float) -> None:
        """A duration known exactly (from the job history)."""
        self.observe(seconds, seconds)

    def observe(
        self, lower: float | None, upper: float | None, *, task: Hashable | None = None
    ) -> list[tuple[Hashable, float]]:
        """Record what a look at `task` showed (times in seconds since it was submitted).

        Returns the tasks still waiting for their first look that should now be looked at
        earlier, with their new due times (same clock as `first_look`'s `start`).
        """
        if task is not None:
            self._pending.pop(task, None)
        if upper is None:
            if lower is not None and lower > self.prior.high:
                if task is None or task not in self._overdue:
                    self._contradict()
                if task is not None:
                    if len(self._overdue) >= self.MAX_PENDING:  # tasks that never ended
                        self._overdue.clear()
                    self._overdue.add(task)
            return []
        if task is not None:
            self._overdue.discard(task)
        if lower is not None and lower >= upper:
            lower = upper
        if upper < self.prior.low or (lower is not None and lower > self.prior.high):
            self._contradict()
        self._observed.append((lower, upper))
        self._curve = None
        return self._pull_forward()

    def _contradict(self) -> None:
        self.contradictions += 1
        self.prior_weight *= self.CONTRADICTION_DECAY
        self._curve = None

    # -- first looks ---------------------------------------------------------------------

    def first_look(self, task: Hashable, start: float) -> float:
        """When to look at a task submitted at `start` for the first time (same clock)."""
        delay = self.earliest()
        stage = 1 if self.learned and not self._mostly_done_at_first_look() else 0
        if self._rng.random() < self.EXPLORE_SHARE[stage]:
            delay *= self._rng.uniform(*self.EXPLORE_FRACTION[stage])
        due = start + delay
        self._pending[task] = (start, due)
        while len(self._pending) > self.MAX_PENDING:  # tasks that ended without a look
            self._pending.popitem(last=False)
        return due

    def _mostly_done_at_first_look(self) -> bool:
        """Most recent tasks were done when first looked at: the first look is too late, by
        an unknown margin that only early probes can measure."""
        recent = list(itertools.islice(reversed(self._observed), self.RECENT))
        return sum(1 for lower, _ in recent if lower is None) * 2 > len(recent)

    def _pull_forward(self) -> list[tuple[Hashable, float]]:
        if not self._pending:
            return []
        delay = self.earliest()
        moved = []
        for task, (start, due) in self._pending.items():
            if start + delay < due:
                moved.append((task, start + delay))
        for task, due in moved:
            self._pending[task] = (self._pending[task][0], due)
        return moved

    # -- the estimate --------------------------------------------------------------------

    @property
    def count(self) -> int:
        return len(self._observed)

    @property
    def learned(self) -> bool:
        """Tasks seen and the prior's remaining weight amount to enough evidence."""
        return self.count + self.prior_weight >= self.MIN_SAMPLES

    def _build(self) -> list[tuple[float, float, float]]:
        """The CDF as (x, F just below x, F at x) at every breakpoint; linear in between."""
        w = self.prior_weight
        parts: list[tuple[float, float, float]] = [(self.prior.low, self.prior.high, w)]
        lefts: list[float] = []
        for lower, upper in self._observed:
            if lower is None:
                lefts.append(upper)
            else:
                parts.append((lower, upper, 1.0))
        # R: the prior and the brackets, piecewise linear; sweep its slope changes.
        slope_at: dict[float, float] = {}
        jump_at: dict[float, float] = {}
        for a, b, m in parts:
            if b > a:
                slope_at[a] = slope_at.get(a, 0.0) + m / (b - a)
                slope_at[b] = slope_at.get(b, 0.0) - m / (b - a)
            else:
                jump_at[a] = jump_at.get(a, 0.0) + m
        xs = sorted({*slope_at, *jump_at, *lefts})
        r_below, r_at = [], []
        r = slope = 0.0
        previous = xs[0] if xs else 0.0
        for x in xs:
            r += slope * (x - previous)
            r_below.append(r)
            r += jump_at.get(x, 0.0)
            r_at.append(r)
            slope += slope_at.get(x, 0.0)
            previous = x
        index = {x: i for i, x in enumerate(xs)}
        # A left-censored task at u adds R(x)/R(u) below u (what is known below u, scaled
        # to one task) and 1 from u on; with nothing known below u, a point at u.
        inverse_after: dict[float, float] = {}  # u -> sum of 1/R(u) for lefts at u
        count_at: dict[float, int] = {}
        for u in lefts:
            ru = r_at[index[u]]
            if ru > 1e-12:
                inverse_after[u] = inverse_after.get(u, 0.0) + 1.0 / ru
            count_at[u] = count_at.get(u, 0) + 1
        total = w + len(self._observed)
        s = sum(inverse_after.values())  # S(x): sum of 1/R(u) over lefts with u > x
        c = 0  # C(x): lefts with u <= x
        curve = []
        for i, x in enumerate(xs):
            below = (r_below[i] * (1 + s) + c) / total
            s -= inverse_after.get(x, 0.0)
            c += count_at.get(x, 0)
            at = (r_at[i] * (1 + s) + c) / total
            curve.append((x, below, at))
        return curve

    def quantile(self, q: float) -> float:
        if self._curve is None:
            self._curve = self._build()
        curve = self._curve
        if not curve:
            return self.prior.low
        x0, _, f0 = curve[0]
        if q <= f0:
            return x0
        for x1, below, at in curve[1:]:
            if q <= below:
                return x0 + (x1 - x0) * (q - f0) / (below - f0) if below > f0 else x1
            if q <= at:
                return x1
            x0, f0 = x1, at
        return x0

    def earliest(self) -> float:
        """The time before which a look is almost surely wasted."""
        return self.quantile(self.EARLY_Q)

    def typical(self) -> float:
        """A median duration, for progress bars and time estimates."""
        return self.quantile(0.5)

    def latest(self) -> float:
        return self.quantile(self.LATE_Q)


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

    def due_of(self, job_id: int) -> float | None:
        """When the job's next look is due, or None when none is scheduled (or it is under way)."""
        return self._due.get(job_id)

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
