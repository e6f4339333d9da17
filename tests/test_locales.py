"""Every locale file exists in both languages, with the same keys and placeholders."""

from __future__ import annotations

import json
import string
from pathlib import Path

from bot.text.i18n import LOCALES, catalogue

LOCALE_DIR = Path(__file__).resolve().parent.parent / "bot" / "text" / "locales"


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_same_files_keys_and_placeholders_in_both_languages():
    english_files = sorted(p.name for p in (LOCALE_DIR / "en-US").glob("*.json"))
    assert english_files == sorted(p.name for p in (LOCALE_DIR / "zh-CN").glob("*.json"))
    assert "core.json" in english_files
    for name in english_files:
        english = json.loads((LOCALE_DIR / "en-US" / name).read_text(encoding="utf-8"))
        chinese = json.loads((LOCALE_DIR / "zh-CN" / name).read_text(encoding="utf-8"))
        assert english.keys() == chinese.keys(), name
        for key, template in english.items():
            assert _placeholders(template) == _placeholders(chinese[key]), key


def test_the_merged_catalogues_load():
    # A key defined twice across a locale's files makes this raise.
    for locale in LOCALES:
        strings = catalogue(locale)
        assert "error.prompt_invisible" in strings and "upload.unreadable" in strings
        assert "failure.internal" in strings
