"""Styles, for every front end: the built-in ones and each server's own, found by name,
offered as choices, and changed by those who may manage the server."""

from __future__ import annotations

import asyncio

from ..asks.styles import (
    BUILTIN_LABELS,
    BUILTIN_STYLES,
    Style,
    builtin_style,
    check_style,
    name_key,
)
from ..refusal import Refusal
from ..storage.styles import StyleRow, StyleStore
from ..text.formatting import escape_markdown
from ..text.i18n import LOCALES, t
from .members import Member

# A server's styles are listed in one message and offered by autocomplete: a bound keeps
# both readable.
MAX_STYLES = 50


def style_label(style: Style, locale: str) -> str:
    """A style's name as `locale` reads it (a server style's is its own)."""
    return t(locale, BUILTIN_LABELS[style.name]) if style.builtin else style.name


def _labels() -> dict[str, list[str]]:
    """Every built-in style's name in every language, so a name typed in any is found."""
    return {
        s.name: [t(locale, BUILTIN_LABELS[s.name]) for locale in LOCALES] for s in BUILTIN_STYLES
    }


class StyleService:
    def __init__(self, store: StyleStore) -> None:
        self.store = store  # the one writer of a server's styles
        # One process uses the database: adding is counted and written under this lock,
        # so two admins adding at once cannot pass the bound together.
        self._adding = asyncio.Lock()

    async def find(self, guild_id: int, name: str | None) -> Style | None:
        """The style called `name` here (a built-in one, or the server's), None if none."""
        if not name or not name.strip():
            return None
        found = builtin_style(name, _labels())
        if found is not None:
            return found
        row = await self.store.get(guild_id, name_key(name))
        return None if row is None else Style(row.name, row.prompt, row.negative_prompt)

    async def resolve(self, guild_id: int, name: str | None) -> Style | None:
        """The style named in an ask (None: no style); a Refusal naming the known ones when
        the server has no such style."""
        if name is None:
            return None
        found = await self.find(guild_id, name)
        if found is None:
            known = [s.name for s in await self.every(guild_id)]
            raise Refusal(
                "styles.error.unknown", style=escape_markdown(name), known=", ".join(known)
            )
        return found

    async def every(self, guild_id: int) -> list[Style]:
        """The built-in styles, then the server's."""
        rows = await self.store.all(guild_id)
        return [*BUILTIN_STYLES, *(Style(r.name, r.prompt, r.negative_prompt) for r in rows)]

    async def choices(self, guild_id: int, typed: str, locale: str) -> list[tuple[str, str]]:
        """(label, value) of the styles whose name, in `locale` or as typed, matches what
        was typed so far; value is the style's name."""
        wanted = typed.strip().casefold()
        out = []
        for style in await self.every(guild_id):
            label = style_label(style, locale)
            if wanted in label.casefold() or wanted in style.name.casefold():
                shown = label if label == style.name else f"{label} ({style.name})"
                out.append((shown, style.name))
        return out

    async def own_choices(self, guild_id: int, typed: str) -> list[str]:
        """The names of the server's own styles that match what was typed so far."""
        wanted = typed.strip().casefold()
        return [r.name for r in await self.store.all(guild_id) if wanted in r.name.casefold()]

    # -- changes (Manage Server) -----------------------------------------------------------

    def _require(self, member: Member) -> None:
        if not member.manage_guild:
            raise Refusal("admin.refused.manage_guild")

    async def listing(self, member: Member) -> list[Style]:
        """Every style a member may use here (anyone may read them)."""
        return await self.every(member.guild_id)

    async def add(
        self, member: Member, name: str, prompt: str, negative_prompt: str | None
    ) -> Style:
        self._require(member)
        style = check_style(name, prompt, negative_prompt)
        if builtin_style(style.name, _labels()) is not None:
            raise Refusal("styles.error.builtin_name", style=escape_markdown(style.name))
        row = StyleRow(style.name, style.prompt, style.negative_prompt)
        async with self._adding:
            if await self.store.count(member.guild_id) >= MAX_STYLES:
                raise Refusal("styles.error.too_many", max=MAX_STYLES)
            added = await self.store.add(member.guild_id, name_key(style.name), row, member.user_id)
        if not added:
            raise Refusal("styles.error.exists", style=escape_markdown(style.name))
        return style

    async def remove(self, member: Member, name: str) -> None:
        self._require(member)
        if builtin_style(name, _labels()) is not None:
            raise Refusal("styles.error.builtin_remove", style=escape_markdown(name))
        if not await self.store.remove(member.guild_id, name_key(name)):
            raise Refusal("styles.error.unknown_here", style=escape_markdown(name))
