"""Finding a server's blocked words in a prompt, however they are spelt.

Both the words and the prompt are compared in their skeletons (`skeletons.skeleton`: NFKC,
case folded, invisible characters and accents removed, look-alike letters mapped to one
prototype), with runs of spaces made one space. Then:

- a word written in a script without spaces between words (Chinese, Japanese, Thai, Lao,
  Khmer, Myanmar) matches anywhere inside the text: `暴力` is found in `这是暴力内容`;
- any other word matches as a whole word: not preceded or followed by a letter, mark or
  digit of a spaced script. `ass` is not found in `class` or `passion`, which would make
  the list useless; `forbidden` is found in `forbidden!`, `"forbidden"`, `forbidden_art`
  and `禁止forbidden图片`;
- a `*` at the start or end of a word lets it match inside words on that side, as
  Discord's own AutoMod does: `forbid*` finds `forbidden` and `forbidding`, `*bidden`
  finds `forbidden`, `*bid*` finds both.

Not matched: words broken by spaces or punctuation (`f o r b i d d e n`, `for-bidden`),
letters repeated (`forbiddden`), and substitutions Unicode does not list as confusable
(`f@rbidden`, `4` for `a`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from .skeletons import skeleton

# Scripts written without spaces between words: a word of these matches inside text.
_UNSPACED = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x19E0, 0x19FF),  # Khmer symbols
    (0x2E80, 0x2FDF),  # CJK and Kangxi radicals
    (0x3005, 0x3007),  # ideographic iteration and number marks
    (0x3021, 0x303F),  # Hangzhou numerals, ideographic marks
    (0x3040, 0x30FF),  # Hiragana, Katakana (and their voicing marks)
    (0x3100, 0x31FF),  # Bopomofo, Katakana extensions
    (0x3400, 0x4DBF),  # CJK Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0x20000, 0x3FFFF),  # CJK Extensions B and later
)
_SPACES = re.compile(r"\s+")
WILDCARD = "*"


def unspaced(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _UNSPACED)


def _word_char(char: str) -> bool:
    """A letter, mark or digit that continues a word of a spaced script."""
    return unicodedata.category(char)[0] in "LMN" and not unspaced(char)


def comparable(text: str) -> str:
    """The form a text is searched in."""
    return _SPACES.sub(" ", skeleton(text)).strip()


@dataclass(frozen=True)
class Pattern:
    word: str  # as the server typed it
    form: str  # its comparable form, without wildcards
    anywhere: bool  # an unspaced script: found inside text
    open_start: bool  # `*word`: may start inside a word
    open_end: bool  # `word*`: may end inside a word

    def found_in(self, text: str) -> bool:
        start = text.find(self.form)
        while start >= 0:
            end = start + len(self.form)
            if self.anywhere or (
                (self.open_start or start == 0 or not _word_char(text[start - 1]))
                and (self.open_end or end == len(text) or not _word_char(text[end]))
            ):
                return True
            start = text.find(self.form, start + 1)
        return False


def pattern(word: str) -> Pattern | None:
    """A blocked word as typed; None when nothing is left of it to look for."""
    typed = word.strip()
    open_start, open_end = typed.startswith(WILDCARD), typed.endswith(WILDCARD)
    form = comparable(typed.strip(WILDCARD))
    if not form:
        return None
    return Pattern(typed, form, any(unspaced(c) for c in form), open_start, open_end)


@lru_cache(maxsize=256)
def patterns(words: tuple[str, ...]) -> tuple[Pattern, ...]:
    """A server's list, compiled once per list (servers share the cache)."""
    return tuple(p for w in words if (p := pattern(w)) is not None)


def blocked_word_in(words: tuple[str, ...], *texts: str | None) -> str | None:
    """The first of `words` found in any of the texts, as the server typed it."""
    if not words:
        return None
    found = [comparable(t) for t in texts if t]
    for candidate in patterns(words):
        if any(candidate.found_in(text) for text in found):
            return candidate.word
    return None
