"""End to end: a server's blocked words, found however they are spelt, and what repeated
attempts cost the member who makes them."""

from __future__ import annotations

from tests.fakes.discord import default_guild
from tests.moderation_helpers import private_answer, stored_incidents

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

        incidents = await stored_incidents(stack.db_path, guild.id, count=len(DISGUISED) + 1)
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
