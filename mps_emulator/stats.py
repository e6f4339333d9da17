"""Counters the tests and the benchmark read back: per action, per task, per download.

All times are seconds on the emulator's monotonic clock (`MpsEmulator.now()`), so they can be
subtracted from one another but not compared with wall-clock time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from .ratelimit import RollingWindow
from .tasks import Task

# Stats key for requests whose X-TC-Action is missing or not an emulated action.
UNKNOWN_ACTION = "(unknown)"


@dataclass
class ActionStats:
    # Every request naming this action, whatever became of it.
    requests: int = 0
    # Answered with a success envelope.
    accepted: int = 0
    rate_limited: int = 0
    auth_failures: int = 0
    # Every error code answered, auth and rate-limit errors included.
    errors: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    # Authenticated arrivals (those that count toward the rate limit).
    arrivals: list[float] = field(default_factory=list)
    window: RollingWindow = field(default_factory=RollingWindow)

    def arrive(self, now: float) -> None:
        self.arrivals.append(now)
        self.window.add(now)

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "accepted": self.accepted,
            "rate_limited": self.rate_limited,
            "auth_failures": self.auth_failures,
            "errors": dict(self.errors),
            "faults": dict(self.faults),
            "peak_1s": self.window.peak,
        }


class Stats:
    def __init__(self) -> None:
        # Tasks remember the epoch they were created in; reset() starts a new one so the task
        # table in the snapshot only shows tasks created since, while old tasks stay queryable.
        self.epoch = 0
        self._clear()

    def _clear(self) -> None:
        self.actions: dict[str, ActionStats] = {}
        self.tasks_created: Counter[str] = Counter()
        self.downloads: Counter[str] = Counter(
            {"served": 0, "expired": 0, "forbidden": 0, "not_found": 0, "bytes": 0}
        )
        self.references: Counter[str] = Counter({"fetched": 0, "failed": 0})

    def reset(self) -> None:
        self.epoch += 1
        self._clear()

    def action(self, name: str) -> ActionStats:
        return self.actions.setdefault(name, ActionStats())

    def snapshot(self, tasks: list[Task], now: float) -> dict[str, Any]:
        current = [t for t in tasks if t.epoch == self.epoch]
        delays = [
            t.first_final_seen_at - t.final_at for t in current if t.first_final_seen_at is not None
        ]
        return {
            "now": now,
            "actions": {name: s.to_dict() for name, s in self.actions.items()},
            "tasks_created": sum(self.tasks_created.values()),
            "tasks_created_by_kind": dict(self.tasks_created),
            "tasks": {t.task_id: task_dict(t, now) for t in current},
            "detection": {
                "count": len(delays),
                "mean": fmean(delays) if delays else None,
                "max": max(delays) if delays else None,
            },
            "downloads": dict(self.downloads),
            "references": dict(self.references),
        }


def task_dict(task: Task, now: float) -> dict[str, Any]:
    final = task.is_final(now)
    seen = task.first_final_seen_at
    return {
        "kind": task.kind,
        "model": task.spec.model,
        "version": task.spec.version,
        "status": task.status(now),
        "outcome": task.outcome,
        "created_at": task.created_at,
        "answered_at": task.answered_at,
        "final_at": task.final_at,  # when it will be (or became) final
        "done_at": task.final_at if final else None,  # only once it has become final
        "describe_calls": task.describe_calls,
        "first_final_seen_at": seen,
        "detection_delay": None if seen is None else seen - task.final_at,
        "downloads": task.downloads,
    }
