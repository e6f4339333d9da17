"""The bot never runs half-alive: an engine loop that dies stops the process with a message
naming it (its jobs resume at the next start), and a cog that does not load stops the
start. Background tasks that are owned say when they die."""

from __future__ import annotations

import asyncio
import logging
import sys

from bot.engine.tasks import OwnedTasks

from .bot_stack import bot_stack

# Runs the real entry point (`python -m bot`), with one part broken on purpose.
WRAPPER = """
import sys
{patch}
from bot.__main__ import main
sys.exit(main())
"""

DISPATCHER_DIES_AT_THE_FIRST_JOB = """
from bot.engine.dispatcher import Dispatcher

async def dies_at_the_first_job(self):
    await self.registry.wake_dispatch.wait()
    raise RuntimeError("the queue broke")

Dispatcher.run = dies_at_the_first_job
"""

ONE_MORE_COG = """
import bot.discord_app.client as client
client.EXTENSIONS = (*client.EXTENSIONS, "broken_cog")
"""


async def start_patched(stack, patch: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        WRAPPER.format(patch=patch),
        env=stack.env(),
        cwd=stack.home,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def job_states(stack) -> list[str]:
    return [row[0] for row in await stack.rows("SELECT state FROM jobs ORDER BY id")]


async def test_a_dead_engine_loop_stops_the_bot_and_its_job_resumes_at_the_next_start(
    tmp_path,
) -> None:
    async with bot_stack(tmp_path, start=False) as stack:
        proc = await start_patched(stack, DISPATCHER_DIES_AT_THE_FIRST_JOB)
        await stack.fake.wait_for_session(1, timeout=30)
        asked = await stack.fake.invoke("imagine", options={"prompt": "a lighthouse"})
        await asked.wait_for_response()
        out, _ = await asyncio.wait_for(proc.communicate(), 30)
        output = out.decode()
        assert proc.returncode == 3, output
        assert "engine-dispatch died: RuntimeError: the queue broke" in output
        assert "Unfinished jobs resume at the next start" in output
        assert await job_states(stack) == ["queued"]
        assert stack.emulator.stats()["tasks_created"] == 0
        # The next start picks the job up and delivers it: on its message if the first
        # process noted it before stopping, else on a new one that mentions its owner (when
        # posted: later edits show the progress and the result in its place).
        await stack.start_bot()
        owner = f"<@{asked.user_id}>"
        delivered = await stack.fake.wait_for_message(
            lambda m: m.attachments and m.channel_id == asked.channel_id, timeout=30
        )
        mentioned = any(owner in (text or "") for text in delivered.contents)
        assert delivered.id == asked.response_message_id or mentioned
        async with asyncio.timeout(10):
            # Another process writes the row: there is no event to await here.
            while await job_states(stack) != ["delivered"]:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        assert stack.emulator.stats()["tasks_created"] == 1


async def test_a_cog_that_does_not_load_stops_the_start(tmp_path) -> None:
    async with bot_stack(tmp_path, start=False) as stack:
        (stack.home / "broken_cog.py").write_text(
            "async def setup(bot):\n    raise RuntimeError('no table of styles')\n"
        )
        proc = await start_patched(stack, ONE_MORE_COG)
        out, _ = await asyncio.wait_for(proc.communicate(), 30)
        output = out.decode()
        assert proc.returncode == 2, output
        assert (
            "The bot did not start: the cog broken_cog could not be loaded "
            "(RuntimeError: no table of styles)." in output
        )
        assert stack.fake.identifies == 0  # it never came online half-built


async def test_owned_tasks_report_the_death_of_a_vital_task_only(caplog) -> None:
    caplog.set_level(logging.ERROR, logger="bot.engine.tasks")
    tasks = OwnedTasks("engine")
    never = asyncio.Event()

    async def fails() -> None:
        await asyncio.sleep(0)
        raise ValueError("poll loop broke")

    returns = tasks.spawn(asyncio.sleep(0), "engine-returns", vital=True)
    cancelled = tasks.spawn(never.wait(), "engine-cancelled", vital=True)
    helper = tasks.spawn(fails(), "a-helper")  # not vital: logged, not a death
    await asyncio.gather(returns, helper, return_exceptions=True)
    cancelled.cancel()
    await asyncio.gather(cancelled, return_exceptions=True)
    watcher = asyncio.create_task(tasks.first_death())
    await asyncio.sleep(0.01)
    assert not watcher.done()  # returning when told to, or being cancelled, is no death
    tasks.spawn(fails(), "engine-poll-image", vital=True)
    death = await asyncio.wait_for(watcher, 1)
    assert death.name == "engine-poll-image" and isinstance(death.error, ValueError)
    assert str(death) == "engine-poll-image died: ValueError: poll loop broke"
    logged = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert logged == [
        (logging.ERROR, "engine task a-helper failed"),
        (
            logging.CRITICAL,
            "engine: the vital task engine-poll-image died: ValueError: poll loop broke",
        ),
    ]
    await tasks.cancel()
