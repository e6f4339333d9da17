"""End to end: appeals of blocked members, from the Appeal button to the moderators'
decision, through Discord's errors, restarts and servers without a log channel."""

from __future__ import annotations

from tests.moderation_helpers import guild_with_log, log_post, private_answer

from .bot_stack import bot_stack


async def block(fake, guild, user: str, duration: str, reason: str) -> None:
    answer = await private_answer(
        await fake.invoke(
            "moderation",
            "block",
            user="alice",
            options={"member": guild.member(user).user, "duration": duration, "reason": reason},
        )
    )
    assert "blocked" in answer.content


async def refused_with_appeal(fake, user: str):
    """The member's /imagine, refused for a block: the answer and its Appeal button."""
    answer = await private_answer(
        await fake.invoke("imagine", user=user, options={"prompt": "a kitten"})
    )
    (appeal,) = [c for c in answer.custom_ids() if c.startswith("mod:appeal:")]
    return answer, appeal


async def test_lifting_on_appeal_lifts_the_appealed_block_only(tmp_path) -> None:
    guild = guild_with_log()
    async with bot_stack(tmp_path, guilds=[guild]) as stack:
        fake = stack.fake
        await private_answer(
            await fake.invoke(
                "settings", "moderation", user="alice", options={"log_channel": "mod-log"}
            )
        )
        await block(fake, guild, "carol", "24h", "spam")
        answer, appeal_button = await refused_with_appeal(fake, "carol")
        assert "Reason: spam" in answer.content
        await private_answer(await fake.press_button(answer.id, appeal_button, "carol"))
        appeal_post = await log_post(fake, guild, "mod:lift:")

        # While the appeal waits, carol earns a second, unrelated block.
        await block(fake, guild, "carol", "perm", "threats")
        lift = next(c for c in appeal_post.custom_ids() if c.startswith("mod:lift:"))
        await (await fake.press_button(appeal_post.id, lift, "alice")).wait_for_response()
        assert "Block lifted" in str(fake.message(appeal_post.id).embeds)

        # The appealed block is gone; the newer one holds.
        still, _ = await refused_with_appeal(fake, "carol")
        assert "Reason: threats" in still.content and "spam" not in still.content
        history = await private_answer(
            await fake.invoke(
                "moderation",
                "history",
                user="alice",
                options={"member": guild.member("carol").user},
            )
        )
        assert "never (permanent)" in str(history.embeds[0]["fields"])
