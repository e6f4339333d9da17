"""Every command, option and choice string has its Simplified Chinese translation."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.config.tunables import Tunables
from bot.discord_app.client import ImagineBot
from bot.discord_app.translator import TRANSLATED, command_strings


def strings_of(
    command: app_commands.Command | app_commands.Group | app_commands.ContextMenu,
) -> list[str]:
    if isinstance(command, app_commands.ContextMenu):
        return [command.name]  # a context menu has a name only
    out = [command.name, command.description]
    if isinstance(command, app_commands.Group):
        for child in command.commands:
            out += strings_of(child)
        return out
    for parameter in command.parameters:
        out += [parameter.name, parameter.description]
        out += [choice.name for choice in parameter.choices]
    return out


async def every_string() -> tuple[set[str], set[str]]:
    """(top-level command names, every string to translate) of the commands the bot
    registers, with every cog loaded as `python -m bot sync` loads them."""
    # No runtime: only the command tree, as for `sync` (the image tools on, so the Describe
    # menu is registered too).
    bot = ImagineBot(Tunables(), tools=True)
    await bot.load_extensions()
    strings: set[str] = set()
    commands = bot.tree.get_commands()
    for command in commands:
        strings |= set(strings_of(command))
    return {c.name for c in commands}, strings


async def test_every_command_string_is_translated() -> None:
    table = command_strings(TRANSLATED[discord.Locale.chinese])
    names, strings = await every_string()
    expected = {"imagine", "animate", "history", "queue", "quota", "usage", "settings"}
    menus = {"Use as reference", "Animate", "Describe"}
    assert expected | {"moderation", "preferences"} | menus <= names
    assert sorted(s for s in strings if s not in table) == []
