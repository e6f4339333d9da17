"""Result files of jobs that ended undelivered are kept a while for an admin, then removed."""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Callable
from pathlib import Path

from ..storage.jobs import JobStore

log = logging.getLogger(__name__)


class ResultSweep:
    def __init__(
        self,
        *,
        store: JobStore,
        results_dir: Path,
        keep_seconds: float,
        wall: Callable[[], float],
    ) -> None:
        self.store = store
        self.results_dir = results_dir
        self.keep_seconds = keep_seconds
        self._wall = wall

    async def run_once(self) -> int:
        """Remove the result files of jobs that ended more than `keep_failed_seconds` ago
        (or that the database no longer knows). Returns how many jobs' files went."""
        keep = self.keep_seconds
        try:
            names = await asyncio.to_thread(lambda: [p.name for p in self.results_dir.iterdir()])
        except OSError:
            return 0  # no results directory yet
        removed = 0
        for name in names:
            if not name.isdigit():
                continue
            job = await self.store.get(int(name))
            if job is not None and not job.state.final:
                continue
            ended = job.finished_at or job.updated_at if job is not None else 0.0
            if self._wall() - ended < keep:
                continue
            await asyncio.to_thread(shutil.rmtree, self.results_dir / name, ignore_errors=True)
            removed += 1
        if removed:
            log.info("removed the result files of %d ended jobs", removed)
        return removed

    async def run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("sweeping old result files failed")
            await asyncio.sleep(min(3600.0, max(60.0, self.keep_seconds)))
