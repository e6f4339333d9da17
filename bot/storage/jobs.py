"""Job rows: written before a Create is sent, updated at every step, read back on restart."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from ..mps.models import TaskKind
from .base import Database, Row


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
# The same states written out in SQL, as the partial index `jobs_unfinished` says them, so
# that both databases read the few unfinished jobs from it rather than scan a million.
UNFINISHED_SQL = ", ".join(f"'{state}'" for state in UNFINISHED)


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
    cost: float | None = None  # estimated at admission from the price list; None: unknown

    @property
    def batch_key(self) -> int:
        """The id its batch goes by (its own, for a job asked alone)."""
        return self.batch_id if self.batch_id is not None else self.id

    @classmethod
    def from_row(cls, row: Row) -> Job:
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
            cost=row["cost"],
        )


_JSON_COLUMNS = {"request": "request_json", "options": "options_json", "frontend": "frontend_json"}
# (The updatable columns, in the order of the table.)
_COLUMNS = {"state", "task_id", "mps_status", "error_code", "error_message", "error_category"}
_COLUMNS |= {"submitted_at", "mps_final_at", "finished_at", "locale", "batch_id"}


# The rules' last word before a job is written, inside the transaction that writes it.
Confirm = Callable[[Database], Awaitable[None]]


def admission_lock(guild_id: int) -> str:
    """The lock that serialises admissions into one server (its quotas), across processes."""
    return f"admission:{guild_id}"


class JobStore:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
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
        cost: float | None = None,
        confirm: Confirm | None = None,
    ) -> Job:
        """Write a queued job; `units`: the images or videos its task bills, `cost`: its price.

        With `confirm`, the job is written in a transaction that first runs `confirm(tx)`
        (the rules' last word, counted from the database; it raises to refuse) under the
        server's admission lock, so that no other process admits into the same server
        between that count and this insert."""
        row = self._row(
            kind=kind,
            guild_id=guild_id,
            user_id=user_id,
            model=model,
            prompt=prompt,
            request=request,
            options=options,
            frontend=frontend,
            locale=locale,
            units=units,
            batch_id=batch_id,
            batch_index=batch_index,
            batch_size=batch_size,
            cost=cost,
        )
        if confirm is None:
            return await self._insert(self.db, row)
        async with self.db.transaction(lock=admission_lock(guild_id)) as tx:
            await confirm(tx)
            return await self._insert(tx, row)

    async def create_batch(
        self, asks: Sequence[dict[str, Any]], confirm: Confirm | None = None
    ) -> list[Job]:
        """Write the queued jobs of one batch (each item: `create`'s arguments; the batch
        columns are set here) in one transaction: all of them or none. Several jobs are linked by
        `batch_id`, the first one's id. With `confirm`, it runs first, under the server's
        admission lock (see `create`), so the batch is admitted whole or not at all."""
        if not asks:
            return []
        guild_id = asks[0]["guild_id"]
        size = len(asks)
        async with self.db.transaction(lock=admission_lock(guild_id)) as tx:
            if confirm is not None:
                await confirm(tx)
            jobs: list[Job] = []
            for index, ask in enumerate(asks):
                lead = jobs[0].id if jobs else None
                batch = {"batch_id": lead, "batch_index": index, "batch_size": size}
                row = self._row(**{**ask, **batch})
                jobs.append(await self._insert(tx, row))
            if size > 1:
                await tx.write("UPDATE jobs SET batch_id = ? WHERE id = ?", (jobs[0].id,) * 2)
                jobs[0] = replace(jobs[0], batch_id=jobs[0].id)
        return jobs

    def _row(
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
        cost: float | None = None,
    ) -> dict[str, Any]:
        now = self._clock()
        return {
            "kind": kind.value,
            "guild_id": guild_id,
            "user_id": user_id,
            "state": JobState.QUEUED.value,
            "model": model,
            "prompt": prompt,
            "request_json": json.dumps(request, ensure_ascii=False),
            "options_json": json.dumps(options or {}, ensure_ascii=False),
            "frontend_json": json.dumps(frontend or {}, ensure_ascii=False),
            "locale": locale,
            "units": units,
            "batch_id": batch_id,
            "batch_index": batch_index,
            "batch_size": batch_size,
            "cost": cost,
            "created_at": now,
            "updated_at": now,
        }

    async def _insert(self, db: Database, row: dict[str, Any]) -> Job:
        columns = ", ".join(row)
        marks = ",".join("?" * len(row))
        job_id = await db.insert(f"INSERT INTO jobs ({columns}) VALUES ({marks})", row.values())
        # The job as written (read back from what was sent: one round trip fewer).
        unset = dict.fromkeys(_COLUMNS - set(row))
        return Job.from_row({**unset, **row, "id": job_id})

    async def get(self, job_id: int) -> Job | None:
        row = await self.db.fetchone("SELECT * FROM jobs WHERE id = ?", (job_id,))
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
        await self.db.write(f"UPDATE jobs SET {', '.join(sets)} WHERE id = ?", (*values, job_id))

    async def transition(
        self,
        job_id: int,
        expected: Iterable[JobState],
        state: JobState,
        *,
        urgent: bool = False,
        **changes: Any,
    ) -> bool:
        """Move to `state` only from one of `expected` (guards races such as cancel vs submit).
        `urgent`: committed at once on the database's own connection for it (`write_now`)."""
        allowed = [s.value for s in expected]
        marks = ",".join("?" * len(allowed))
        now = self._clock()
        extra_sets, extra_values = [], []
        for key, value in changes.items():
            if key not in _COLUMNS:
                raise KeyError(f"not an updatable job column: {key}")
            extra_sets.append(f", {key} = ?")
            extra_values.append(value.value if isinstance(value, StrEnum) else value)
        changed = await (self.db.write_now if urgent else self.db.write)(
            f"UPDATE jobs SET state = ?, updated_at = ?{''.join(extra_sets)}"
            f" WHERE id = ? AND state IN ({marks})",
            (state.value, now, *extra_values, job_id, *allowed),
        )
        return changed == 1

    async def unfinished(self) -> list[Job]:
        """Every job not final yet, oldest first, with its result files (two queries)."""
        rows = await self.db.fetchall(
            f"SELECT * FROM jobs WHERE state IN ({UNFINISHED_SQL}) ORDER BY id"
        )
        files: dict[int, list[ResultFile]] = {}
        for row in await self.db.fetchall(
            "SELECT r.* FROM job_results r JOIN jobs j ON j.id = r.job_id"
            f" WHERE j.state IN ({UNFINISHED_SQL}) ORDER BY r.job_id, r.idx"
        ):
            files.setdefault(row["job_id"], []).append(ResultFile(**dict(row)))
        jobs = []
        for row in rows:
            job = Job.from_row(row)
            found = files.get(job.id)
            jobs.append(_with_results(job, tuple(found)) if found else job)
        return jobs

    async def add_results(self, files: Iterable[ResultFile]) -> None:
        """Record a job's result files, replacing any from an earlier, interrupted try."""
        files = list(files)
        if not files:
            return
        rows = ",".join(["(?,?,?,?,?,?,?)"] * len(files))
        values = [
            v
            for f in files
            for v in (f.job_id, f.idx, f.path, f.filename, f.content_type, f.size, f.sha256)
        ]
        async with self.db.transaction() as tx:
            for job_id in {f.job_id for f in files}:
                await tx.write("DELETE FROM job_results WHERE job_id = ?", (job_id,))
            await tx.write(
                "INSERT INTO job_results"
                f" (job_id, idx, path, filename, content_type, size, sha256) VALUES {rows}",
                values,
            )

    async def results(self, job_id: int) -> tuple[ResultFile, ...]:
        rows = await self.db.fetchall(
            "SELECT * FROM job_results WHERE job_id = ? ORDER BY idx", (job_id,)
        )
        return tuple(ResultFile(**dict(row)) for row in rows)

    async def batch(self, key: int) -> list[Job]:
        """Every job of a batch (a job asked alone is a batch of one), in order."""
        rows = await self.db.fetchall(
            "SELECT * FROM jobs WHERE id = ? OR batch_id = ? ORDER BY batch_index, id",
            (key, key),
        )
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
        rows = await self.db.fetchall(
            "SELECT * FROM jobs WHERE guild_id = ? AND user_id = ?"
            " AND (batch_id IS NULL OR batch_id = id) ORDER BY id DESC LIMIT ? OFFSET ?",
            (guild_id, user_id, limit, offset),
        )
        return [Job.from_row(r) for r in rows]

    async def count_history(self, guild_id: int, user_id: int) -> int:
        return int(
            await self.db.fetchval(
                "SELECT COUNT(*) FROM jobs WHERE guild_id = ? AND user_id = ?"
                " AND (batch_id IS NULL OR batch_id = id)",
                (guild_id, user_id),
            )
        )

    async def recent_durations(self, model: str, kind: TaskKind, limit: int = 200) -> list[float]:
        """Submit-to-final seconds of recent successful tasks, to learn how long they take."""
        rows = await self.db.fetchall(
            "SELECT mps_final_at - submitted_at FROM jobs"
            " WHERE model = ? AND kind = ? AND mps_status = 'DONE'"
            " AND submitted_at IS NOT NULL AND mps_final_at IS NOT NULL"
            " ORDER BY id DESC LIMIT ?",
            (model, kind.value, limit),
        )
        return [r[0] for r in rows]


def _with_results(job: Job, results: tuple[ResultFile, ...]) -> Job:
    return replace(job, results=results)
