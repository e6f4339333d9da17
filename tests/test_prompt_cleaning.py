"""Invisible characters: stripped from prompts before sending, refused when nothing else is left."""

from __future__ import annotations

import pytest

from bot.asks.images import ImageOptions, validate_image
from bot.asks.prompts import clean_text
from bot.config.tunables import Tunables
from bot.refusal import Refusal
from bot.text.i18n import t

TUNABLES = Tunables()

INVISIBLE = [
    "\u200b\u200b\u200b",  # zero-width spaces
    "\x00\x00",  # NUL bytes
    "\x07\x1b[31m",  # control characters (an ANSI colour code leaves "[31m" visible, so
    # only its escape byte counts here)
    "\u202e\u202d\u2066\u2069",  # bidirectional overrides and isolates
    "\ufeff\u2060",  # BOM, word joiner
    "\u3164\u115f",  # Hangul fillers that render as nothing
]


@pytest.mark.parametrize("prompt", [p for p in INVISIBLE if "[" not in p])
def test_a_prompt_of_invisible_characters_is_refused(prompt: str):
    with pytest.raises(Refusal) as caught:
        validate_image(ImageOptions(prompt=prompt), TUNABLES)
    assert caught.value.key == "error.prompt_invisible"
    assert t("en-US", caught.value.key, **caught.value.params)
    assert t("zh-CN", caught.value.key, **caught.value.params)


def test_an_invisible_negative_prompt_is_refused():
    with pytest.raises(Refusal) as caught:
        validate_image(ImageOptions(prompt="a cat", negative_prompt="\u200b\u202e"), TUNABLES)
    assert caught.value.key == "error.negative_invisible"


def test_invisible_characters_are_stripped_from_what_is_sent():
    valid = validate_image(
        ImageOptions(prompt="a\u200b cat\x00 on\u202e a mat\x07", negative_prompt="do\ufeffgs"),
        TUNABLES,
    )
    assert valid.request.prompt == "a cat on a mat"
    assert valid.request.negative_prompt == "dogs"
    record = valid.record(ImageOptions(prompt="a\u200b cat\x00 on\u202e a mat\x07"))
    assert record["prompt"] == "a cat on a mat"


def test_line_breaks_and_tabs_become_spaces():
    assert clean_text("a cat\non\ta mat\r\n") == "a cat on a mat"


def test_emoji_sequences_and_scripts_that_need_joiners_survive():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    persian = "می\u200cخواهم"
    assert clean_text(f"{family} {persian}") == f"{family} {persian}"


def test_length_is_counted_on_what_is_sent():
    limit = TUNABLES.max_prompt_chars
    padded = "x" * limit + "\u200b" * 50
    valid = validate_image(ImageOptions(prompt=padded), TUNABLES)
    assert len(valid.request.prompt) == limit
    with pytest.raises(Refusal) as caught:
        validate_image(ImageOptions(prompt="x" * (limit + 1)), TUNABLES)
    assert caught.value.params["length"] == limit + 1
