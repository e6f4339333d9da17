"""Two bot processes on one PostgreSQL, each running one of two gateway shards: one holds
the engine lease, the other is a standby that answers its own server's commands and hands
the jobs over. SIGKILL the holder while its tasks run: the standby takes the engine over
from the database and every job is delivered once, with one Create each."""

from __future__ import annotations

import asyncio
import socket
import time
from contextlib import asynccontextmanager

from bot.storage.database import open_database
from bot.storage.lease import lease_holder
from mps_emulator import EmulatorConfig
from tests.fakes.discord import default_guild, guild_id_on_shard

from .bot_stack import Stack, bot_stack
from .databases import postgresql_url

CLUSTER_CONFIG = {
    "cluster": {"lease_retry": 0.2, "lease_check": 0.5},
    "discord": {"resume_spread": 0.2},
}


async def engine_holder(stack: Stack) -> int | None:
    """The pid of the process holding this bot's engine lease, as PostgreSQL shows it."""
    db = await open_database(stack.database)
    try:
        holder = await lease_holder(db)
    finally:
        await db.close()
    return int(holder.rsplit(":", 1)[1]) if holder else None


async def wait_until(check, within: float = 30.0):
    # Other processes change what is checked here: there is no event to await.
    async with asyncio.timeout(within):
        while not (found := await check()):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    return found


@asynccontextmanager
async def two_processes(tmp_path, emulator: EmulatorConfig):
    """Process 0 runs shard 0 (server Zero) and holds the engine; process 1 runs shard 1
    (server One) and stands by."""
    zero = default_guild(name="Zero", guild_id=guild_id_on_shard(0, 2))
    one = default_guild(name="One", guild_id=guild_id_on_shard(1, 2))
    async with bot_stack(
        tmp_path,
        guilds=[zero, one],
        shards=2,
        start=False,
        emulator_config=emulator,
        config=CLUSTER_CONFIG,
        database_url=postgresql_url(),
    ) as stack:
        first = await stack.start_bot(SHARD_COUNT="2", SHARD_IDS="0")
        assert await wait_until(lambda: engine_holder(stack)) == first.proc.pid
        await stack.start_bot(SHARD_COUNT="2", SHARD_IDS="1")
        yield stack, zero, one


async def test_the_standby_delivers_every_job_once_after_the_engine_holder_is_killed(
    tmp_path,
) -> None:
    # Tasks run long enough to be running when the holder dies.
    emulator = EmulatorConfig(image_wait=(0.2, 0.3), image_run=(1.5, 2.0), seed=5)
    async with two_processes(tmp_path, emulator) as (stack, zero, one):
        first, second = stack.bots
        fake = stack.fake

        # Two asks in each server: Zero's answered by the holder, One's by the standby,
        # which writes them and wakes the holder's engine.
        asks = []
        for guild in (zero, one, zero, one):
            asked = await fake.invoke("imagine", guild=guild, options={"prompt": "a harbour"})
            await asked.wait_for_response()
            asks.append(asked)
        assert {a.guild_id: a.delivered_to for a in asks} == {zero.id: 1, one.id: 1}

        async def all_running() -> bool:
            rows = await stack.rows("SELECT task_id FROM jobs")
            return len(rows) == 4 and all(r[0] for r in rows)

        await wait_until(all_running)
        assert stack.emulator.stats()["tasks_created"] == 4
        first.proc.kill()  # SIGKILL: no goodbye, its connections just close
        killed = time.monotonic()
        await first.proc.wait()

        assert await wait_until(lambda: engine_holder(stack)) == second.proc.pid
        print(f"failover: {time.monotonic() - killed:.2f} s")

        async def delivered() -> bool:
            rows = await stack.rows("SELECT state FROM jobs")
            return [r[0] for r in rows] == ["delivered"] * 4

        await wait_until(delivered)
        for asked in asks:
            message = fake.message(asked.response_message_id)
            assert message is not None and len(message.attachments) == 1, asked
        # Each result posted once: on its own message, by one edit, and nowhere else.
        posted = [m for m in fake.messages.values() if m.attachments]
        assert sorted(m.id for m in posted) == sorted(a.response_message_id for a in asks)
        for message in posted:
            assert len([r for r in message.history if r.attachments]) == 1
        # One Create per job, none refused for the rate.
        stats = stack.emulator.stats()
        assert stats["tasks_created"] == 4
        assert sum(a["rate_limited"] for a in stats["actions"].values()) == 0
        assert "engine lease held: this process runs the engine" in second.output()
        code, out = await stack.run_cli("doctor")
        assert code == 0, out
        assert f"Engine: run by the bot process {socket.gethostname()}:{second.proc.pid}" in out


async def test_a_standby_answers_with_the_servers_settings_its_queue_and_quota(
    tmp_path,
) -> None:
    slow = EmulatorConfig(image_wait=(1.0, 1.0), image_run=(2.0, 2.0), seed=5)
    async with two_processes(tmp_path, slow) as (stack, _, one):
        fake = stack.fake

        async def states(*expected: str) -> bool:
            rows = await stack.rows("SELECT state FROM jobs ORDER BY id")
            return [r[0] for r in rows] == list(expected)

        async def imagine(prompt: str):
            asked = await fake.invoke("imagine", guild=one, options={"prompt": prompt})
            await asked.wait_for_response()
            return asked

        # Changed through the standby; the engine's holder applies the running limit.
        limits = {"daily_per_user": 10, "running_per_user": 2, "queued_per_user": 1}
        saved = await fake.invoke("settings", "limits", guild=one, options=limits)
        await saved.wait_for_response()
        assert "Saved" in saved.original.content
        # (An ask counts as waiting until the holder takes it up: one at a time here.)
        first = await imagine("first")
        await wait_until(lambda: states("running"))
        second = await imagine("second")
        await wait_until(lambda: states("running", "running"))  # two at once: heard
        waiting = await imagine("third")
        await wait_until(lambda: states("running", "running", "queued"))
        # One waiting ask each: the standby counts the member's in the database.
        refused = await fake.invoke("imagine", guild=one, options={"prompt": "fourth"})
        refusal = await refused.wait_for_original(lambda m: m.content, timeout=10)
        assert "You already have 1 jobs waiting" in refusal.content
        # The waiting one counts as used, as it would in the engine's process.
        quota = await fake.invoke("quota", guild=one)
        await quota.wait_for_response()
        assert "**7** left of 10" in quota.original.content + str(quota.original.embeds)

        queue = await fake.invoke("queue", guild=one)
        await queue.wait_for_response()
        listing = queue.original
        text = listing.embeds[0]["description"]
        assert "first" in text and "third" in text and "Queued" in text
        assert listing.custom_ids() == ["queue:cancel:3"]  # only the waiting one
        cancel = await fake.press_button(listing.id, "queue:cancel:3", one.owner_id)
        await cancel.wait_for_response()
        assert "third" not in fake.messages[listing.id].embeds[0]["description"]
        # The engine's holder (the other process) shows it on the job's message.
        cancelled = await fake.wait_for_message(
            lambda m: (
                m.id == waiting.response_message_id
                and "Cancelled" in (m.embeds[0].get("description") or "" if m.embeds else "")
            ),
            timeout=15,
        )
        assert not cancelled.attachments
        for done in (first, second):
            await fake.wait_for_message(
                lambda m, done=done: m.id == done.response_message_id and m.attachments,
                timeout=30,
            )
        await wait_until(lambda: states("delivered", "delivered", "cancelled"))
        assert stack.emulator.stats()["tasks_created"] == 2  # the cancelled one never left
        # Delivered while its token would still live: no "your image is ready" ping, as
        # when the process that answered delivers it.
        assert not [m for m in fake.messages.values() if "is ready" in m.content]
        # The command line does not start a second engine beside the bot's.
        code, out = await stack.run_cli("imagine", "a lighthouse")
        holder = f"{socket.gethostname()}:{stack.bots[0].proc.pid}"
        assert code == 2, out
        assert f"The bot process {holder} runs the engine on this database" in out
        assert stack.emulator.stats()["tasks_created"] == 2
        assert len(await stack.rows("SELECT id FROM jobs")) == 3


async def test_a_holder_that_loses_its_lease_connection_stops_and_the_standby_takes_over(
    tmp_path,
) -> None:
    emulator = EmulatorConfig(image_wait=(0.2, 0.3), image_run=(1.0, 1.5), seed=5)
    async with two_processes(tmp_path, emulator) as (stack, zero, _):
        first, second = stack.bots
        asked = await stack.fake.invoke("imagine", guild=zero, options={"prompt": "a pier"})
        await asked.wait_for_response()

        async def sent() -> bool:
            rows = await stack.rows("SELECT task_id FROM jobs")
            return bool(rows and rows[0][0])

        await wait_until(sent)
        # The database ends the holder's lease session (a failover of PostgreSQL itself, an
        # operator, a network cut): the process is alive, but the lock is no longer its own.
        ended = await stack.rows(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = ?",
            f"mps-imagine engine {socket.gethostname()}:{first.proc.pid}",
        )
        assert ended == [(True,)]
        assert await asyncio.wait_for(first.proc.wait(), 30) == 3
        output = first.output()
        assert "engine-lease died: LeaseLost: the engine lease's database connection" in output
        assert "Traceback" not in output
        assert await wait_until(lambda: engine_holder(stack)) == second.proc.pid
        await stack.fake.wait_for_message(
            lambda m: m.id == asked.response_message_id and m.attachments, timeout=30
        )
        assert stack.emulator.stats()["tasks_created"] == 1
