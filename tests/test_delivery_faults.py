"""Delivery waits out Discord's bad moments: 5xx, 429 and connection resets are never
failures until a long patience runs out; staged files of ended jobs are swept later."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest

from bot.engine.events import ErrorCategory
from bot.storage.jobs import JobState

from .bot_stack import bot_stack
from .conftest import engine_harness, fast_tunables, running_emulator

ORIGINAL = r"/messages/@original$"
PATIENT = {"discord": {"progress_interval": 60, "delivery_backoff": [0.1, 0.4]}}


async def job_row(stack, job_id: int = 1) -> dict:
    (row,) = await stack.rows(
        "SELECT state, error_category, error_code FROM jobs WHERE id = ?", job_id
    )
    return dict(zip(("state", "error_category", "error_code"), row, strict=True))


async def wait_for_state(stack, state: JobState, job_id: int = 1) -> dict:
    async with asyncio.timeout(30):
        # The database is another process' file: nothing to await but its content.
        while (row := await job_row(stack, job_id))["state"] != state:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    return row


def attachment_messages(fake) -> list:
    return [m for m in fake.messages.values() if m.attachments]


async def test_server_errors_and_connection_resets_during_delivery_are_waited_out(
    tmp_path,
) -> None:
    async with bot_stack(tmp_path, config=PATIENT) as stack:
        fake = stack.fake
        interaction = await fake.slash_command(
            fake.guild.id, "general", "alice", "imagine", options={"prompt": "stormy sea"}
        )
        # The progress edit is through; the next edit of this message is the delivery,
        # through the channel (discord.py gives up on a 503 there at once, where a webhook
        # call would sleep through five tries first).
        await interaction.wait_for_original(lambda m: m.embeds)
        fake.expire_token(interaction.token)
        edit = r"^/channels/\d+/messages/\d+$"
        faults = [
            fake.fail_next("PATCH", edit, status=503, count=2),
            fake.drop_next("PATCH", edit, count=2),
            fake.fail_next("PATCH", edit, status=429, count=1, retry_after=0.05),
        ]
        message = await fake.wait_for_message(
            lambda m: m.id == interaction.response_message_id and m.attachments, timeout=30
        )
        assert [rule.remaining for rule in faults] == [0, 0, 0]
        assert len(message.attachments) == 1
        assert len(attachment_messages(fake)) == 1  # delivered exactly once
        await wait_for_state(stack, JobState.DELIVERED)
        staged = stack.home / "results" / "1"
        async with asyncio.timeout(5):
            while staged.exists():  # noqa: ASYNC110 - removed right after the state change
                await asyncio.sleep(0.05)


async def test_delivery_fails_clearly_once_its_patience_runs_out(tmp_path) -> None:
    config = {"discord": {**PATIENT["discord"], "delivery_patience": 1.0}}
    async with bot_stack(tmp_path, config=config) as stack:
        fake = stack.fake
        interaction = await fake.slash_command(
            fake.guild.id, "general", "alice", "imagine", options={"prompt": "stormy sea"}
        )
        await interaction.wait_for_original(lambda m: m.embeds)
        # Discord stays unreachable: every edit's connection is reset.
        fake.drop_next(None, r".*/messages/.*", count=10**6)
        started = time.monotonic()
        row = await wait_for_state(stack, JobState.FAILED)
        assert row["error_category"] == ErrorCategory.DELIVERY_FAILED
        assert row["error_code"] == "ConnectionError"
        assert time.monotonic() - started < 10  # bounded: nothing spins
        assert not attachment_messages(fake)
        # The result stays on disk until the retention sweep.
        assert (stack.home / "results" / "1").exists()


async def test_staged_files_of_ended_jobs_are_swept_after_retention(tmp_path) -> None:
    base = fast_tunables()
    tunables = replace(base, downloads=replace(base.downloads, keep_failed_seconds=60))
    async with (
        running_emulator() as emu,
        engine_harness(emu, tmp_path / "db.sqlite3", tunables) as h,
    ):
        old, recent, running = [await h.submit(user=u) for u in (1, 2, 3)]
        await h.wait_until(lambda: all(h.terminal(i) for i in (old, recent, running)))
        now = time.time()
        await h.store.update(old, state=JobState.FAILED, finished_at=now - 120)
        await h.store.update(recent, state=JobState.FAILED, finished_at=now - 10)
        await h.store.update(running, state=JobState.READY)
        results = tmp_path / "results"
        orphan = results / "999"
        orphan.mkdir(parents=True)
        for job_id in (old, recent, running):
            (results / str(job_id)).mkdir(exist_ok=True)
            (results / str(job_id) / "job.png").write_bytes(b"x")
        removed = await h.engine.sweep_results()
        assert removed == 2
        assert not (results / str(old)).exists() and not orphan.exists()
        assert (results / str(recent)).exists() and (results / str(running)).exists()


@pytest.mark.parametrize(
    ("token", "retry_after", "code"),
    [
        # Through the interaction token discord.py sleeps through any retry_after.
        ("alive", 20.0, "Timeout"),
        # Through the bot token it sleeps up to its max_ratelimit_timeout (30 s), and
        # raises beyond it; an hour is past the patience at once.
        ("expired", 3600.0, "429"),
    ],
)
async def test_a_long_rate_limit_during_delivery_is_bounded_by_its_patience(
    tmp_path, token: str, retry_after: float, code: str
) -> None:
    config = {"discord": {**PATIENT["discord"], "delivery_patience": 1.0}}
    async with bot_stack(tmp_path, config=config) as stack:
        fake = stack.fake
        interaction = await fake.slash_command(
            fake.guild.id, "general", "alice", "imagine", options={"prompt": "stormy sea"}
        )
        await interaction.wait_for_original(lambda m: m.embeds)
        if token == "expired":
            fake.expire_token(interaction.token)
        edit = ORIGINAL if token == "alive" else r"^/channels/\d+/messages/\d+$"
        limited = fake.fail_next("PATCH", edit, status=429, retry_after=retry_after)
        # Well before the retry_after is over: the patience (1 s) decides.
        async with asyncio.timeout(10):
            row = await wait_for_state(stack, JobState.FAILED)
        assert limited.remaining == 0
        assert row["error_category"] == ErrorCategory.DELIVERY_FAILED
        assert row["error_code"] == code
        assert not attachment_messages(fake)
        # The member is told, on the job's message.
        await fake.wait_for_message(
            lambda m: m.id == interaction.response_message_id and "Discord" in str(m.embeds),
            timeout=10,
        )
