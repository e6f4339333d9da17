"""Small text helpers shared by the CLI and the Discord front end."""

from __future__ import annotations


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
