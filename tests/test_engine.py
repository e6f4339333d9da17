"""The job engine end to end against the emulator: what MPS saw, what the database holds."""

from __future__ import annotations

import asyncio
import hashlib
import io
from dataclasses import replace

import aiohttp
from PIL import Image

from bot.config.tunables import Limits, Polling
from bot.engine.events import ErrorCategory, EventType
from bot.moderation.service import Moderation
from bot.moderation.store import ModerationStore
from bot.storage.jobs import JobState

from .conftest import (
    engine_harness,
    eventually,
    fast_emulator_config,
    fast_tunables,
    running_emulator,
)

CREATE = "CreateAigcImageTask"
DESCRIBE = "DescribeAigcImageTask"


async def test_jobs_complete_with_the_bytes_the_emulator_served(tmp_path) -> None:
    async with running_emulator() as emu, engine_harness(emu, tmp_path / "db.sqlite3") as h:
        ids = [await h.submit(guild=1 + i % 2, user=i) for i in range(6)]
        await h.wait_until(lambda: all(h.terminal(i) for i in ids))
        stats = emu.stats()
        assert stats["tasks_created"] == 6
        async with aiohttp.ClientSession() as session:
            for job_id in ids:
                job = await h.store.get(job_id)
                assert job.state is JobState.DELIVERED
                assert len(h.of(job_id, EventType.READY)) == 1
                (result,) = job.results
                data = (tmp_path / "results" / str(job_id) / result.filename).read_bytes()
                assert hashlib.sha256(data).hexdigest() == result.sha256
                assert Image.open(io.BytesIO(data)).size == (1024, 1024)
                task = emu.task(job.task_id)
                url = emu.service.result_urls(task, emu.url)[0]
                async with session.get(url) as resp:
                    assert await resp.read() == data


async def test_limiter_holds_under_concurrent_bursts_as_the_emulator_counts(tmp_path) -> None:
    config = fast_emulator_config(
        rate_limits={CREATE: 5, DESCRIBE: 5, "CreateAigcVideoTask": 5, "DescribeAigcVideoTask": 5}
    )
    tunables = fast_tunables(
        rates=replace(fast_tunables().rates, create_image=5, describe_image=5),
        limits=Limits(running_per_guild=20, running_per_user=20, queued_per_user=100),
    )
    async with (
        running_emulator(config) as emu,
        engine_harness(emu, tmp_path / "db.sqlite3", tunables) as h,
    ):
        ids = await asyncio.gather(*(h.submit(guild=g, user=u) for g in range(3) for u in range(4)))
        # And a burst of raw Describes through the same gate, competing with the poller.
        burst = [h.engine.client.describe_image_task("4-AigcImage-none") for _ in range(15)]
        results = await asyncio.gather(*burst, return_exceptions=True)
        assert all(type(r).__name__ == "NotFoundError" for r in results)
        await h.wait_until(lambda: all(h.terminal(i) for i in ids), within=60)
        actions = emu.stats()["actions"]
        for action in (CREATE, DESCRIBE):
            assert actions[action]["rate_limited"] == 0
            assert actions[action]["peak_1s"] <= 5
        assert actions[CREATE]["peak_1s"] == 5  # the budget was really used


async def test_rate_limited_answers_slow_the_limiter_down(tmp_path) -> None:
    # Someone else uses most of the quota: the service allows 4/s, we believe in 20/s.
    config = fast_emulator_config(
        rate_limits={CREATE: 4, DESCRIBE: 100, "CreateAigcVideoTask": 4, "DescribeAigcVideoTask": 4}
    )
    tunables = fast_tunables(
        limits=Limits(running_per_guild=30, running_per_user=30, queued_per_user=100)
    )
    async with (
        running_emulator(config) as emu,
        engine_harness(emu, tmp_path / "db.sqlite3", tunables) as h,
    ):
        ids = [await h.submit(user=u) for u in range(12)]
        await h.wait_until(lambda: all(h.terminal(i) for i in ids), within=60)
        assert [(await h.store.get(i)).state for i in ids] == [JobState.DELIVERED] * len(ids)
        limiter = h.engine.gate.limiter(CREATE)
        assert limiter.backoffs >= 1
        assert emu.stats()["tasks_created"] == 12  # rate-limited Creates were not billed


async def test_heavy_guild_does_not_starve_a_light_one(tmp_path) -> None:
    async with running_emulator() as emu, engine_harness(emu, tmp_path / "db.sqlite3") as h:
        heavy = [await h.submit(guild=1, user=u % 4) for u in range(16)]
        light = await h.submit(guild=2, user=99)
        await h.wait_until(lambda: all(h.terminal(i) for i in [*heavy, light]), within=60)
        order = sorted(
            [*heavy, light], key=lambda i: h.of(i, EventType.SUBMITTED)[0].job.submitted_at
        )
        # Guild 1 may have two running already; the light guild's job goes right after.
        assert order.index(light) <= 2


async def test_restart_resumes_every_job_without_a_second_create(tmp_path) -> None:
    config = fast_emulator_config(image_wait=(0.3, 0.3), image_run=(0.3, 0.5))
    db = tmp_path / "db.sqlite3"
    async with running_emulator(config) as emu:
        async with engine_harness(emu, db) as first:
            ids = [await first.submit(guild=g, user=u) for g in range(3) for u in range(4)]
            # Six running (two per guild), six queued: stop abruptly, as a crash would.
            await first.wait_until(
                lambda: sum(bool(first.of(i, EventType.SUBMITTED)) for i in ids) == 6
            )
            await first.engine.abort()
            before = {i: (await first.store.get(i)).task_id for i in ids}
        assert sum(t is not None for t in before.values()) == 6
        async with engine_harness(emu, db) as second:
            await second.wait_until(lambda: all(second.terminal(i) for i in ids), within=60)
            for job_id in ids:
                job = await second.store.get(job_id)
                assert job.state is JobState.DELIVERED
                if before[job_id] is not None:
                    assert job.task_id == before[job_id]
                delivered = first.of(job_id, EventType.DELIVERED) + second.of(
                    job_id, EventType.DELIVERED
                )
                assert len(delivered) == 1
            # Only the six tasks this engine watched from submission teach it durations.
            (model,) = second.engine.duration_models().values()
            assert model.count == 6
        stats = emu.stats()
        assert stats["tasks_created"] == 12
        assert stats["actions"][CREATE]["accepted"] == 12


async def test_interrupted_create_is_never_resubmitted(tmp_path) -> None:
    db = tmp_path / "db.sqlite3"
    async with running_emulator() as emu:
        emu.inject_fault("slow", CREATE, delay=2.0)  # the task is created, the answer is late
        async with engine_harness(emu, db) as first:
            job_id = await first.submit()
            # Nothing in the engine happens while the answer is late: watch the emulator.
            await eventually(lambda: emu.stats()["tasks_created"] == 1)
            await first.engine.abort()
        async with engine_harness(emu, db) as second:
            await second.wait_until(lambda: second.terminal(job_id))
            job = await second.store.get(job_id)
        assert job.state is JobState.FAILED
        assert job.error_category == ErrorCategory.UNKNOWN_OUTCOME
        assert emu.stats()["actions"][CREATE]["requests"] == 1


async def test_timeout_cancel_and_expired_results(tmp_path) -> None:
    config = fast_emulator_config(image_wait=(0.05, 0.05), image_run=(30, 30))
    tunables = fast_tunables(polling=replace(fast_tunables().polling, timeout_seconds=0.4))
    async with (
        running_emulator(config) as emu,
        engine_harness(emu, tmp_path / "db.sqlite3", tunables) as h,
    ):
        slow = await h.submit(user=1)
        waiting = await h.submit(user=1)  # held back: one running job per user
        assert await h.engine.cancel(waiting)
        assert not await h.engine.cancel(waiting)
        await h.wait_until(lambda: h.terminal(slow))
        job = await h.store.get(slow)
        assert job.state is JobState.FAILED and job.error_category == ErrorCategory.TIMEOUT
        assert (await h.store.get(waiting)).state is JobState.CANCELLED
        assert emu.stats()["tasks_created"] == 1  # the cancelled job cost nothing

    async with (
        running_emulator(fast_emulator_config(url_lifetime=0.0)) as emu,
        engine_harness(emu, tmp_path / "db2.sqlite3") as h,
    ):
        job_id = await h.submit()
        await h.wait_until(lambda: h.terminal(job_id))
        job = await h.store.get(job_id)
        assert job.error_category == ErrorCategory.RESULT_EXPIRED
        assert emu.stats()["downloads"]["expired"] >= 1


async def test_moderation_failure_and_task_failure_are_classified(tmp_path) -> None:
    config = fast_emulator_config(banned_words=("forbidden",))
    async with running_emulator(config) as emu, engine_harness(emu, tmp_path / "db.sqlite3") as h:
        moderation = Moderation(ModerationStore(h.store.db), h.engine.rules.settings)
        moderation.attach(h.engine)
        blocked = await h.submit(prompt="a forbidden thing", negative_prompt="blur")
        emu.fail_next_task("model overloaded")
        failed = await h.submit(user=2)
        await h.wait_until(lambda: h.terminal(blocked) and h.terminal(failed))
        job = await h.store.get(blocked)
        assert job.error_category == ErrorCategory.CONTENT_VIOLATION
        assert job.error_code == "InvalidParameter.ViolationContent"
        # The moderation core, listening to the engine, recorded the incident.
        await moderation.settled()
        (incident,) = await moderation.store.incidents(1)
        assert incident.prompt == "a forbidden thing"
        assert incident.negative_prompt == "blur"
        assert incident.job_id == blocked and incident.code == "InvalidParameter.ViolationContent"
        job = await h.store.get(failed)
        assert job.error_category == ErrorCategory.GENERATION_FAILED
        assert job.error_message == "model overloaded"


async def test_too_many_running_tasks_keeps_jobs_queued(tmp_path) -> None:
    config = fast_emulator_config(max_running_tasks=1)
    tunables = fast_tunables(
        limits=Limits(running_per_guild=5, running_per_user=5, queued_per_user=50)
    )
    async with (
        running_emulator(config) as emu,
        engine_harness(emu, tmp_path / "db.sqlite3", tunables) as h,
    ):
        ids = [await h.submit(user=u) for u in range(4)]
        await h.wait_until(lambda: all(h.terminal(i) for i in ids), within=60)
        assert [(await h.store.get(i)).state for i in ids] == [JobState.DELIVERED] * len(ids)
        errors = emu.stats()["actions"][CREATE]["errors"]
        assert errors.get("LimitExceeded.CreateTask", 0) >= 1


async def test_polling_waits_until_a_task_can_be_done(tmp_path) -> None:
    config = fast_emulator_config(image_wait=(0.2, 0.2), image_run=(0.2, 0.4))
    polling = Polling(
        timeout_seconds=30, image_expected=(0.4, 0.6), target_interval=0.05, max_interval=0.5
    )
    async with (
        running_emulator(config) as emu,
        engine_harness(emu, tmp_path / "db.sqlite3", fast_tunables(polling=polling)) as h,
    ):
        ids = [await h.submit(guild=i, user=i) for i in range(5)]
        await h.wait_until(lambda: all(h.terminal(i) for i in ids))
        tasks = emu.stats()["tasks"].values()
        # No call before 0.4 s, then one per 0.05 s until done by 0.6 s: at most ~6 each,
        # where polling every 0.05 s from the start would take 8 to 12. A share of tasks is
        # probed earlier, to notice tasks getting faster (one of these five).
        calls = sorted(t["describe_calls"] for t in tasks)
        assert calls[-2] <= 7
        assert sum(calls) < 5 * 8
        assert all(t["first_final_seen_at"] is not None for t in tasks)


async def test_queue_limit_per_user(tmp_path) -> None:
    tunables = fast_tunables(limits=Limits(queued_per_user=2))
    async with (
        running_emulator() as emu,
        engine_harness(emu, tmp_path / "db.sqlite3", tunables) as h,
    ):
        from bot.rules.rulebook import QueueLimitError

        await h.submit(user=1)
        await h.submit(user=1)
        await h.submit(user=1)
        try:
            await h.submit(user=1)
            await h.submit(user=1)
        except QueueLimitError as exc:
            assert exc.limit == 2
        else:
            raise AssertionError("a fifth job should not fit")


async def test_output_blocked_by_moderation_is_a_content_violation(tmp_path) -> None:
    from mps_emulator import OUTPUT_BLOCKED_MESSAGE

    config = fast_emulator_config(banned_output_words=("lighthouse",))
    async with (
        running_emulator(config) as emu,
        engine_harness(emu, tmp_path / "db.sqlite3") as h,
    ):
        blocked = await h.submit(prompt="a lighthouse at dusk")
        fine = await h.submit(user=2, prompt="a cat")
        await h.wait_until(lambda: h.terminal(blocked) and h.terminal(fine))
        job = await h.store.get(blocked)
        assert job.state is JobState.FAILED
        assert job.error_category == ErrorCategory.CONTENT_VIOLATION
        assert (job.error_code, job.error_message) == ("OutputBlocked", OUTPUT_BLOCKED_MESSAGE)
        assert (await h.store.get(fine)).state is JobState.DELIVERED
        # The task was created (and billed): the block came after generation.
        assert emu.stats()["actions"][CREATE]["accepted"] == 2
