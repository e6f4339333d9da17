"""Every user-facing string, in English and Simplified Chinese.

Strings live in `bot/locales/<locale>.json` under dotted keys with `{name}` placeholders.
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


@cache
def catalogue(locale: str) -> dict[str, str]:
    return json.loads((_DIR / f"{locale}.json").read_text(encoding="utf-8"))


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
