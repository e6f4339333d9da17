"""An ask for several images is several tasks, one batch: one slot, asked and cancelled as a
whole, and limits that count images. Engine and services against the emulator, no Discord.
"""

from __future__ import annotations

import pytest

import bot.storage.migrations as migrations_module
from bot.asks.images import ImageOptions
from bot.engine.events import JobRequest
from bot.mps.models import ImageTaskRequest, TaskKind
from bot.refusal import Refusal
from bot.rules.quotas import QuotaBook
from bot.rules.server_settings_store import ServerSettingsStore
from bot.services.members import Member
from bot.storage.database import open_database
from bot.storage.dialect import SQLITE
from bot.storage.jobs import JobState
from bot.storage.usage import UsageReader

from .conftest import engine_harness, fast_emulator_config, fast_tunables, running_emulator
from .test_services import world

CREATE = "CreateAigcImageTask"


def batch_request(tasks: int, user: int = 1, prompt: str = "a cat") -> JobRequest:
    request = ImageTaskRequest(model_name="Hunyuan", model_version="3.0", prompt=prompt)
    return JobRequest(
        kind=TaskKind.IMAGE,
        guild_id=1,
        user_id=user,
        model="Hunyuan",
        prompt=prompt,
        request=request.to_api(),
        options={"count": tasks},
        tasks=tasks,
    )


async def test_a_batch_runs_its_tasks_at_once_in_one_slot(tmp_path) -> None:
    config = fast_emulator_config(image_wait=(0.1, 0.1), image_run=(0.3, 0.3))
    async with running_emulator(config) as emu, engine_harness(emu, tmp_path / "db") as h:
        lead = await h.engine.submit(batch_request(4))
        alone = await h.submit(user=1, prompt="after")  # same member, one running slot
        batch = await h.store.batch(lead.id)
        ids = [j.id for j in batch]
        await h.wait_until(lambda: all(h.terminal(i) for i in (*ids, alone)))

        batch = await h.store.batch(lead.id)
        assert [(j.batch_id, j.batch_index, j.batch_size, j.units) for j in batch] == [
            (lead.id, i, 4, 1) for i in range(4)
        ]
        assert all(j.state is JobState.DELIVERED for j in batch)
        assert len({j.task_id for j in batch}) == 4 and emu.stats()["tasks_created"] == 5
        tasks = [emu.task(j.task_id) for j in batch]
        # At once: every task of the batch was created before the first one finished...
        assert max(t.created_at for t in tasks) < min(t.final_at for t in tasks)
        # ...and they held one slot: the member's next job started after all of them.
        after = emu.task((await h.store.get(alone)).task_id)
        assert after.created_at >= max(t.final_at for t in tasks)
        # One entry of the member's history, not four.
        history = await h.store.history(1, 1)
        assert [j.id for j in history] == [alone, lead.id]


async def test_a_waiting_batch_is_cancelled_whole(tmp_path) -> None:
    config = fast_emulator_config(image_wait=(0.3, 0.3), image_run=(0.3, 0.3))
    async with running_emulator(config) as emu, engine_harness(emu, tmp_path / "db") as h:
        first = await h.submit(user=1)
        lead = await h.engine.submit(batch_request(3))
        await h.wait_until(lambda: emu.stats()["tasks_created"] == 1)
        (mine,) = h.engine.user_jobs(1, 1)[1:]  # one line for the batch
        assert mine.position == 1
        assert await h.engine.cancel(lead.id)
        await h.wait_until(lambda: h.terminal(first))
        batch = await h.store.batch(lead.id)
        assert [j.state for j in batch] == [JobState.CANCELLED] * 3
        assert emu.stats()["tasks_created"] == 1


async def test_a_deferred_task_of_a_running_batch_waits_in_its_slot(tmp_path) -> None:
    async with running_emulator() as emu, engine_harness(emu, tmp_path / "db") as h:
        emu.inject_fault("error", CREATE, code="LimitExceeded.CreateTask")
        lead = await h.engine.submit(batch_request(3))
        ids = [j.id for j in await h.store.batch(lead.id)]
        await h.wait_until(lambda: all(h.terminal(i) for i in ids))
        assert all(j.state is JobState.DELIVERED for j in await h.store.batch(lead.id))
        assert emu.stats()["tasks_created"] == 3
        assert h.engine.counts(1).running == 0  # the slot went back once


async def test_limits_count_images_and_refuse_an_ask_whole(tmp_path) -> None:
    alice = Member(10, 1, channel_id=100)
    async with world(tmp_path) as w:
        await w.settings.set(10, {"daily_per_user": 2})
        with pytest.raises(Refusal) as refused:
            await w.services.jobs.ask_image(alice, ImageOptions(prompt="cats", count=4))
        assert refused.value.key == "admin.refused.daily_per_user"
        assert refused.value.params["used"] == 0 and refused.value.params["asked"] == 4
        # Two fit; then one more does not (the two wait, not yet accepted, and count).
        job = await w.launched(alice, ImageOptions(prompt="cats", count=2))
        assert [j.units for j in await w.services.jobs.store.batch(job.id)] == [1, 1]
        with pytest.raises(Refusal) as again:
            await w.services.jobs.ask_image(alice, ImageOptions(prompt="one more"))
        assert again.value.params["used"] == 2
        report = await w.services.usage.quota(alice)
        (daily,) = [line for line in report.lines if line.name == "daily_per_user"]
        assert (daily.used, daily.left) == (2, 0)


async def _database_at(
    target, version: int, rows: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database migrated to `version` only, holding jobs written before the next."""
    good = migrations_module.numbered_scripts
    with monkeypatch.context() as patch:
        patch.setattr(migrations_module, "numbered_scripts", lambda d=SQLITE: good(d)[:version])
        db = await open_database(target)
    try:
        for kind, options in rows:
            await db.write(
                "INSERT INTO jobs (kind, guild_id, user_id, state, model, request_json,"
                " options_json, created_at, submitted_at, updated_at)"
                " VALUES (?, 1, 1, 'delivered', 'Kling', '{}', ?, 1.0, 1.0, 1.0)",
                (kind, options),
            )
    finally:
        await db.close()


async def test_jobs_from_before_count_the_images_their_one_task_made(
    both_databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _database_at(
        both_databases,
        7,
        [
            ("image", '{"prompt": "a", "count": 4, "enhance_prompt": false}'),
            ("image", '{"prompt": "\\"count\\": 3, said the cat", "count": 1}'),
            ("image", '{"prompt": "b", "count": 3}'),
            ("image", "{}"),
            ("video", '{"count": 2}'),
        ],
        monkeypatch,
    )
    db = await open_database(both_databases)
    try:
        found = await db.fetchall("SELECT units, batch_id, batch_size FROM jobs ORDER BY id")
        rows = [tuple(r) for r in found]
        assert rows == [(4, None, 1), (1, None, 1), (3, None, 1), (1, None, 1), (1, None, 1)]
        tunables = fast_tunables()
        quotas = QuotaBook(ServerSettingsStore(db, tunables), UsageReader(db))
        assert await quotas.usage.count_accepted(1, TaskKind.IMAGE, 0.0, 2.0) == 9
    finally:
        await db.close()
