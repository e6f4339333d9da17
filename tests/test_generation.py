"""Validation before any money is spent, and its messages in both languages."""

from __future__ import annotations

import json
import re

import pytest

from bot.asks.images import ImageOptions, validate_image
from bot.config.tunables import Tunables
from bot.refusal import Refusal
from bot.text.i18n import catalogue, resolve, t

TUN = Tunables()


def rejects(**kwargs) -> Refusal:
    with pytest.raises(Refusal) as info:
        validate_image(ImageOptions(**kwargs), TUN)
    return info.value


def test_valid_hunyuan_request_maps_size_to_additional_parameters() -> None:
    valid = validate_image(ImageOptions(prompt=" 一只橘猫 ", size="768 x 1024"), TUN)
    api = valid.request.to_api()
    assert api["ModelName"] == "Hunyuan" and api["ModelVersion"] == "3.0"
    assert api["Prompt"] == "一只橘猫"
    assert json.loads(api["AdditionalParameters"]) == {"size": "768x1024"}


def test_aspect_for_pixel_sized_model_picks_matching_preset() -> None:
    valid = validate_image(ImageOptions(prompt="x", aspect="16:9"), TUN)
    assert json.loads(valid.request.to_api()["AdditionalParameters"]) == {"size": "1280x720"}


def test_kling_uses_aspect_ratio_and_reference_urls() -> None:
    valid = validate_image(
        ImageOptions(
            prompt="x", model="kling", aspect="21:9", count=2, references=("http://a/1.png",)
        ),
        TUN,
    )
    api = valid.request.to_api()
    assert api["ExtraParameters"] == {"AspectRatio": "21:9"}
    assert api["ImageInfos"] == [{"ImageUrl": "http://a/1.png"}]
    assert api["OutputImageCount"] == 2


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"prompt": "  "}, "error.prompt_missing"),
        ({"prompt": "x" * 1001}, "error.prompt_too_long"),
        ({"prompt": "x", "model": "Dall-E"}, "error.model_unknown"),
        ({"prompt": "x", "version": "9"}, "error.version_unknown"),
        ({"prompt": "x", "size": "2048x2048"}, "error.size_area_max"),
        ({"prompt": "x", "size": "100x1000"}, "error.size_sides"),
        ({"prompt": "x", "size": "big"}, "error.size_format"),
        ({"prompt": "x", "model": "Kling", "size": "1024x1024"}, "error.size_unsupported"),
        ({"prompt": "x", "model": "Kling", "aspect": "5:1"}, "error.aspect_unsupported"),
        ({"prompt": "x", "model": "Vidu", "negative_prompt": "y"}, "error.negative_unsupported"),
        ({"prompt": "x", "references": ("a", "b", "c", "d")}, "error.references_too_many"),
        ({"prompt": "x", "count": 2}, "error.count_range"),
        ({"prompt": "x", "size": "1024x1024", "aspect": "1:1"}, "error.size_and_aspect"),
    ],
)
def test_rejections_name_the_problem_in_both_languages(kwargs, key) -> None:
    exc = rejects(**kwargs)
    assert exc.key == key
    english, chinese = t("en-US", exc.key, **exc.params), t("zh-CN", exc.key, **exc.params)
    assert english != chinese
    assert "{" not in english and "{" not in chinese


def test_locales_have_the_same_keys_and_placeholders() -> None:
    en, zh = catalogue("en-US"), catalogue("zh-CN")
    assert en.keys() == zh.keys()
    for key in en:
        assert set(re.findall(r"{(\w+)}", en[key])) == set(re.findall(r"{(\w+)}", zh[key])), key


def test_locale_resolution() -> None:
    assert resolve("zh-CN") == "zh-CN"
    assert resolve("zh-TW") == "zh-CN"
    assert resolve("fr", "zh-CN") == "zh-CN"
    assert resolve(None, "de") == "en-US"
    assert resolve("en-GB") == "en-US"
