"""End to end: a moderator's warning that waits for the member (their DMs were closed) is
optional: a follow-up that fails to show it never stands between the member's job and its
delivery, and the warning is marked shown only once it was shown."""

from __future__ import annotations

from bot.moderation.store import ModerationStore
from bot.storage.database import open_database

from .bot_stack import bot_stack

FOLLOWUP = r"^/webhooks/\d+/[^/]+$"


async def keep_warning(stack, user: str, text: str) -> None:
    """What the Warn button stores when the member's DMs are closed."""
    db = await open_database(stack.database)
    try:
        user_id = stack.fake.guild.member(user).user.id
        await ModerationStore(db).add_pending_warning(stack.fake.guild.id, user_id, text)
    finally:
        await db.close()


async def unshown(stack) -> list[tuple]:
    return await stack.rows("SELECT text FROM pending_warnings WHERE shown_at IS NULL")


async def test_a_failed_warning_follow_up_neither_stops_the_job_nor_loses_the_warning(
    tmp_path,
) -> None:
    async with bot_stack(tmp_path) as stack:
        fake = stack.fake
        await keep_warning(stack, "carol", "Keep it clean.")
        # The connection drops on the private follow-up that carries the warning.
        dropped = fake.drop_next("POST", FOLLOWUP)
        asked = await fake.invoke("imagine", user="carol", options={"prompt": "a kitten"})
        result = await fake.wait_for_message(
            lambda m: m.id == asked.response_message_id and m.attachments, timeout=30
        )
        assert dropped.remaining == 0
        assert len(result.attachments) == 1
        assert not asked.followups  # nothing said "something went wrong"
        assert await unshown(stack) == [("Keep it clean.",)]

        # The next ask shows it, once, and only then is it marked shown.
        again = await fake.invoke("imagine", user="carol", options={"prompt": "a puppy"})
        warning = await again.wait_for_followup(lambda m: m.ephemeral, timeout=10)
        assert "Keep it clean." in warning.content
        await fake.wait_for_message(
            lambda m: m.id == again.response_message_id and m.attachments, timeout=30
        )
        assert await unshown(stack) == []
        third = await fake.invoke("imagine", user="carol", options={"prompt": "a duckling"})
        await fake.wait_for_message(
            lambda m: m.id == third.response_message_id and m.attachments, timeout=30
        )
        assert not third.followups
