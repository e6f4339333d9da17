"""Blocked words without Discord: the skeleton they are compared in, what matches as a word
and what inside text, and prompts that must not be caught."""

from __future__ import annotations

import pytest

from bot.moderation.skeletons import SOURCE, skeleton, table
from bot.moderation.words import blocked_word_in, pattern

WORDS = ("forbidden", "nsfw", "暴力", "ass", "gore", "red dragon")


@pytest.mark.parametrize(
    "text",
    [
        "for\u200dbidden",
        "for\u200cbidden",
        "for\u2060bidden",  # word joiner
        "ｆｏｒｂｉｄｄｅｎ",
        "𝐟𝐨𝐫𝐛𝐢𝐝𝐝𝐞𝐧",
        "𝔣𝔬𝔯𝔟𝔦𝔡𝔡𝔢𝔫",
        "forbіddеn",  # Cyrillic і, е
        "fοrbiddεn",  # Greek ο; ε is not an e, but
        "FoRbIdDeN",
        "f0rbidden",  # a zero is an O in TR39's eyes
        "fòrbíddèn",
        "f\u0336o\u0336r\u0336b\u0336i\u0336d\u0336d\u0336e\u0336n\u0336",  # struck through
    ],
)
def test_disguises_have_the_plain_words_skeleton(text: str) -> None:
    if "ε" in text:  # Greek epsilon is not confusable with e: the disguise fails
        assert skeleton(text) != skeleton("forbidden")
    else:
        assert skeleton(text) == skeleton("forbidden") == "forbidden"


def test_what_matches_as_a_word_and_what_inside_text() -> None:
    found = blocked_word_in
    assert found(WORDS, "a forbidden castle") == "forbidden"
    assert found(WORDS, "“forbidden”, she said") == "forbidden"
    assert found(WORDS, "forbidden_art") == "forbidden"  # an underscore separates words
    assert found(WORDS, "画一个forbidden的城堡") == "forbidden"  # Chinese around a Latin word
    assert found(WORDS, "ⓝⓢⓕⓦ") == "nsfw"
    assert found(WORDS, "这是暴\u200d力内容") == "暴力"  # inside text, no spaces needed
    assert found(WORDS, "a RED   Dragon") == "red dragon"  # phrases, any run of spaces
    assert found(WORDS, "a red\u3000dragon") == "red dragon"  # an ideographic space
    # Inside other words, spaced-script words are not found…
    for innocent in (
        "a classic brass compass",
        "forbiddenness",
        "gorgeous gorey",
        "redder dragons",
    ):
        assert found(WORDS, innocent) is None, innocent
    # …unless the server asks for it with a wildcard, as Discord's AutoMod does.
    assert found(("forbid*",), "forbidding") == "forbid*"
    assert found(("*bidden",), "unforbidden") == "*bidden"
    assert found(("*orbid*",), "unforbidding") == "*orbid*"
    assert found(("forbid*",), "unforbid") is None
    # Separated letters and unlisted substitutions are not found (documented).
    for missed in ("f o r b i d d e n", "for-bidden", "f@rbidden", "forbiddden"):
        assert found(WORDS, missed) is None, missed
    # Nothing left to look for: ignored.
    assert pattern("*") is None and pattern("\u200d") is None
    assert found(("*", " "), "anything") is None
    # Each text is searched on its own: no word across prompt and negative prompt.
    assert found(WORDS, "a red", "dragon") is None
    assert found(WORDS, "a cat", "NSFW") == "nsfw"


def test_everyday_prompts_are_not_caught() -> None:
    words = (*WORDS, "kill", "blood", "nude", "porn", "血腥", "裸体", "死")
    prompts = [
        "a classic car passing a grassy meadow at sunset",
        "an assassin's creed style poster of a bass player",
        "Hunyuan 3.0 portrait of an old fisherman, 35mm, f/1.8",
        "a gorgeous bloodhound in a Gorey illustration",
        "skillful painter in a nudeflower field",
        "一只戴着草帽的橘猫，坐在窗台上",
        "暴风雨中的灯塔，力量感",
        "カメラを持つ猫、暴れん坊",
        "血液检查报告的插画",  # 血 without 腥
        "Пушкин у моря, акварель",
        "Ἀθῆναι at dawn, oil painting",
        "a 1990s anime frame, VHS grain",
        "the word for forbidding in Latin is vetare",
        "a porno-free family photo",
    ]
    caught = {p: blocked_word_in(words, p) for p in prompts}
    # "porno-free" holds "porn" only inside a word; "死" is a one-character word and is
    # found anywhere, so it is left out of these prompts.
    assert {p: w for p, w in caught.items() if w} == {}


def test_the_table_says_where_it_comes_from_and_maps_look_alikes() -> None:
    assert "13.0.0" in SOURCE
    mapping = table()
    assert mapping["\u0430"] == "a"  # Cyrillic а
    assert mapping["\u0456"] == "i"  # Cyrillic і
    assert mapping["0"] == "o" and mapping["1"] == "l"
    assert "A" not in mapping  # upper case is folded before the table is looked at
