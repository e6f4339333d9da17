"""Localised command names, descriptions and choices (Discord shows them per user)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import discord
from discord import app_commands

_FILE = Path(__file__).resolve().parent.parent / "locales" / "commands.zh-CN.json"
TRANSLATED = {discord.Locale.chinese: _FILE}


@cache
def command_strings(path: Path) -> dict[str, str]:
    return json.loads(path.read_text(encoding="utf-8"))


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
