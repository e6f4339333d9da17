"""Every command, option and choice string has its Simplified Chinese translation."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.discord_app.translator import TRANSLATED, command_strings


def strings_of(command: app_commands.Command) -> list[str]:
    out = [command.name, command.description]
    for parameter in command.parameters:
        out += [parameter.name, parameter.description]
        out += [choice.name for choice in parameter.choices]
    return out


async def test_every_command_string_is_translated() -> None:
    from cogs.history import History
    from cogs.imagine import Imagine
    from cogs.queue import Queue

    table = command_strings(TRANSLATED[discord.Locale.chinese])
    commands = [Imagine.imagine, History.history, Queue.queue]
    missing = [s for c in commands for s in strings_of(c) if s not in table]
    assert not missing
