"""Background tasks that someone owns: kept referenced, failures logged, cancelled on close.

A task spawned `vital` is one the process cannot do without (the engine's dispatcher, its
pollers, its sweep): if it dies of an exception, its death is logged and `first_death()`
returns it, so whoever runs the process can stop it cleanly instead of running half-alive.
(A vital task may return when told to stop, as the dispatcher does at shutdown.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaskDeath:
    name: str  # the task's name, e.g. "engine-dispatch"
    error: BaseException

    def __str__(self) -> str:
        return f"{self.name} died: {type(self.error).__name__}: {self.error}"


class OwnedTasks:
    def __init__(self, name: str) -> None:
        self.name = name
        self._tasks: set[asyncio.Task[Any]] = set()
        self._vital: set[asyncio.Task[Any]] = set()
        self._deaths: list[TaskDeath] = []
        self._died = asyncio.Event()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(
        self, coro: Coroutine[Any, Any, Any], name: str, *, vital: bool = False
    ) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        if vital:
            self._vital.add(task)
        task.add_done_callback(self._reap)
        return task

    def _reap(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        vital = task in self._vital
        self._vital.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None and vital:
            death = TaskDeath(task.get_name(), error)
            # A stop the code foresaw says all in its message; anything else, its traceback.
            trace = None if getattr(error, "foreseen", False) else error
            log.critical("%s: the vital task %s", self.name, death, exc_info=trace)
            self._deaths.append(death)
            self._died.set()
        elif error is not None:
            log.error("%s task %s failed", self.name, task.get_name(), exc_info=error)

    async def first_death(self) -> TaskDeath:
        """Wait until a vital task dies; the first one that did."""
        await self._died.wait()
        return self._deaths[0]

    async def wait(self, within: float) -> None:
        """Let running tasks finish, for at most `within` seconds."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=within)

    async def cancel(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
