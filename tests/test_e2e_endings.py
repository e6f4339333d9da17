"""End to end: every ending reaches its member exactly once, across stops at any moment.

- a job failed at start-up recovery (its Create cut off by a stop) is shown on its message,
  and never again after a further restart;
- a stop between posting a result and recording it neither leaves the job behind nor
  posts it again at the next start (the message is looked at first);
- a new-message post whose answer is lost after Discord applied it (a 5xx, a reset) is
  not posted twice (a nonce, which Discord enforces).
"""

from __future__ import annotations

import asyncio
import signal

from bot.storage.jobs import JobState

from .bot_stack import bot_stack
from .fakes.discord.messages import delete_message

CREATE = "CreateAigcImageTask"
CHANNEL_EDIT = r"^/channels/\d+/messages/\d+$"
CHANNEL_POST = r"^/channels/\d+/messages$"
QUIET = {"discord": {"progress_interval": 60, "delivery_backoff": [0.1, 0.4]}}


async def job_state(stack, job_id: int = 1) -> str | None:
    rows = await stack.rows("SELECT state FROM jobs WHERE id = ?", job_id)
    return rows[0][0] if rows else None


async def wait_for_state(stack, *states: str, job_id: int = 1) -> str:
    async with asyncio.timeout(30):
        # The database is another process' file: nothing to await but its content.
        while (state := await job_state(stack, job_id)) not in states:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    return state


async def shown_rows(stack) -> list[tuple]:
    return await stack.rows("SELECT job_id FROM job_notices ORDER BY job_id")


def edits_of(fake, message_id: int) -> list:
    return [c for c in fake.calls_to("PATCH", rf"/messages/{message_id}$") if c.status == 200]


async def test_a_job_failed_at_start_up_recovery_is_shown_to_its_member_once(tmp_path) -> None:
    async with bot_stack(tmp_path, config=QUIET) as stack:
        fake = stack.fake
        # The Create stays on the wire long enough for the bot to be killed under it.
        stack.emulator.inject_fault("slow", CREATE, delay=20.0)
        interaction = await fake.slash_command(
            fake.guild.id, "general", "alice", "imagine", options={"prompt": "lost at sea"}
        )
        await wait_for_state(stack, "submitting")
        await stack.bots[-1].stop(signal.SIGKILL)
        message_id = interaction.response_message_id

        # The next start ends the job (its Create may have billed: it is not sent again)
        # and shows that on the member's message.
        await stack.start_bot()
        await wait_for_state(stack, "failed")
        shown = await fake.wait_for_message(
            lambda m: m.id == message_id and m.embeds and "interrupted" in str(m.embeds),
            timeout=15,
        )
        assert "not retried" in shown.embeds[0]["description"]
        async with asyncio.timeout(10):
            while not await shown_rows(stack):  # noqa: ASYNC110 - another process writes it
                await asyncio.sleep(0.05)
        edits = len(edits_of(fake, message_id))

        # Shown once: a further restart does not show it again.
        await stack.bots[-1].stop(signal.SIGTERM)
        await stack.start_bot()
        await stack.bots[-1].stop(signal.SIGTERM)
        assert len(edits_of(fake, message_id)) == edits == 1
        assert await shown_rows(stack) == [(1,)]


async def test_a_failure_whose_notice_was_cut_off_is_shown_at_the_next_start(tmp_path) -> None:
    async with bot_stack(tmp_path, config=QUIET) as stack:
        fake = stack.fake
        stack.emulator.inject_fault("slow", CREATE, delay=20.0)
        interaction = await fake.slash_command(
            fake.guild.id, "general", "alice", "imagine", options={"prompt": "lost at sea"}
        )
        await wait_for_state(stack, "submitting")
        await stack.bots[-1].stop(signal.SIGKILL)
        # At the next start the failure's edit never reaches Discord before the bot dies.
        held = fake.fail_next("PATCH", CHANNEL_EDIT, status=503, count=10**6)
        await stack.start_bot()
        await wait_for_state(stack, "failed")
        await fake.wait_for_call("PATCH", CHANNEL_EDIT, status=503)
        await stack.bots[-1].stop(signal.SIGKILL)
        assert await shown_rows(stack) == []
        held.remaining = 0

        await stack.start_bot()
        message_id = interaction.response_message_id
        await fake.wait_for_message(
            lambda m: m.id == message_id and "interrupted" in str(m.embeds), timeout=15
        )
        await stack.bots[-1].stop(signal.SIGTERM)
        assert await shown_rows(stack) == [(1,)]


async def test_a_stop_between_posting_a_result_and_recording_it_posts_nothing_again(
    tmp_path,
) -> None:
    async with bot_stack(tmp_path, config=QUIET) as stack:
        fake = stack.fake
        interaction = await fake.slash_command(
            fake.guild.id, "general", "alice", "imagine", options={"prompt": "quiet harbour"}
        )
        await interaction.wait_for_original(lambda m: m.embeds)
        # The token's life is over: the result goes through the channel, where Discord
        # applies it and the bot is killed before the answer arrives.
        fake.expire_token(interaction.token)
        fake.fail_next("PATCH", CHANNEL_EDIT, when="hold")
        message_id = interaction.response_message_id
        await fake.wait_for(lambda: fake.held, timeout=30, what="the result's edit")
        posted = fake.message(message_id)
        assert posted is not None and len(posted.attachments) == 1
        await stack.bots[-1].stop(signal.SIGKILL)
        assert await job_state(stack) == JobState.READY
        revisions = len(posted.history)

        await stack.start_bot()
        assert await wait_for_state(stack, "delivered") == JobState.DELIVERED
        async with asyncio.timeout(10):
            while not await shown_rows(stack):  # noqa: ASYNC110 - another process writes it
                await asyncio.sleep(0.05)
        await stack.bots[-1].stop(signal.SIGTERM)
        # Looked at, found holding its result: neither edited nor posted again.
        assert len(fake.message(message_id).history) == revisions
        assert fake.calls_to("GET", rf"/messages/{message_id}$")
        assert [m for m in fake.messages.values() if m.attachments] == [posted]
        assert await shown_rows(stack) == [(1,)]


async def test_a_new_message_whose_answer_was_lost_is_not_posted_twice(tmp_path) -> None:
    async with bot_stack(tmp_path, config=QUIET) as stack:
        fake = stack.fake
        interaction = await fake.slash_command(
            fake.guild.id, "general", "alice", "imagine", options={"prompt": "night market"}
        )
        await interaction.wait_for_original(lambda m: m.embeds)
        # The member's message is gone and, after a restart, its token with it: the result
        # is a new message, then a "ready" ping. Discord applies the result's post and the
        # answer is lost twice: a 502 (which discord.py retries itself) and a reset (which
        # delivery retries).
        await wait_for_state(stack, "running", "downloading", "ready")
        await stack.bots[-1].stop(signal.SIGKILL)
        await delete_message(fake, fake.message(interaction.response_message_id))
        fake.fail_next("POST", CHANNEL_POST, status=502, when="after")
        fake.drop_next("POST", CHANNEL_POST, when="after")
        await stack.start_bot()
        await wait_for_state(stack, "delivered")
        channel = fake.guild.channel("general").id
        await fake.wait_for(
            lambda: any("ready" in m.content for m in fake.channel_messages(channel)),
            timeout=20,
            what="the ready ping",
        )
        await stack.bots[-1].stop(signal.SIGTERM)
        posts = [m for m in fake.channel_messages(channel) if m.nonce]
        results = [m for m in posts if m.attachments]
        pings = [m for m in posts if not m.attachments and "ready" in m.content]
        assert len(results) == 1 and len(results[0].attachments) == 1
        assert len(pings) == 1
        # The result was sent three times: only Discord's nonce kept it single.
        assert len(fake.calls_to("POST", CHANNEL_POST)) == 4
