"""SIGTERM on the real bot: only Creates on the wire may be uncertain, and the process is
gone well within Docker's 10-second stop timeout."""

from __future__ import annotations

import signal
import time

from mps_emulator import EmulatorConfig

from .bot_stack import bot_stack
from .conftest import eventually

CREATE = "CreateAigcImageTask"
SLOW_QUOTA = {
    "rates": {"create_image": 1},
    "limits": {"running_per_guild": 10, "running_per_user": 5, "queued_per_user": 5},
}


def requests(stack) -> int:
    return stack.emulator.stats()["actions"].get(CREATE, {}).get("requests", 0)


def accepted(stack) -> int:
    return stack.emulator.stats()["actions"].get(CREATE, {}).get("accepted", 0)


async def states(stack) -> dict[int, tuple[str, str | None]]:
    rows = await stack.rows("SELECT id, state, task_id FROM jobs ORDER BY id")
    return {job_id: (state, task_id) for job_id, state, task_id in rows}


async def _queue_six(stack) -> None:
    fake = stack.fake
    for i in range(6):
        interaction = await fake.slash_command(
            fake.guild.id,
            "general",
            ("alice", "bob", "carol")[i % 3],
            "imagine",
            options={"prompt": f"picture {i}"},
        )
        await interaction.wait_for_response()


async def test_sigterm_leaves_unsent_jobs_queued_and_exits_in_time(tmp_path) -> None:
    emulator = EmulatorConfig(image_wait=(30, 30), image_run=(30, 30), seed=1)
    async with bot_stack(tmp_path, config=SLOW_QUOTA, emulator_config=emulator) as stack:
        await _queue_six(stack)
        await eventually(lambda: accepted(stack) >= 2, within=20)
        started = time.monotonic()
        assert await stack.bots[0].stop(signal.SIGTERM) == 0
        took = time.monotonic() - started
        rows = await states(stack)
        sent = requests(stack)
        assert "submitting" not in {s for s, _ in rows.values()}, rows
        running = [t for s, t in rows.values() if s == "running"]
        assert len(running) == sent and all(running)
        assert sum(s == "queued" for s, _ in rows.values()) == 6 - sent >= 2
        assert took < 9, took


async def test_a_create_still_on_the_wire_at_sigterm_is_the_only_uncertain_job(tmp_path) -> None:
    emulator = EmulatorConfig(image_wait=(30, 30), image_run=(30, 30), seed=1)
    async with bot_stack(tmp_path, config=SLOW_QUOTA, emulator_config=emulator) as stack:
        # Every Create is answered 20 s late: longer than the shutdown grace.
        stack.emulator.inject_fault("slow", CREATE, count=100, delay=20)
        await _queue_six(stack)
        await eventually(lambda: requests(stack) >= 1, within=20)
        started = time.monotonic()
        assert await stack.bots[0].stop(signal.SIGTERM) == 0
        took = time.monotonic() - started
        rows = await states(stack)
        sent = requests(stack)
        assert sum(s == "submitting" for s, _ in rows.values()) == sent
        assert sum(s == "queued" for s, _ in rows.values()) == 6 - sent
        assert took < 9, took
