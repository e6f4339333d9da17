"""End to end: moderators review content-policy incidents in Discord, warn, block, and
decide appeals; blocked members and blocked words cost no Tencent call."""

from __future__ import annotations

from mps_emulator import EmulatorConfig
from tests.fakes.discord import default_guild
from tests.moderation_helpers import guild_with_log, log_post, private_answer, stored_incidents

from .bot_stack import bot_stack

BANNED = EmulatorConfig(
    image_wait=(0.1, 0.1), image_run=(0.2, 0.2), banned_words=("forbidden",), seed=3
)
PHISHING = "[Verify your account](https://evil.example/login) @here"


def final_message(fake, interaction):
    return fake.wait_for_message(
        lambda m: m.id == interaction.response_message_id and m.attachments, timeout=30
    )


async def test_incident_is_posted_blocked_member_appeals_and_is_let_back(tmp_path) -> None:
    guild = guild_with_log()
    async with bot_stack(tmp_path, emulator_config=BANNED, guilds=[guild]) as stack:
        fake, emu = stack.fake, stack.emulator
        mods = await fake.create_role("Mods")
        await private_answer(
            await fake.invoke(
                "settings",
                "moderation",
                user="alice",
                options={"log_channel": guild.channel("mod-log"), "moderator_role": mods},
            )
        )
        asked = await fake.invoke(
            "imagine",
            user="carol",
            options={"prompt": "something **forbidden** <@1>", "negative_prompt": "blur"},
        )
        post = await log_post(fake, guild, "mod:dismiss:")
        (incident,) = await stored_incidents(stack.database, guild.id, count=1)
        carol = guild.member("carol").user
        # The prompt is there for moderators, escaped and behind a spoiler; carol is named
        # without a ping.
        embed = post.embeds[0]
        assert embed["description"] == "||something \\*\\*forbidden\\*\\* \\<@\u200b1\\>||"
        assert f"<@{carol.id}>" in post.content
        sent = fake.calls_to("POST", rf"/channels/{guild.channel('mod-log').id}/messages")[0]
        assert sent.json["allowed_mentions"]["parse"] == []
        assert post.custom_ids() == [
            f"mod:dismiss:{incident.id}",
            f"mod:warn:{incident.id}",
            f"mod:block:{incident.id}:24h",
            f"mod:block:{incident.id}:7d",
            f"mod:block:{incident.id}:perm",
        ]
        assert incident.negative_prompt == "blur" and incident.channel_id == guild.channels[0].id
        # The public message says what happened without repeating the prompt.
        public = fake.message(asked.response_message_id)
        assert "forbidden" not in str(public.embeds) + public.content

        # A member who is not a moderator cannot decide.
        refused = await fake.press_button(post.id, f"mod:block:{incident.id}:24h", "bob")
        assert "只有本服务器的管理员" in (await private_answer(refused)).content  # bob's language
        assert fake.message(post.id).custom_ids()  # still undecided

        await fake.give_role("bob", mods)
        decided = await fake.press_button(post.id, f"mod:block:{incident.id}:24h", "bob")
        await decided.wait_for_response()
        after = fake.message(post.id)
        assert after.components == []
        decision = after.embeds[0]["fields"][-1]["value"]
        assert (
            "Blocked for 24 hours" in decision and f"<@{guild.member('bob').user.id}>" in decision
        )

        calls = emu.stats()["actions"]
        blocked = await fake.invoke("imagine", user="carol", options={"prompt": "a kitten"})
        answer = await private_answer(blocked)
        assert "blocked" in answer.content and "incident #" in answer.content
        assert "<t:" in answer.content and ":R>" in answer.content
        (appeal_id,) = [c for c in answer.custom_ids() if c.startswith("mod:appeal:")]
        assert emu.stats()["actions"] == calls  # no Create reached Tencent

        appealed = await fake.press_button(answer.id, appeal_id, "carol")
        assert "sent" in (await private_answer(appealed)).content
        appeal_post = await log_post(fake, guild, "mod:lift:")
        again = await fake.press_button(answer.id, appeal_id, "carol")
        assert "already with the moderators" in (await private_answer(again)).content

        lifted = await fake.press_button(appeal_post.id, appeal_post.custom_ids()[0], "bob")
        await lifted.wait_for_response()
        assert fake.message(appeal_post.id).components == []
        assert "Block lifted" in str(fake.message(appeal_post.id).embeds)

        # Let back in; her negative prompt shows as text, not as a link or a mention.
        back = await fake.invoke(
            "imagine", user="carol", options={"prompt": "a kitten", "negative_prompt": PHISHING}
        )
        done = await final_message(fake, back)
        shown = {f["name"]: f["value"] for f in done.embeds[0]["fields"]}["Negative prompt"]
        assert "](" not in shown and "@here" not in shown
        assert shown == "\\[Verify your account\\]\\(https://evil.example/login\\) @\u200bhere"


async def test_buttons_work_after_a_restart_and_warnings_reach_the_member(tmp_path) -> None:
    guild = guild_with_log()
    async with bot_stack(tmp_path, emulator_config=BANNED, guilds=[guild]) as stack:
        fake = stack.fake
        await private_answer(
            await fake.invoke(
                "settings",
                "moderation",
                user="alice",
                options={"log_channel": guild.channel("mod-log"), "warning_text": "Keep it clean."},
            )
        )
        await fake.invoke("imagine", user="carol", options={"prompt": "forbidden one"})
        first = await log_post(fake, guild, "mod:warn:")
        await fake.invoke("imagine", user="bob", options={"prompt": "forbidden two"})
        second = await fake.wait_for_message(
            lambda m: m.channel_id == first.channel_id and m.id != first.id and m.custom_ids(),
            timeout=20,
        )
        carol_id = guild.member("carol").user.id
        carol_post, bob_post = (
            (first, second) if str(carol_id) in first.content else (second, first)
        )

        assert await stack.bots[0].stop() == 0
        await stack.start_bot()

        # carol's DMs are closed: the warning waits for her next command.
        fake.close_dms("carol")
        warn = carol_post.custom_ids()[1]
        pressed = await fake.press_button(carol_post.id, warn, "alice")
        note = await pressed.wait_for_followup(lambda m: m.ephemeral, timeout=10)
        assert "next command" in note.content
        assert fake.message(carol_post.id).components == []
        assert "Warned by" in str(fake.message(carol_post.id).embeds)
        # bob's are open: the warning arrives by DM.
        warn = bob_post.custom_ids()[1]
        await fake.press_button(bob_post.id, warn, "alice")
        dm = await fake.wait_for_dm("bob")
        assert "Keep it clean." in dm.content

        # The slash commands: block, refused, unblock, allowed, and the audit log.
        block = await fake.invoke(
            "moderation",
            "block",
            user="alice",
            options={"member": guild.member("carol").user, "duration": "7d", "reason": "spam"},
        )
        assert "blocked" in (await private_answer(block)).content
        refused = await fake.invoke("imagine", user="carol", options={"prompt": "a kitten"})
        assert "Reason: spam" in (await private_answer(refused)).content
        unblock = await fake.invoke(
            "moderation", "unblock", user="alice", options={"member": guild.member("carol").user}
        )
        assert "again" in (await private_answer(unblock)).content
        allowed = await fake.invoke("imagine", user="carol", options={"prompt": "a kitten"})
        warning = await allowed.wait_for_followup(lambda m: m.ephemeral, timeout=10)
        assert "Keep it clean." in warning.content
        await final_message(fake, allowed)

        history = await fake.invoke(
            "moderation", "history", user="alice", options={"member": guild.member("carol").user}
        )
        text = (await private_answer(history)).embeds[0]["description"]
        alice = f"<@{guild.member('alice').user.id}>"
        for action in ("Warned", "Blocked", "Unblocked"):
            assert f"{action} · {alice}" in text
        assert "spam" in text

        # A member who is not a moderator cannot use the commands either.
        nosy = await fake.invoke(
            "moderation", "history", user="bob", options={"member": guild.member("carol").user}
        )
        answer = await private_answer(nosy)
        assert answer.embeds == [] and "管理员" in answer.content


async def test_blocked_words_cost_nothing_and_servers_are_kept_apart(tmp_path) -> None:
    home, other = default_guild(), default_guild(name="Other")
    carol = home.member("carol").user
    other.members.append(type(home.member("carol"))(carol))
    async with bot_stack(tmp_path, guilds=[home, other]) as stack:
        fake, emu = stack.fake, stack.emulator
        # The words are stored (the change answered) before anyone asks.
        await private_answer(
            await fake.invoke(
                "settings", "moderation", user="alice", options={"blocked_words": "dragon, 龙"}
            )
        )
        stopped = await fake.invoke("imagine", user="carol", options={"prompt": "a red DRAGON"})
        assert "does not allow" in (await private_answer(stopped)).content
        assert emu.stats()["actions"] == {}  # refused before any Tencent call
        (incident,) = await stored_incidents(stack.database, home.id, count=1)
        assert (incident.code, incident.user_id, incident.job_id) == ("BlockedWord", carol.id, None)

        # No log channel: the incident is still listed for moderators.
        listing = await fake.invoke("moderation", "incidents", user="alice")
        assert f"#{incident.id}" in (await private_answer(listing)).embeds[0]["description"]
        block = await fake.invoke(
            "moderation",
            "block",
            user="alice",
            options={"member": carol, "duration": "perm", "reason": "dragons"},
        )
        await private_answer(block)

        # The other server sees neither the incident nor the block, nor its blocked words.
        other_owner = other.member("alice").user
        listing = await fake.invoke("moderation", "incidents", user=other_owner, guild=other)
        assert "No incidents." in (await private_answer(listing)).embeds[0]["description"]
        history = await fake.invoke(
            "moderation", "history", user=other_owner, guild=other, options={"member": carol}
        )
        embed = (await private_answer(history)).embeds[0]
        assert "No moderator action yet." in embed["description"]
        assert "not blocked" in str(embed["fields"])
        elsewhere = await fake.invoke(
            "imagine", user=carol, guild=other, options={"prompt": "a red dragon"}
        )
        await final_message(fake, elsewhere)
        assert await stored_incidents(stack.database, other.id, count=0) == []


async def test_log_posts_survive_discord_errors_and_restarts(tmp_path) -> None:
    from bot.moderation.store import ModerationStore
    from bot.storage.database import open_database

    guild = guild_with_log()
    async with bot_stack(tmp_path, emulator_config=BANNED, guilds=[guild]) as stack:
        fake = stack.fake
        log_channel = guild.channel("mod-log")
        await private_answer(
            await fake.invoke(
                "settings", "moderation", user="alice", options={"log_channel": log_channel}
            )
        )
        # Discord refuses the first post with a server error: the post is tried again.
        route = rf"/channels/{log_channel.id}/messages"
        fake.fail_next("POST", route, status=503, count=1)
        await fake.invoke("imagine", user="carol", options={"prompt": "forbidden fruit"})
        first = await log_post(fake, guild, "mod:dismiss:")
        assert [c.status for c in fake.calls_to("POST", route)] == [503, 200]

        # An incident recorded while the bot was away (stopped before it could post) is
        # posted when it starts again, and only once.
        await stack.bots[0].stop()
        db = await open_database(stack.database)
        try:
            missed = await ModerationStore(db).add_incident(
                guild_id=guild.id,
                user_id=guild.member("carol").user.id,
                channel_id=guild.channels[0].id,
                job_id=None,
                prompt="another forbidden thing",
                negative_prompt=None,
                model="Hunyuan",
                reference=None,
                code="BlockedWord",
                message=None,
            )
        finally:
            await db.close()
        await stack.start_bot()
        second = await fake.wait_for_message(
            lambda m: (
                m.channel_id == log_channel.id and f"mod:dismiss:{missed.id}" in m.custom_ids()
            ),
            timeout=20,
        )
        assert second.id != first.id
        posts = [m for m in fake.channel_messages(log_channel.id) if m.custom_ids()]
        assert len(posts) == 2  # the first incident was not posted again


async def test_a_decision_that_cannot_be_carried_out_changes_nothing(tmp_path) -> None:
    from bot.moderation.store import ModerationStore
    from bot.storage.database import open_database

    guild = guild_with_log()
    async with bot_stack(tmp_path, guilds=[guild]) as stack:
        fake = stack.fake
        await private_answer(
            await fake.invoke(
                "settings",
                "moderation",
                user="alice",
                options={"log_channel": "mod-log", "blocked_words": "dragon"},
            )
        )
        await fake.invoke("imagine", user="carol", options={"prompt": "a dragon"})
        post = await log_post(fake, guild, "mod:block:")
        (incident,) = await stored_incidents(stack.database, guild.id, count=1)
        # A Block button whose id carries no length (an older post, or a crafted request).
        button = {"type": 2, "style": 4, "label": "Block", "custom_id": f"mod:block:{incident.id}"}
        post.components.append({"type": 1, "components": [button]})
        pressed = await fake.press_button(post.id, f"mod:block:{incident.id}", "alice")
        answer = await private_answer(pressed)
        assert "how long" in answer.content and "Nothing was changed" in answer.content
        db = await open_database(stack.database)
        try:
            store = ModerationStore(db)
            assert (await store.incident(guild.id, incident.id)).status == "open"
            assert await store.active_block(guild.id, incident.user_id) is None
            assert await store.audit_for(guild.id, incident.user_id) == []
        finally:
            await db.close()
        assert len(fake.message(post.id).custom_ids()) == 6  # still undecided

        # A valid decision afterwards is carried out.
        decided = await fake.press_button(post.id, f"mod:block:{incident.id}:7d", "alice")
        await decided.wait_for_response()
        assert fake.message(post.id).components == []
        assert "Blocked for 7 days" in str(fake.message(post.id).embeds)
        refused = await private_answer(
            await fake.invoke("imagine", user="carol", options={"prompt": "a kitten"})
        )
        assert "You are blocked" in refused.content


async def test_log_channel_and_moderator_role_must_be_this_servers(tmp_path) -> None:
    home, other = guild_with_log(), guild_with_log(name="Other")
    theirs = other.add_role("Their mods")
    async with bot_stack(tmp_path, guilds=[home, other]) as stack:
        fake = stack.fake
        ours = await fake.create_role("Mods", guild=home)
        for option, value, said in (
            ("log_channel", other.channel("mod-log"), "That channel is not in this server"),
            ("moderator_role", theirs, "That role is not in this server"),
        ):
            refused = await fake.invoke(
                "settings", "moderation", user="alice", options={option: value}
            )
            assert said in (await private_answer(refused)).content
        assert await stack.rows("SELECT COUNT(*) FROM guild_settings") == [(0,)]
        assert await stack.rows("SELECT COUNT(*) FROM moderation_audit") == [(0,)]

        # The server's own channel and role are taken, and incidents go there.
        taken = await fake.invoke(
            "settings",
            "moderation",
            user="alice",
            options={
                "log_channel": home.channel("mod-log"),
                "moderator_role": ours,
                "blocked_words": "dragon",
            },
        )
        fields = str((await private_answer(taken)).embeds[0]["fields"])
        assert f"<#{home.channel('mod-log').id}>" in fields and f"<@&{ours.id}>" in fields
        await fake.invoke("imagine", user="carol", options={"prompt": "a dragon"})
        post = await log_post(fake, home, "mod:dismiss:")
        assert post.guild_id == home.id
