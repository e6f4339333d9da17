"""Every user-facing string, in English and Simplified Chinese.

Strings live in `bot/text/locales/<locale>/*.json` (one file per feature, merged; a key may be
defined once only) under dotted keys with `{name}` placeholders.
A locale is resolved exactly, then by language (any `zh-*` reads Simplified Chinese), then
falls back to English; a key missing from a locale falls back to English too.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

DEFAULT_LOCALE = "en-US"
LOCALES = ("en-US", "zh-CN")
_DIR = Path(__file__).with_name("locales")


def merged_json(folder: Path) -> dict[str, str]:
    """Every `*.json` object in `folder`, merged; a key defined twice must agree."""
    merged: dict[str, str] = {}
    for path in sorted(folder.glob("*.json")):
        strings = json.loads(path.read_text(encoding="utf-8"))
        # The same key in two files must say the same thing (command names such as
        # "duration" are shared by several commands); different texts are a mistake.
        clash = sorted(k for k in merged.keys() & strings.keys() if merged[k] != strings[k])
        if clash:
            raise ValueError(f"{path}: keys defined elsewhere with other text: {clash}")
        merged.update(strings)
    return merged


@cache
def catalogue(locale: str) -> dict[str, str]:
    return merged_json(_DIR / locale)


def resolve(*candidates: str | None) -> str:
    """The first supported locale among the candidates (user's, then server's), else English."""
    for candidate in candidates:
        if not candidate:
            continue
        value = str(candidate).replace("_", "-")
        if value in LOCALES:
            return value
        language = value.split("-")[0].lower()
        for supported in LOCALES:
            if supported.split("-")[0] == language:
                return supported
    return DEFAULT_LOCALE


def t(locale: str | None, key: str, **params: object) -> str:
    """Translate `key` for `locale`, filling `{placeholders}` from `params`."""
    strings = catalogue(resolve(locale))
    template = strings.get(key) or catalogue(DEFAULT_LOCALE).get(key)
    if template is None:
        raise KeyError(f"no string for {key!r}")
    return template.format(**params) if params else template
