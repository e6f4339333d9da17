"""How a member's preferences and a server's styles look in Discord."""

from __future__ import annotations

import discord

from ..asks.styles import Style
from ..refusal import Refusal
from ..services.preferences import Preferences
from ..text.formatting import plain, shorten
from ..text.i18n import t
from .render import COLOUR_NEUTRAL, style_shown

# Each preference's name, in the order `/preferences show` lists them.
PREFERENCE_NAMES = {
    "model": "preferences.name.model",
    "aspect": "preferences.name.aspect",
    "size": "preferences.name.size",
    "negative_prompt": "preferences.name.negative_prompt",
    "style": "preferences.name.style",
    "enhance_prompt": "preferences.name.enhance_prompt",
    "video_model": "preferences.name.video_model",
    "video_duration": "preferences.name.video_duration",
}


def _value(name: str, value: object, locale: str) -> str:
    if name == "style":
        return style_shown(str(value), locale) or ""
    if name == "enhance_prompt":
        return t(locale, "common.yes") if value else t(locale, "admin.value.off")
    if name == "video_duration":
        return t(locale, "video.seconds", n=value)
    if name == "model" or name == "video_model":
        return str(value).replace(":", " ")
    return plain(str(value), 300)


def preferences_embed(
    locale: str, prefs: Preferences, problems: dict[str, Refusal]
) -> discord.Embed:
    """Each preference set, and a line under those the server no longer allows."""
    embed = discord.Embed(title=t(locale, "preferences.title"), colour=COLOUR_NEUTRAL)
    chosen = prefs.chosen()
    lines = []
    for name, key in PREFERENCE_NAMES.items():
        if name not in chosen:
            continue
        lines.append(
            t(
                locale,
                "preferences.line",
                name=t(locale, key),
                value=_value(name, chosen[name], locale),
            )
        )
        problem = problems.get(name)
        if problem is not None:
            lines.append(f"-# {t(locale, problem.key, **problem.params)}")
    embed.description = "\n".join(lines) or t(locale, "preferences.none")
    embed.set_footer(text=t(locale, "preferences.footer"))
    return embed


def styles_embed(locale: str, styles: list[Style]) -> discord.Embed:
    """The styles a member may use here: the built-in ones, then the server's."""
    embed = discord.Embed(title=t(locale, "styles.title"), colour=COLOUR_NEUTRAL)
    for title, chosen in (
        ("styles.builtin_title", [s for s in styles if s.builtin]),
        ("styles.server_title", [s for s in styles if not s.builtin]),
    ):
        lines = [
            t(locale, "styles.line", name=_style_name(s, locale), prompt=plain(s.prompt, 120))
            for s in chosen
        ]
        value = shorten("\n".join(lines), 1024) or t(locale, "styles.none_here")
        embed.add_field(name=t(locale, title), value=value, inline=False)
    return embed


def _style_name(style: Style, locale: str) -> str:
    """A built-in style's name in the reader's language, with the name to type."""
    shown = style_shown(style.name, locale) or style.name
    return f"{shown} ({style.name})" if style.builtin and shown != style.name else shown
