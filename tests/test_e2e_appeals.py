"""End to end: appeals of blocked members, from the Appeal button to the moderators'
decision, through Discord's errors, restarts and servers without a log channel."""

from __future__ import annotations

from tests.moderation_helpers import guild_with_log, log_post, private_answer, stored_appeals

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


def appeal_posts(fake, guild) -> list:
    channel = guild.channel("mod-log")
    return [
        m
        for m in fake.channel_messages(channel.id)
        if any(c.startswith("mod:lift:") for c in m.custom_ids())
    ]


async def test_appeals_are_stored_first_and_posted_through_errors_and_restarts(tmp_path) -> None:
    guild = guild_with_log()
    for name in ("dave", "erin"):
        guild.add_member(name)
    async with bot_stack(tmp_path, guilds=[guild]) as stack:
        fake = stack.fake
        log_channel = guild.channel("mod-log")
        route = rf"/channels/{log_channel.id}/messages$"
        await private_answer(
            await fake.invoke(
                "settings", "moderation", user="alice", options={"log_channel": log_channel}
            )
        )
        for name in ("dave", "erin"):
            await block(fake, guild, name, "7d", f"spam by {name}")

        # Discord refuses dave's appeal post for a moment: it is tried again.
        fake.fail_next("POST", route, status=503, count=1)
        refusal, button = await refused_with_appeal(fake, "dave")
        pressed = await fake.press_button(refusal.id, button, "dave")
        assert "sent" in (await private_answer(pressed)).content
        daves_post = await log_post(fake, guild, "mod:lift:")
        assert [c.status for c in fake.calls_to("POST", route)][-2:] == [503, 200]

        # erin's post is refused outright: she was told "sent" once, and only that.
        missing = {"code": 50013, "message": "Missing Permissions"}
        fake.fail_next("POST", route, status=403, body=missing, count=1)
        refusal, erins_button = await refused_with_appeal(fake, "erin")
        pressed = await fake.press_button(refusal.id, erins_button, "erin")
        assert "sent" in (await private_answer(pressed)).content
        await fake.wait_for_call("POST", route, status=403, timeout=10)
        (erins,) = [
            a
            for a in await stored_appeals(stack.database, guild.id, count=2)
            if a.user_id == guild.member("erin").user.id
        ]
        assert erins.status == "open" and erins.log_message_id is None
        assert len(appeal_posts(fake, guild)) == 1

        # At the next start the missed appeal is posted, once; dave's is not posted again.
        await stack.bots[0].stop()
        await stack.start_bot()
        erins_post = await fake.wait_for_message(
            lambda m: m.channel_id == log_channel.id and f"mod:lift:{erins.id}" in m.custom_ids(),
            timeout=20,
        )
        # Pressing Appeal again tells her it is with the moderators: no refusal, no new post.
        again = await fake.press_button(refusal.id, erins_button, "erin")
        answer = (await private_answer(again)).content
        assert "already with the moderators" in answer
        assert [m.id for m in appeal_posts(fake, guild)] == [daves_post.id, erins_post.id]
        assert pressed.followups == []  # nothing after "sent"

        # Decided from /moderation appeals, the log post shows the decision too.
        listing = await private_answer(await fake.invoke("moderation", "appeals", user="alice"))
        assert f"#{erins.id}" in listing.embeds[0]["description"]
        lifted = await fake.press_button(listing.id, f"modappeal:lift:{erins.id}:0:", "alice")
        await lifted.wait_for_response()
        await fake.wait_for_message(
            lambda m: m.id == erins_post.id and not m.components, timeout=20
        )
        assert "Block lifted" in str(fake.message(erins_post.id).embeds)


async def test_moderation_appeals_lists_and_decides_without_a_log_channel(tmp_path) -> None:
    guild = guild_with_log()  # its #mod-log is not set as the log channel
    for name in ("dave", "erin"):
        guild.add_member(name)
    async with bot_stack(tmp_path, guilds=[guild]) as stack:
        fake = stack.fake
        buttons = {}
        for name in ("dave", "erin"):
            await block(fake, guild, name, "perm", f"spam by {name}")
            refusal, button = await refused_with_appeal(fake, name)
            buttons[name] = (refusal, button)
            answer = await private_answer(await fake.press_button(refusal.id, button, name))
            assert "sent" in answer.content
        assert fake.channel_messages(guild.channel("mod-log").id) == []

        listing = await private_answer(await fake.invoke("moderation", "appeals", user="alice"))
        text = listing.embeds[0]["description"]
        dave, erin = (guild.member(n).user.id for n in ("dave", "erin"))
        assert f"<@{dave}>" in text and f"<@{erin}>" in text and "spam by dave" in text
        keep = next(c for c in listing.custom_ids() if c.startswith("modappeal:keep:"))
        kept_id = int(keep.split(":")[2])
        kept = await fake.press_button(listing.id, keep, "alice")
        await kept.wait_for_response()
        page = fake.message(listing.id)
        assert f"Appeal #{kept_id}" in page.content and "kept" in page.content
        assert keep not in page.custom_ids()  # decided: its buttons are gone
        lift = next(c for c in page.custom_ids() if c.startswith("modappeal:lift:"))
        await (await fake.press_button(page.id, lift, "alice")).wait_for_response()

        # Who was kept and who was lifted, by the audit log and by what they can do.
        by_status = {}
        for status in ("open", "accepted", "rejected"):
            shown = await private_answer(
                await fake.invoke("moderation", "appeals", user="alice", options={"status": status})
            )
            by_status[status] = shown.embeds[0]["description"]
        assert by_status["open"] == "No appeals."
        kept_user, lifted_user = (
            (dave, erin) if f"<@{dave}>" in by_status["rejected"] else (erin, dave)
        )
        assert f"<@{lifted_user}>" in by_status["accepted"]
        history = await private_answer(
            await fake.invoke("moderation", "history", user="alice", options={"member": kept_user})
        )
        assert "Appeal rejected" in history.embeds[0]["description"]
        allowed = await fake.invoke("imagine", user=lifted_user, options={"prompt": "a kitten"})
        await allowed.wait_for_response()
        assert not allowed.original.ephemeral
        kept_name = "dave" if kept_user == dave else "erin"
        refusal, button = buttons[kept_name]
        again = await private_answer(await fake.press_button(refusal.id, button, kept_name))
        assert "already decided" in again.content

        # Not for members who do not moderate.
        nosy = await private_answer(await fake.invoke("moderation", "appeals", user="carol"))
        assert nosy.embeds == [] and "moderators" in nosy.content
