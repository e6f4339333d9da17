"""Finished tasks' results to disk at once: MPS keeps result URLs for 12 hours only."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from ..config.tunables import Downloads
from ..storage.jobs import Job, JobState, JobStore, ResultFile
from .downloads import DownloadError, download_all
from .events import ErrorCategory, EventType
from .outcomes import Outcomes
from .registry import LiveJob
from .tasks import OwnedTasks

# A text result (an image described) is kept in its job's options under this key.
RESULT_TEXT = "result_text"


def result_text(job: Job) -> str | None:
    """A job's text result (what Describe answered), None when its results are files."""
    text = job.options.get(RESULT_TEXT)
    return text if isinstance(text, str) else None


_DOWNLOAD_FAILURES = {
    "expired": ErrorCategory.RESULT_EXPIRED,
    "too_large": ErrorCategory.RESULT_TOO_LARGE,
    "failed": ErrorCategory.DOWNLOAD_FAILED,
    "invalid": ErrorCategory.RESULT_INVALID,
}


class Downloader:
    def __init__(
        self,
        *,
        session: aiohttp.ClientSession,
        store: JobStore,
        outcomes: Outcomes,
        limits: Downloads,
        results_dir: Path,
        concurrency: int = 8,
    ) -> None:
        self._session = session
        self.store = store
        self.outcomes = outcomes
        self.limits = limits
        self.results_dir = results_dir
        self._slots = asyncio.Semaphore(concurrency)
        self.downloads = OwnedTasks("download")

    async def keep_text(self, live: LiveJob, text: str) -> None:
        """A task whose result is a text (an image described): kept with the job, which is
        then ready to be delivered like any other."""
        job = await self.store.get(live.job_id)
        options = {**(job.options if job is not None else {}), RESULT_TEXT: text}
        await self.store.update(
            live.job_id, task_id=live.task_id, options=options, state=JobState.READY
        )
        await self.outcomes.emit(EventType.READY, live.job_id)

    def start(self, live: LiveJob, urls: tuple[str, ...]) -> None:
        self.downloads.spawn(self._download(live, urls), f"download-{live.job_id}")

    async def _download(self, live: LiveJob, urls: tuple[str, ...]) -> None:
        try:
            await self._fetch_and_keep(live, urls)
        except Exception as exc:
            # A disk or database error after the files were fetched, or a bug: the job
            # still ends with an answer and its slot is free.
            await self.outcomes.crashed(live, exc)

    async def _fetch_and_keep(self, live: LiveJob, urls: tuple[str, ...]) -> None:
        async with self._slots:
            try:
                files = await download_all(
                    self._session,
                    urls,
                    self.results_dir / str(live.job_id),
                    f"job{live.job_id}",
                    self.limits,
                )
            except DownloadError as exc:
                await self.outcomes.fail(live, _DOWNLOAD_FAILURES[exc.code], exc.code, exc.detail)
                return
        await self.store.add_results(
            ResultFile(
                live.job_id, f.idx, str(f.path), f.filename, f.content_type, f.size, f.sha256
            )
            for f in files
        )
        await self.store.update(live.job_id, state=JobState.READY)
        await self.outcomes.emit(EventType.READY, live.job_id)
