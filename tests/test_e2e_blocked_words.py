"""End to end: a server's blocked words, found however they are spelt, and what repeated
attempts cost the member who makes them."""

from __future__ import annotations

from tests.fakes.discord import default_guild
from tests.moderation_helpers import guild_with_log, log_post, private_answer, stored_incidents

from .bot_stack import bot_stack

# Each spelling a member could use to slip a blocked word past a plain comparison.
DISGUISED = {
    "zero-width joiner": "something for\u200dbidden",
    "zero-width non-joiner": "for\u200cbidden fruit",
    "full-width letters": "a ｆｏｒｂｉｄｄｅｎ castle",
    "mathematical letters": "𝐟𝐨𝐫𝐛𝐢𝐝𝐝𝐞𝐧 city",
    "Cyrillic look-alikes": "the forbіddеn door",  # і and е are Cyrillic
    "enclosed letters": "ⓝⓢⓕⓦ art",
    "upper case and punctuation": "FORBIDDEN!",
    "a Chinese word with a joiner": "这是暴\u200d力内容",
    "a Chinese word inside text": "这是暴力内容",
    "a katakana look-alike": "暴カ",  # カ (katakana) looks like 力
    "accents": "fòrbíddèn",
    "combining underlines": "f\u0332o\u0332r\u0332b\u0332i\u0332d\u0332d\u0332e\u0332n\u0332",
}
# Prompts that must go through: the words inside other words, or their characters apart.
INNOCENT = (
    "a classic brass compass on a passage table",
    "一只戴着草帽的橘猫，暴风雨中的力量",
    "カメラを持つ猫",
)


async def test_blocked_words_are_found_however_they_are_spelt(tmp_path) -> None:
    guild = default_guild()
    # One member for each attempt: each is a first attempt, recorded on its own.
    members = [guild.add_member(f"member{i}") for i in range(len(DISGUISED) + len(INNOCENT))]
    async with bot_stack(tmp_path, guilds=[guild]) as stack:
        fake, emu = stack.fake, stack.emulator
        await private_answer(
            await fake.invoke(
                "settings",
                "moderation",
                user="alice",
                options={"blocked_words": "forbidden, nsfw, 暴力, ass"},
            )
        )
        for member, prompt in zip(members, DISGUISED.values(), strict=False):
            stopped = await fake.invoke("imagine", user=member.user, options={"prompt": prompt})
            answer = await private_answer(stopped)
            assert "does not allow" in answer.content, prompt
        # In a negative prompt too.
        sneaky = await fake.invoke(
            "imagine",
            user="carol",
            options={"prompt": "a landscape", "negative_prompt": "ｎｓｆｗ"},
        )
        assert "does not allow" in (await private_answer(sneaky)).content
        assert emu.stats()["actions"] == {}  # none of them reached Tencent

        incidents = await stored_incidents(stack.database, guild.id, count=len(DISGUISED) + 1)
        assert {i.code for i in incidents} == {"BlockedWord"}
        # Recorded as typed, so moderators see the disguise.
        assert {i.prompt for i in incidents} == {*DISGUISED.values(), "a landscape"}

        asked = [
            await fake.invoke("imagine", user=member.user, options={"prompt": prompt})
            for member, prompt in zip(members[len(DISGUISED) :], INNOCENT, strict=True)
        ]
        for interaction in asked:
            done = await fake.wait_for_message(
                lambda m, i=interaction: m.id == i.response_message_id and m.attachments,
                timeout=30,
            )
            assert not done.ephemeral
        assert emu.stats()["actions"]["CreateAigcImageTask"]["accepted"] == len(INNOCENT)


async def test_repeated_attempts_are_one_post_and_count_against_the_cooldown(tmp_path) -> None:
    guild = guild_with_log()
    dave, erin = guild.add_member("dave"), guild.add_member("erin")
    async with bot_stack(tmp_path, guilds=[guild]) as stack:
        fake = stack.fake
        log_channel = guild.channel("mod-log")
        await private_answer(
            await fake.invoke(
                "settings",
                "moderation",
                user="alice",
                options={"log_channel": log_channel, "blocked_words": "dragon"},
            )
        )
        # Fifteen attempts in a row: one post, edited with the count.
        for n in range(15):
            stopped = await fake.invoke("imagine", user="carol", options={"prompt": f"dragon {n}"})
            assert "does not allow" in (await private_answer(stopped)).content
        post = await log_post(fake, guild, "mod:dismiss:")
        await fake.wait_for_message(
            lambda m: m.id == post.id and "15 attempts" in m.content, timeout=20
        )
        assert "dragon 14" in fake.message(post.id).content  # the latest, behind a spoiler
        await fake.invoke("imagine", user="bob", options={"prompt": "a dragon"})  # his own post
        bobs = await fake.wait_for_message(
            lambda m: m.channel_id == log_channel.id and m.id != post.id and m.custom_ids(),
            timeout=20,
        )
        assert str(guild.member("bob").user.id) in bobs.content
        posts = [m for m in fake.channel_messages(log_channel.id) if m.custom_ids()]
        assert len(posts) == 2
        rows = await stack.rows("SELECT user_id, attempts FROM incidents ORDER BY id")
        carol, bob = (guild.member(n).user.id for n in ("carol", "bob"))
        assert rows == [(carol, 15), (bob, 1)]

        # Once decided, the next attempt is a new incident with its own post.
        dismiss = next(c for c in post.custom_ids() if c.startswith("mod:dismiss:"))
        await (await fake.press_button(post.id, dismiss, "alice")).wait_for_response()
        await fake.invoke("imagine", user="carol", options={"prompt": "dragon again"})
        await fake.wait_for_message(
            lambda m: m.channel_id == log_channel.id and "dragon again" in str(m.embeds),
            timeout=20,
        )

        # With a cooldown, an attempt starts it like a job would, and attempts within it
        # are refused for the cooldown, unrecorded.
        await private_answer(
            await fake.invoke("settings", "limits", user="alice", options={"cooldown_seconds": 600})
        )
        first = await fake.invoke("imagine", user=dave.user, options={"prompt": "dragon two"})
        assert "does not allow" in (await private_answer(first)).content
        for prompt in ("a kitten", "dragon three"):
            waited = await fake.invoke("imagine", user=dave.user, options={"prompt": prompt})
            assert "cooldown" in (await private_answer(waited)).content, prompt
        # And a member whose job started the cooldown is refused for it, not recorded.
        done = await fake.invoke("imagine", user=erin.user, options={"prompt": "a kitten"})
        await fake.wait_for_message(
            lambda m: m.id == done.response_message_id and m.attachments, timeout=30
        )
        late = await fake.invoke("imagine", user=erin.user, options={"prompt": "dragon four"})
        assert "cooldown" in (await private_answer(late)).content
        counted = await stack.rows(
            "SELECT user_id, SUM(attempts) FROM incidents WHERE user_id IN (?, ?) GROUP BY user_id",
            dave.user.id,
            erin.user.id,
        )
        assert counted == [(dave.user.id, 1)]  # "dragon three" and "dragon four" never looked at
        assert stack.emulator.stats()["actions"]["CreateAigcImageTask"]["accepted"] == 1
