"""Sixty commands across six servers at once: all delivered, within every quota."""

from __future__ import annotations

import asyncio

from mps_emulator import EmulatorConfig
from tests.fakes.discord.models import FakeChannel, FakeGuild, FakeMember, FakeUser

from .bot_stack import bot_stack


def guild(n: int) -> FakeGuild:
    users = [FakeUser(f"user{n}-{i}", locale="zh-CN" if i % 2 else "en-US") for i in range(5)]
    g = FakeGuild(name=f"guild{n}", owner_id=users[0].id, channels=[FakeChannel("art")])
    g.members = [FakeMember(u) for u in users]
    return g


async def test_sixty_commands_across_six_guilds(tmp_path) -> None:
    guilds = [guild(n) for n in range(6)]
    config = EmulatorConfig(image_wait=(0.1, 0.3), image_run=(0.3, 0.6), seed=11)
    async with bot_stack(tmp_path, emulator_config=config, guilds=guilds) as stack:
        fake, emu = stack.fake, stack.emulator
        commands = [
            fake.slash_command(
                g.id,
                "art",
                g.members[i % 5].user.id,
                "imagine",
                options={"prompt": f"scene {g.name} {i}"},
            )
            for g in guilds
            for i in range(10)
        ]
        interactions = await asyncio.gather(*commands)
        for interaction in interactions:
            await interaction.wait_for_response()
            assert interaction.callback_type == 5 and interaction.response_delay < 3
        for interaction in interactions:
            await fake.wait_for_message(
                lambda m, i=interaction: m.id == i.response_message_id and m.attachments, timeout=90
            )
        stats = emu.stats()
        assert stats["tasks_created"] == 60
        for action, counters in stats["actions"].items():
            assert counters["rate_limited"] == 0, action
            assert counters["peak_1s"] <= 20, action
