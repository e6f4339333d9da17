"""End to end: results of members on probation wait in the log channel for a moderator's
Approve or Reject, through restarts, per server."""

from __future__ import annotations

import asyncio

from bot.storage.database import open_database
from bot.storage.jobs import JobState, JobStore
from tests.fakes.discord import FakeMember
from tests.fakes.discord.messages import delete_message
from tests.moderation_helpers import guild_with_log, log_post, private_answer

from .bot_stack import bot_stack

HELD = "waits for a moderator's review"


async def job_states(stack, within: float = 10.0, *, until=None) -> dict[int, JobState]:
    """Every job's state, once `until(states)` holds (another process writes them: there is
    no event to await)."""
    db = await open_database(stack.database)
    try:
        store = JobStore(db)
        async with asyncio.timeout(within):
            while True:
                rows = await db.fetchall("SELECT id FROM jobs ORDER BY id")
                states = {r[0]: (await store.get(r[0])).state for r in rows}
                if until is None or until(states):
                    return states
                await asyncio.sleep(0.05)
    finally:
        await db.close()


def held_notice(fake, interaction):
    """The member's message once it says its result waits for a moderator."""
    return fake.wait_for_message(
        lambda m: (
            m.id == interaction.response_message_id
            and m.embeds
            and HELD in (m.embeds[0].get("description") or "")
        ),
        timeout=30,
    )


def pings(fake, channel_id: int, user_id: int) -> list:
    return [
        m
        for m in fake.channel_messages(channel_id)
        if m.content.startswith(f"<@{user_id}>") and not m.embeds
    ]


async def test_a_held_result_is_posted_where_asked_only_once_a_moderator_approves(
    tmp_path,
) -> None:
    guild = guild_with_log()
    async with bot_stack(tmp_path, guilds=[guild]) as stack:
        fake = stack.fake
        general, mod_log = guild.channel("general"), guild.channel("mod-log")
        newcomers = await fake.create_role("Newcomers")
        # Probation needs the log channel its results wait in: refused, nothing changed.
        refused = await fake.invoke(
            "settings", "moderation", user="alice", options={"probation_role": newcomers}
        )
        assert "Probation needs a log channel" in (await private_answer(refused)).content
        assert await stack.rows("SELECT COUNT(*) FROM guild_settings") == [(0,)]
        taken = await fake.invoke(
            "settings",
            "moderation",
            user="alice",
            options={"log_channel": mod_log, "probation_role": newcomers},
        )
        shown = str((await private_answer(taken)).embeds[0]["fields"])
        assert f"members with <@&{newcomers.id}>" in shown
        await fake.give_role("carol", newcomers)
        carol = guild.member("carol").user

        asked = await fake.invoke(
            "imagine", user="carol", channel="general", options={"prompt": "a *new* harbour"}
        )
        await held_notice(fake, asked)
        post = await log_post(fake, guild, "held:approve:")
        job_id = int(post.custom_ids()[0].rsplit(":", 1)[1])
        assert post.custom_ids() == [f"held:approve:{job_id}", f"held:reject:{job_id}"]
        # Moderators see the result (behind a spoiler), who asked, where, and the prompt
        # escaped; nobody is pinged.
        assert [a.filename.startswith("SPOILER_") for a in post.attachments] == [True]
        assert f"<@{carol.id}>" in post.content
        assert f"<#{general.id}>" in str(post.embeds[0]["fields"])
        assert post.embeds[0]["description"] == "||a \\*new\\* harbour||"
        sent = fake.calls_to("POST", rf"/channels/{mod_log.id}/messages")[-1]
        assert sent.json["allowed_mentions"]["parse"] == []
        # Nothing in the asking channel yet.
        message = fake.message(asked.response_message_id)
        assert all(not revision.attachments for revision in message.history)
        assert (await job_states(stack))[job_id] is JobState.READY
        history = await private_answer(await fake.invoke("history", user="carol"))
        assert "waiting for a moderator's review" in history.embeds[0]["description"]

        # bob is no moderator: refused in his language, nothing decided.
        nosy = await fake.press_button(post.id, f"held:approve:{job_id}", "bob")
        assert "只有本服务器的管理员" in (await private_answer(nosy)).content
        assert fake.message(post.id).custom_ids()
        assert not fake.message(asked.response_message_id).attachments

        approved = await fake.press_button(post.id, f"held:approve:{job_id}", "alice")
        await approved.wait_for_response()
        decided = fake.message(post.id)
        assert decided.components == [] and decided.attachments  # the files stay
        alice = guild.member("alice").user
        assert f"Approved by <@{alice.id}>" in str(decided.embeds[0]["fields"])
        result = await fake.wait_for_message(
            lambda m: m.id == asked.response_message_id and m.attachments, timeout=30
        )
        # The very bytes the moderators saw are posted where carol asked.
        assert result.attachments[0].data == post.attachments[0].data
        assert result.channel_id == general.id
        await job_states(stack, until=lambda s: s[job_id] is JobState.DELIVERED)
        # Recorded as delivered, then carol is pinged (an edit notifies nobody): once.
        await fake.wait_for(lambda: pings(fake, general.id, carol.id), timeout=10)
        told = pings(fake, general.id, carol.id)
        assert len(told) == 1 and "your image is ready" in told[0].content
        audit = await stack.rows(
            "SELECT actor_id, action, user_id, reason FROM moderation_audit"
            " WHERE action LIKE 'result_%'"
        )
        assert audit == [(alice.id, "result_approved", carol.id, f"job #{job_id}")]

        # A member without the role is not held.
        free = await fake.invoke("imagine", user="bob", channel="general", options={"prompt": "x"})
        await free.wait_for_original(lambda m: m.attachments, timeout=30)
        assert [m.id for m in fake.channel_messages(mod_log.id) if not m.ephemeral] == [post.id]
        assert pings(fake, general.id, carol.id) == told  # still told once


async def test_reject_posts_nothing_and_decisions_work_after_a_restart_per_server(
    tmp_path,
) -> None:
    home, other = guild_with_log(), guild_with_log(name="Other")
    carol = home.member("carol").user
    other.members.append(FakeMember(carol))
    async with bot_stack(tmp_path, guilds=[home, other]) as stack:
        fake = stack.fake
        general = home.channel("general")
        # Members who joined less than 3 days ago, here only.
        await private_answer(
            await fake.invoke(
                "settings",
                "moderation",
                user="alice",
                options={"log_channel": home.channel("mod-log"), "probation_days": 3},
            )
        )
        await fake.set_joined_at("carol", ago=86400, guild=home)
        await fake.set_joined_at("carol", ago=86400, guild=other)

        first = await fake.invoke("imagine", user="carol", options={"prompt": "first"})
        first_post = await log_post(fake, home, "held:reject:")
        second = await fake.invoke("imagine", user="carol", options={"prompt": "second"})
        second_post = await fake.wait_for_message(
            lambda m: m.id != first_post.id and "held:approve:" in str(m.custom_ids()),
            timeout=30,
        )
        await held_notice(fake, first)
        await held_notice(fake, second)
        # The other server has no probation: carol's result is posted there at once.
        elsewhere = await fake.invoke(
            "imagine", user=carol, guild=other, options={"prompt": "elsewhere"}
        )
        await elsewhere.wait_for_original(lambda m: m.attachments, timeout=30)
        assert fake.channel_messages(other.channel("mod-log").id) == []
        assert pings(fake, other.channel("general").id, carol.id) == []

        # The bot restarts while both wait; the buttons still work.
        assert await stack.bots[0].stop() == 0
        await stack.start_bot()

        reject = next(c for c in first_post.custom_ids() if c.startswith("held:reject:"))
        rejected = await fake.press_button(first_post.id, reject, "alice")
        await rejected.wait_for_response()
        assert "Rejected by" in str(fake.message(first_post.id).embeds[0]["fields"])
        approve = next(c for c in second_post.custom_ids() if c.startswith("held:approve:"))
        approved = await fake.press_button(second_post.id, approve, "alice")
        await approved.wait_for_response()
        await fake.wait_for_message(
            lambda m: m.id == second.response_message_id and m.attachments, timeout=30
        )
        first_id = int(reject.rsplit(":", 1)[1])
        second_id = int(approve.rsplit(":", 1)[1])
        states = await job_states(
            stack,
            until=lambda s: s[first_id] is JobState.FAILED and s[second_id] is JobState.DELIVERED,
        )
        assert list(states.values()).count(JobState.DELIVERED) == 2  # the second, elsewhere

        # Rejected: never posted where asked; carol's message says why, and she is told once.
        message = await fake.wait_for_message(
            lambda m: (
                m.id == first.response_message_id
                and "did not approve" in (m.embeds[0].get("description") or "")
            ),
            timeout=10,
        )
        assert all(not revision.attachments for revision in message.history)
        await fake.wait_for(lambda: len(pings(fake, general.id, carol.id)) >= 2, timeout=10)
        told = pings(fake, general.id, carol.id)
        assert sorted("did not approve" in m.content for m in told) == [False, True]
        # Each held result was posted for review once, restart or not.
        posted = [
            m.id for m in fake.channel_messages(home.channel("mod-log").id) if not m.ephemeral
        ]
        assert posted == [first_post.id, second_post.id]
        audit = await stack.rows(
            "SELECT action, reason FROM moderation_audit WHERE action LIKE 'result_%' ORDER BY id"
        )
        assert audit == [
            ("result_rejected", f"job #{first_id}"),
            ("result_approved", f"job #{second_id}"),
        ]


async def test_a_held_result_not_posted_or_whose_post_was_deleted_is_posted_at_the_start(
    tmp_path,
) -> None:
    guild = guild_with_log()
    config = {"discord": {"delivery_backoff": [0.2, 0.4]}}
    async with bot_stack(tmp_path, guilds=[guild], config=config) as stack:
        fake = stack.fake
        mod_log = guild.channel("mod-log")
        await private_answer(
            await fake.invoke(
                "settings",
                "moderation",
                user="alice",
                options={"log_channel": mod_log, "probation_days": 3},
            )
        )
        await fake.set_joined_at("carol", ago=3600)
        # The log channel cannot be reached (connections reset): the post is tried again,
        # and the bot stops meanwhile.
        route = rf"/channels/{mod_log.id}/messages"
        outage = fake.drop_next("POST", route, count=10_000)
        asked = await fake.invoke("imagine", user="carol", options={"prompt": "patience"})
        await held_notice(fake, asked)
        await fake.wait_for(lambda: len(fake.calls_to("POST", route)) >= 2, timeout=10)
        assert await stack.bots[0].stop() == 0
        assert await stack.rows("SELECT status, log_message_id FROM probation_holds") == [
            ("pending", None)
        ]
        outage.remaining = 0

        await stack.start_bot()
        lost = await log_post(fake, guild, "held:approve:")
        # Someone deletes the post while the bot is away: it is made again at the start.
        assert await stack.bots[-1].stop() == 0
        await delete_message(fake, lost)
        await stack.start_bot()
        post = await fake.wait_for_message(
            lambda m: m.channel_id == mod_log.id and m.id != lost.id and m.custom_ids(),
            timeout=20,
        )
        approve = post.custom_ids()[0]
        await (await fake.press_button(post.id, approve, "alice")).wait_for_response()
        result = await fake.wait_for_message(
            lambda m: m.id == asked.response_message_id and m.attachments, timeout=30
        )
        assert result.attachments[0].data == post.attachments[0].data
        assert [m.id for m in fake.channel_messages(mod_log.id) if not m.ephemeral] == [post.id]
