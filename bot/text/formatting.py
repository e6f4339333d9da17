"""Small text helpers shared by the CLI, the services and the Discord front end."""

from __future__ import annotations

import re


def elapsed(seconds: float) -> str:
    """`m:ss`, as people read a stopwatch."""
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


def bar(fraction: float, width: int = 12) -> str:
    """An estimated progress bar with its percentage."""
    fraction = max(0.0, min(1.0, fraction))
    filled = round(fraction * width)
    return "▰" * filled + "▱" * (width - filled) + f" {int(fraction * 100)}%"


def shorten(text: str | None, limit: int) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


_MARKDOWN = re.compile(r"([\\*_~`|\[\]()<>])")
_LINE_START = re.compile(r"^(\s*)([#>\-+]|\d+\.)", re.MULTILINE)
_MENTION = re.compile(r"@(everyone|here)|<(@[!&]?|#)(\d+)>")
_ZWSP = "\u200b"


def plain(text: str | None, limit: int | None = None) -> str:
    """User text that renders as itself in Discord: no markdown, no masked link, no mention.

    Markdown characters are backslash-escaped, `@everyone`/`@here` and `<@id>`-style
    mentions are broken with a zero-width space. With `limit`, the text is shortened
    first and the escaped result never exceeds `limit` characters nor ends in a lone `\\`."""
    text = (text or "").strip()
    if limit is not None:
        text = shorten(text, limit)
    text = _MENTION.sub(_break_mention, text)
    out = _MARKDOWN.sub(r"\\\1", text)
    out = _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), out)
    if limit is not None and len(out) > limit:
        out = out[: limit - 1]
        if out.endswith("\\") and not out.endswith("\\\\"):
            out = out[:-1]
        out += "…"
    return out


def _break_mention(match: re.Match[str]) -> str:
    if match.group(1):
        return f"@{_ZWSP}{match.group(1)}"
    return f"<{match.group(2)}{_ZWSP}{match.group(3)}>"


# Discord's markdown characters, and the links left alone, as discord.py escapes them
# (`discord.utils.escape_markdown`): the services escape user text in refusals without
# importing Discord.
_URL = r"(?P<url><[^: >]+:\/[^ >]+>|(?:https?|steam):\/\/[^\s<]+[^<.,:;\"\'\]\s])"
_MARKDOWN_STOCK = r"(?P<markdown>[_\\~|\*`]|^>(?:>>)?\s|\[.+\]\(.+\)|^#{1,3}|^\s*-)"
_ESCAPABLE = re.compile(f"(?:{_URL}|{_MARKDOWN_STOCK})", re.MULTILINE)


def escape_markdown(text: str) -> str:
    """`text` with Discord's markdown characters backslash-escaped, links left whole."""
    return _ESCAPABLE.sub(lambda m: m.group("url") or "\\" + m.group("markdown"), text)
