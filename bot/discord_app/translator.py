"""Localised command names, descriptions and choices (Discord shows them per user)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import discord
from discord import app_commands

from ..text.i18n import merged_json

_DIR = Path(__file__).resolve().parent.parent / "text" / "locales" / "commands"
TRANSLATED = {discord.Locale.chinese: _DIR / "zh-CN"}


@cache
def command_strings(folder: Path) -> dict[str, str]:
    return merged_json(folder)


class CommandTranslator(app_commands.Translator):
    """English is written in the code; other languages are looked up by that English text."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContext,
    ) -> str | None:
        path = TRANSLATED.get(locale)
        if path is None:
            return None
        return command_strings(path).get(string.message)
