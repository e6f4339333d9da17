"""The service's own errors, as its error list names them: what each does to a job.

An unknown task ends its job at once; a Create the service could not make fails clearly
(nothing was billed); an account only its operator can fix stops Creates, keeps the queue,
and resumes when a probe passes. Engine and emulator, no Discord.
"""

from __future__ import annotations

import time

import pytest

from bot.engine.events import ErrorCategory, EventType
from bot.mps.errors import CreateFailedError, NotFoundError, OperatorError, error_class_for
from bot.storage.jobs import JobState
from bot.storage.outages import OutageStore

from .conftest import (
    engine_harness,
    eventually,
    fast_emulator_config,
    fast_tunables,
    running_emulator,
)

CREATE = "CreateAigcImageTask"
DESCRIBE = "DescribeAigcImageTask"


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("FailedOperation.TaskNotFound", NotFoundError),
        ("ResourceNotFound.TaskNotFound", NotFoundError),
        ("InvalidParameterValue.TaskId", NotFoundError),
        ("FailedOperation.CreateAIGCTaskFailed", CreateFailedError),
        ("ResourceNotFound.UserUnregister", OperatorError),
        ("UnsupportedRegion", OperatorError),
        ("ActionOffline", OperatorError),
        ("FailedOperation.UserArrears", OperatorError),
        ("AuthFailure.UnauthorizedOperation", OperatorError),
        ("AuthFailure.SecretIdNotFound", OperatorError),
    ],
)
def test_each_code_means_what_the_error_list_says(code: str, cls: type) -> None:
    assert issubclass(error_class_for(code), cls)


@pytest.mark.parametrize("code", ["FailedOperation.TaskNotFound", "InvalidParameterValue.TaskId"])
async def test_a_task_the_service_no_longer_knows_ends_its_job_at_once(tmp_path, code) -> None:
    async with running_emulator() as emu, engine_harness(emu, tmp_path / "db.sqlite3") as h:
        emu.inject_fault("error", DESCRIBE, code=code, message="task not found", count=50)
        started = time.monotonic()
        job_id = await h.submit()
        await h.wait_until(lambda: h.terminal(job_id), within=5)
        job = await h.store.get(job_id)
        assert job.state is JobState.FAILED
        assert (job.error_category, job.error_code) == (ErrorCategory.TASK_NOT_FOUND, code)
        assert time.monotonic() - started < 3
        # One look, not half an hour of them.
        assert emu.stats()["actions"][DESCRIBE]["requests"] == 1


async def test_a_create_the_service_could_not_make_is_a_clear_failure(tmp_path) -> None:
    async with running_emulator() as emu, engine_harness(emu, tmp_path / "db.sqlite3") as h:
        emu.inject_fault("error", CREATE, code="FailedOperation.CreateAIGCTaskFailed")
        job_id = await h.submit()
        await h.wait_until(lambda: h.terminal(job_id))
        job = await h.store.get(job_id)
        assert (job.state, job.error_category) == (JobState.FAILED, ErrorCategory.CREATE_FAILED)
        assert job.task_id is None
        stats = emu.stats()
        assert stats["tasks_created"] == 0 and stats["actions"][CREATE]["requests"] == 1


async def test_an_account_error_stops_creates_keeps_the_queue_and_resumes(tmp_path) -> None:
    tunables = fast_tunables(outage_probe=(0.2, 0.4))
    async with (
        running_emulator(fast_emulator_config()) as emu,
        engine_harness(emu, tmp_path / "db.sqlite3", tunables) as h,
    ):
        told: list[tuple[str, bool]] = []
        h.engine.outage.add_listener(lambda outage, began: told.append((outage.code, began)))
        emu.set_account_error("FailedOperation.UserArrears")
        first = await h.submit(user=1)
        await eventually(lambda: h.engine.outage.current is not None)
        others = [await h.submit(user=u) for u in (2, 3)]
        # While refused: the jobs wait in the queue, nothing fails, no Create is sent again.
        creates = emu.stats()["actions"][CREATE]["requests"]
        # Two probes, refused like the Create (the emulator offers nothing to await).
        await eventually(lambda: emu.stats()["actions"].get(DESCRIBE, {}).get("requests", 0) >= 2)
        assert emu.stats()["actions"][CREATE]["requests"] == creates == 1
        for job_id in (first, *others):
            job = await h.store.get(job_id)
            assert job.state is JobState.QUEUED, job
        assert (await h.store.get(first)).error_category == ErrorCategory.OPERATOR
        outage = await OutageStore(h.store.db).current()
        assert outage is not None and outage.code == "FailedOperation.UserArrears"
        assert told == [("FailedOperation.UserArrears", True)]

        emu.set_account_error(None)  # the operator paid the bill
        await h.wait_until(lambda: all(h.terminal(j) for j in (first, *others)), within=10)
        for job_id in (first, *others):
            assert (await h.store.get(job_id)).state is JobState.DELIVERED
        assert told[-1] == ("FailedOperation.UserArrears", False)
        assert await OutageStore(h.store.db).current() is None
        assert not h.of(first, EventType.FAILED)


async def test_an_outage_left_by_a_stopped_process_is_probed_at_the_next_start(tmp_path) -> None:
    tunables = fast_tunables(outage_probe=(30.0, 60.0))  # only the start's probe can end it
    db_path = tmp_path / "db.sqlite3"
    async with running_emulator() as emu:
        emu.set_account_error("ActionOffline")
        async with engine_harness(emu, db_path, tunables) as h:
            job_id = await h.submit()
            await eventually(lambda: h.engine.outage.current is not None)
        emu.set_account_error(None)
        async with engine_harness(emu, db_path, tunables) as h:
            await h.wait_until(lambda: h.terminal(job_id), within=10)
            assert (await h.store.get(job_id)).state is JobState.DELIVERED


async def test_the_emulator_finds_tasks_for_its_lookup_window_only(tmp_path) -> None:
    config = fast_emulator_config(task_lookup_window=0.05)
    async with running_emulator(config) as emu, engine_harness(emu, tmp_path / "db.sqlite3") as h:
        emu.force_next_task(wait=0.3, run=0.3)
        job_id = await h.submit()
        await h.wait_until(lambda: h.terminal(job_id), within=5)
        job = await h.store.get(job_id)
        assert (job.error_category, job.error_code) == (
            ErrorCategory.TASK_NOT_FOUND,
            "ResourceNotFound.TaskNotFound",
        )
