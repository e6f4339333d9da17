"""Job rows: written before a Create is sent, updated at every step, read back on restart."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import aiosqlite

from ..mps.models import TaskKind
from .sql import run


class JobState(StrEnum):
    QUEUED = "queued"
    SUBMITTING = "submitting"
    RUNNING = "running"
    DOWNLOADING = "downloading"
    READY = "ready"  # results on disk, waiting for the front end to deliver them
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in (JobState.DELIVERED, JobState.FAILED, JobState.CANCELLED)


UNFINISHED = tuple(s.value for s in JobState if not s.final)


@dataclass(frozen=True)
class ResultFile:
    job_id: int
    idx: int
    path: str
    filename: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Job:
    id: int
    kind: TaskKind
    guild_id: int
    user_id: int
    state: JobState
    model: str
    prompt: str | None
    request: dict[str, Any]
    options: dict[str, Any]
    frontend: dict[str, Any]
    locale: str | None
    task_id: str | None
    mps_status: str | None
    error_code: str | None
    error_message: str | None
    error_category: str | None
    created_at: float
    submitted_at: float | None
    mps_final_at: float | None
    finished_at: float | None
    updated_at: float
    results: tuple[ResultFile, ...] = field(default=())
    units: int = 1  # outputs billed: images (or videos) its task makes
    batch_id: int | None = None  # the first job of its batch; None when asked alone
    batch_index: int = 0
    batch_size: int = 1

    @property
    def batch_key(self) -> int:
        """The id its batch goes by (its own, for a job asked alone)."""
        return self.batch_id if self.batch_id is not None else self.id

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> Job:
        return cls(
            id=row["id"],
            kind=TaskKind(row["kind"]),
            guild_id=row["guild_id"],
            user_id=row["user_id"],
            state=JobState(row["state"]),
            model=row["model"],
            prompt=row["prompt"],
            request=json.loads(row["request_json"]),
            options=json.loads(row["options_json"]),
            frontend=json.loads(row["frontend_json"]),
            locale=row["locale"],
            task_id=row["task_id"],
            mps_status=row["mps_status"],
            error_code=row["error_code"],
            error_message=row["error_message"],
            error_category=row["error_category"],
            created_at=row["created_at"],
            submitted_at=row["submitted_at"],
            mps_final_at=row["mps_final_at"],
            finished_at=row["finished_at"],
            updated_at=row["updated_at"],
            units=row["units"],
            batch_id=row["batch_id"],
            batch_index=row["batch_index"],
            batch_size=row["batch_size"],
        )


_JSON_COLUMNS = {"request": "request_json", "options": "options_json", "frontend": "frontend_json"}
_COLUMNS = {
    "state",
    "task_id",
    "mps_status",
    "error_code",
    "error_message",
    "error_category",
    "submitted_at",
    "mps_final_at",
    "finished_at",
    "locale",
    "batch_id",
}


class JobStore:
    def __init__(self, db: aiosqlite.Connection, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self._clock = clock

    async def create(
        self,
        *,
        kind: TaskKind,
        guild_id: int,
        user_id: int,
        model: str,
        prompt: str | None,
        request: dict[str, Any],
        options: dict[str, Any] | None = None,
        frontend: dict[str, Any] | None = None,
        locale: str | None = None,
        units: int = 1,
        batch_id: int | None = None,
        batch_index: int = 0,
        batch_size: int = 1,
    ) -> Job:
        now = self._clock()
        cur = await run(
            self.db,
            "INSERT INTO jobs (kind, guild_id, user_id, state, model, prompt, request_json,"
            " options_json, frontend_json, locale, created_at, updated_at, units, batch_id,"
            " batch_index, batch_size)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                kind.value,
                guild_id,
                user_id,
                JobState.QUEUED.value,
                model,
                prompt,
                json.dumps(request, ensure_ascii=False),
                json.dumps(options or {}, ensure_ascii=False),
                json.dumps(frontend or {}, ensure_ascii=False),
                locale,
                now,
                now,
                units,
                batch_id,
                batch_index,
                batch_size,
            ),
        )
        job = await self.get(cur.lastrowid)
        assert job is not None
        return job

    async def get(self, job_id: int) -> Job | None:
        async with self.db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        job = Job.from_row(row)
        results = await self.results(job_id)
        return _with_results(job, results) if results else job

    async def update(self, job_id: int, **changes: Any) -> None:
        """Set columns by name; dict values go to their JSON columns."""
        sets, values = [], []
        for key, value in changes.items():
            if key in _JSON_COLUMNS:
                sets.append(f"{_JSON_COLUMNS[key]} = ?")
                values.append(json.dumps(value, ensure_ascii=False))
            elif key in _COLUMNS:
                sets.append(f"{key} = ?")
                values.append(value.value if isinstance(value, StrEnum) else value)
            else:
                raise KeyError(f"not an updatable job column: {key}")
        sets.append("updated_at = ?")
        values.append(self._clock())
        await run(self.db, f"UPDATE jobs SET {', '.join(sets)} WHERE id = ?", (*values, job_id))

    async def transition(
        self, job_id: int, expected: Iterable[JobState], state: JobState, **changes: Any
    ) -> bool:
        """Move to `state` only from one of `expected` (guards races such as cancel vs submit)."""
        allowed = [s.value for s in expected]
        marks = ",".join("?" * len(allowed))
        now = self._clock()
        extra_sets, extra_values = [], []
        for key, value in changes.items():
            if key not in _COLUMNS:
                raise KeyError(f"not an updatable job column: {key}")
            extra_sets.append(f", {key} = ?")
            extra_values.append(value.value if isinstance(value, StrEnum) else value)
        cur = await run(
            self.db,
            f"UPDATE jobs SET state = ?, updated_at = ?{''.join(extra_sets)}"
            f" WHERE id = ? AND state IN ({marks})",
            (state.value, now, *extra_values, job_id, *allowed),
        )
        return cur.rowcount == 1

    async def unfinished(self) -> list[Job]:
        marks = ",".join("?" * len(UNFINISHED))
        async with self.db.execute(
            f"SELECT * FROM jobs WHERE state IN ({marks}) ORDER BY id", UNFINISHED
        ) as cur:
            rows = await cur.fetchall()
        jobs = []
        for row in rows:
            job = Job.from_row(row)
            results = await self.results(job.id)
            jobs.append(_with_results(job, results) if results else job)
        return jobs

    async def add_results(self, files: Iterable[ResultFile]) -> None:
        """Record a job's result files, replacing any from an earlier, interrupted try."""
        files = list(files)
        if not files:
            return
        for job_id in {f.job_id for f in files}:
            await run(self.db, "DELETE FROM job_results WHERE job_id = ?", (job_id,))
        # One multi-row INSERT through `run` (see storage/sql.py for why every write
        # closes its cursor in the database's thread).
        rows = ",".join(["(?,?,?,?,?,?,?)"] * len(files))
        values = [
            v
            for f in files
            for v in (f.job_id, f.idx, f.path, f.filename, f.content_type, f.size, f.sha256)
        ]
        await run(
            self.db,
            "INSERT INTO job_results"
            f" (job_id, idx, path, filename, content_type, size, sha256) VALUES {rows}",
            values,
        )

    async def results(self, job_id: int) -> tuple[ResultFile, ...]:
        async with self.db.execute(
            "SELECT * FROM job_results WHERE job_id = ? ORDER BY idx", (job_id,)
        ) as cur:
            rows = await cur.fetchall()
        return tuple(ResultFile(**dict(row)) for row in rows)

    async def batch(self, key: int) -> list[Job]:
        """Every job of a batch (a job asked alone is a batch of one), in order."""
        async with self.db.execute(
            "SELECT * FROM jobs WHERE id = ? OR batch_id = ? ORDER BY batch_index, id",
            (key, key),
        ) as cur:
            rows = await cur.fetchall()
        jobs = []
        for row in rows:
            job = Job.from_row(row)
            if job.batch_key != key:
                continue
            results = await self.results(job.id)
            jobs.append(_with_results(job, results) if results else job)
        return jobs

    async def history(
        self, guild_id: int, user_id: int, *, limit: int = 10, offset: int = 0
    ) -> list[Job]:
        """A member's jobs, newest first, one per batch (its first job)."""
        async with self.db.execute(
            "SELECT * FROM jobs WHERE guild_id = ? AND user_id = ?"
            " AND (batch_id IS NULL OR batch_id = id) ORDER BY id DESC LIMIT ? OFFSET ?",
            (guild_id, user_id, limit, offset),
        ) as cur:
            return [Job.from_row(r) for r in await cur.fetchall()]

    async def count_history(self, guild_id: int, user_id: int) -> int:
        async with self.db.execute(
            "SELECT COUNT(*) FROM jobs WHERE guild_id = ? AND user_id = ?"
            " AND (batch_id IS NULL OR batch_id = id)",
            (guild_id, user_id),
        ) as cur:
            row = await cur.fetchone()
        return row[0]

    async def recent_durations(self, model: str, kind: TaskKind, limit: int = 200) -> list[float]:
        """Submit-to-final seconds of recent successful tasks, to learn how long they take."""
        async with self.db.execute(
            "SELECT mps_final_at - submitted_at FROM jobs"
            " WHERE model = ? AND kind = ? AND mps_status = 'DONE'"
            " AND submitted_at IS NOT NULL AND mps_final_at IS NOT NULL"
            " ORDER BY id DESC LIMIT ?",
            (model, kind.value, limit),
        ) as cur:
            return [r[0] for r in await cur.fetchall()]


def _with_results(job: Job, results: tuple[ResultFile, ...]) -> Job:
    return replace(job, results=results)
