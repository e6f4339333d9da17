"""Re-roll, Vary and Delete, before and after a restart; a restart in the middle of a job."""

from __future__ import annotations

import asyncio

from bot.storage.database import open_database
from bot.storage.jobs import JobState, JobStore

from .bot_stack import bot_stack


def button(message, prefix: str) -> str:
    return next(i for i in message.custom_ids() if i.startswith(prefix))


async def delivered(fake, interaction):
    return await fake.wait_for_message(
        lambda m: m.id == interaction.response_message_id and m.attachments, timeout=30
    )


async def jobs(stack) -> list:
    db = await open_database(stack.database)
    try:
        store = JobStore(db)
        return [await store.get(i) for i in range(1, 1 + await _count(db))]
    finally:
        await db.close()


async def settled(stack, within: float = 10) -> list:
    """The jobs once each has ended: the bot records a delivery just after Discord has the
    message, and another process offers nothing to await."""
    async with asyncio.timeout(within):
        while True:
            found = await jobs(stack)
            if all(job.state.final for job in found):
                return found
            await asyncio.sleep(0.05)  # polling another process's database


async def _count(db) -> int:
    async with db.execute("SELECT COUNT(*) FROM jobs") as cur:
        return (await cur.fetchone())[0]


async def test_buttons_work_and_survive_a_restart(tmp_path) -> None:
    async with bot_stack(tmp_path) as stack:
        fake, emu = stack.fake, stack.emulator
        first = await fake.slash_command(
            fake.guild.id, "general", "alice", "imagine", options={"prompt": "a lighthouse at dusk"}
        )
        result = await delivered(fake, first)

        # Restart the bot between the result and the button presses.
        assert await stack.bots[0].stop() == 0
        await stack.start_bot()

        reroll = await fake.press_button(result.id, button(result, "imagine:reroll:"), "carol")
        await reroll.wait_for_response()
        assert reroll.callback_type == 5
        rerolled = await delivered(fake, reroll)
        assert rerolled.embeds[0]["title"] == "a lighthouse at dusk"

        vary = await fake.press_button(result.id, button(result, "imagine:vary:"), "alice")
        varied = await delivered(fake, vary)
        assert emu.stats()["references"]["fetched"] == 1  # the result itself was the reference

        stranger = await fake.press_button(
            result.id, button(result, "imagine:delete:"), "bob", locale="zh-CN"
        )
        await stranger.wait_for_response()
        assert stranger.original.ephemeral and "管理员" in stranger.original.content
        assert result.id in fake.messages

        owner = await fake.press_button(result.id, button(result, "imagine:delete:"), "alice")
        await owner.wait_for_response()
        assert result.id not in fake.messages
        assert varied.id in fake.messages

        rows = await jobs(stack)
        assert [j.user_id for j in rows] == [
            fake.guild.member("alice").user.id,
            fake.guild.member("carol").user.id,
            fake.guild.member("alice").user.id,
        ]
        assert rows[2].request["ImageInfos"][0]["ImageUrl"].startswith(fake.base_url)
        assert emu.stats()["tasks_created"] == 3


async def test_restart_in_the_middle_of_a_job_delivers_it_once(tmp_path) -> None:
    from mps_emulator import EmulatorConfig

    config = EmulatorConfig(image_wait=(1.0, 1.0), image_run=(1.0, 1.0), seed=1)
    async with bot_stack(tmp_path, emulator_config=config) as stack:
        fake, emu = stack.fake, stack.emulator
        interaction = await fake.slash_command(
            fake.guild.id, "general", "alice", "imagine", options={"prompt": "slow boat"}
        )
        await fake.wait_for(lambda: emu.stats()["tasks_created"] == 1, timeout=10)
        assert await stack.bots[0].stop() == 0  # SIGTERM while MPS is still working
        await stack.start_bot()
        message = await delivered(fake, interaction)
        assert len(message.attachments) == 1
        finals = [r for r in message.history if r.attachments]
        assert len(finals) == 1  # delivered exactly once
        (job,) = await settled(stack)
        assert job.state is JobState.DELIVERED
        assert emu.stats()["tasks_created"] == 1
        assert emu.stats()["actions"]["CreateAigcImageTask"]["requests"] == 1


async def test_job_outliving_its_token_is_still_delivered(tmp_path) -> None:
    from mps_emulator import EmulatorConfig

    config = EmulatorConfig(image_wait=(0.5, 0.5), image_run=(0.5, 0.5), seed=2)
    async with bot_stack(tmp_path, emulator_config=config) as stack:
        fake = stack.fake
        interaction = await fake.slash_command(
            fake.guild.id, "general", "alice", "imagine", options={"prompt": "patience"}
        )
        await interaction.wait_for_original(lambda m: m.embeds)
        fake.expire_token(interaction.token)
        message = await delivered(fake, interaction)
        assert message.history[-1].via == "channel"
        alice = fake.guild.member("alice").user.id
        ping = await fake.wait_for_message(
            lambda m: m.channel_id == message.channel_id and f"<@{alice}>" in m.content
        )
        assert str(message.id) in ping.content


async def test_discord_rate_limits_and_errors_do_not_lose_the_result(tmp_path) -> None:
    async with bot_stack(tmp_path) as stack:
        fake = stack.fake
        # Every edit of the interaction's message is answered 429 twice first.
        fake.fail_next("PATCH", r"/webhooks/.*", status=429, count=2, retry_after=0.05)
        interaction = await fake.slash_command(
            fake.guild.id, "general", "alice", "imagine", options={"prompt": "stormy sea"}
        )
        message = await delivered(fake, interaction)
        assert len(message.attachments) == 1
        limited = [c for c in fake.calls if c.status == 429]
        assert len(limited) == 2
