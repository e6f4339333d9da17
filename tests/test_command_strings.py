"""Every command, option and choice string has its Simplified Chinese translation."""

from __future__ import annotations

import importlib
import inspect

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.client import extensions
from bot.discord_app.translator import TRANSLATED, command_strings


def strings_of(command: app_commands.Command | app_commands.Group) -> list[str]:
    out = [command.name, command.description]
    if isinstance(command, app_commands.Group):
        for child in command.commands:
            out += strings_of(child)
        return out
    for parameter in command.parameters:
        out += [parameter.name, parameter.description]
        out += [choice.name for choice in parameter.choices]
    return out


def every_string() -> tuple[set[str], set[str]]:
    """(top-level command names, every string to translate) over all the cogs."""
    names: set[str] = set()
    strings: set[str] = set()
    for name in extensions():
        module = importlib.import_module(name)
        for _, cog in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cog, commands.Cog) or cog.__module__ != name:
                continue
            if issubclass(cog, commands.GroupCog):
                names.add(str(cog.__cog_group_name__))
                strings |= {str(cog.__cog_group_name__), str(cog.__cog_group_description__)}
            for command in cog.__cog_app_commands__:
                names.add(command.name)
                strings |= set(strings_of(command))
    return names, strings


async def test_every_command_string_is_translated() -> None:
    table = command_strings(TRANSLATED[discord.Locale.chinese])
    names, strings = every_string()
    assert {"imagine", "history", "queue"} <= names
    assert sorted(s for s in strings if s not in table) == []
