"""Prompts as they will be sent: invisible characters stripped, and a prompt typed but all
invisible refused (its key says which prompt)."""

from __future__ import annotations

import re
import unicodedata

from ..refusal import Refusal

# Invisible characters are stripped from prompts rather than refused: they carry nothing the
# model can use, users cannot see them to remove them (they come with copied text), and
# bidirectional overrides would make the prompt shown in /history read differently from
# what was sent. Stripped: control characters (Cc; line breaks and tabs become spaces),
# format characters (Cf: zero-width spaces, BOM, bidi overrides and isolates, word joiner,
# soft hyphen) and lone surrogates (Cs).
_LINE_BREAKS = re.compile(r"[\t\n\r\v\f\x85\u2028\u2029]+")
# Except these two format characters: they join emoji sequences and are part of spelling
# in Persian and Indic scripts.
_JOINERS = frozenset("\u200c\u200d")
_STRIPPED = frozenset(("Cc", "Cf", "Cs"))
# Letters that render as blank space; kept (they belong to Hangul) but not visible.
_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800") | _JOINERS


def clean_text(text: str | None) -> str:
    """`text` without invisible characters (see above) and surrounding spaces."""
    spaced = _LINE_BREAKS.sub(" ", text or "")
    return "".join(
        c for c in spaced if c in _JOINERS or unicodedata.category(c) not in _STRIPPED
    ).strip()


def _visible(text: str) -> bool:
    return any(not c.isspace() and c not in _BLANK for c in text)


def clean_prompt(text: str | None, *, negative: bool = False) -> str | None:
    """The prompt (or the negative prompt) as it will be sent, None if not given; refused
    if typed but all invisible."""
    cleaned = clean_text(text)
    if (text or "").strip() and not _visible(cleaned):
        raise Refusal("error.negative_invisible" if negative else "error.prompt_invisible")
    return cleaned or None
