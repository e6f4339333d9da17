"""The hardening strings exist in both languages with the same placeholders."""

from __future__ import annotations

import json
import string
from pathlib import Path

from bot.i18n import catalogue

LOCALES = Path(__file__).resolve().parent.parent / "bot" / "locales"


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_same_keys_and_placeholders_in_both_languages():
    english = json.loads((LOCALES / "en-US" / "hardening.json").read_text(encoding="utf-8"))
    chinese = json.loads((LOCALES / "zh-CN" / "hardening.json").read_text(encoding="utf-8"))
    assert english.keys() == chinese.keys()
    for key, template in english.items():
        assert _placeholders(template) == _placeholders(chinese[key]), key
        assert chinese[key] != template, key


def test_the_merged_catalogues_load():
    # A key defined twice across a locale's files makes this raise.
    assert "error.prompt_invisible" in catalogue("en-US")
    assert "error.prompt_invisible" in catalogue("zh-CN")
