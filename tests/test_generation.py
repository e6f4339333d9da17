"""Validation before any money is spent, and its messages in both languages."""

from __future__ import annotations

import dataclasses
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
    # OutputImageCount is documented as 1: two images are two tasks of one image each.
    assert "OutputImageCount" not in api
    assert (valid.tasks, valid.units_per_task) == (2, 1)


def test_a_model_documented_to_make_several_images_takes_them_in_one_task() -> None:
    kling = TUN.models["Kling"]
    several = dataclasses.replace(kling.versions["2.1"], images_per_task=4)
    tunables = dataclasses.replace(
        TUN,
        models={**TUN.models, "Kling": dataclasses.replace(kling, versions={"2.1": several})},
    )
    valid = validate_image(ImageOptions(prompt="x", model="Kling", count=3), tunables)
    assert valid.request.to_api()["OutputImageCount"] == 3
    assert (valid.tasks, valid.units_per_task) == (1, 3)


def test_the_server_mark_and_the_new_options_reach_the_request() -> None:
    valid = validate_image(
        ImageOptions(
            prompt="x",
            model="wand-vega-image",
            version="1.0-pro",
            resolution="4K",
            output_format="jpeg",
        ),
        TUN,
        mark=True,
    )
    assert valid.request.to_api()["ExtraParameters"] == {
        "Resolution": "4K",
        "LogoAdd": 1,
        "OutputFormat": "jpeg",
    }


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
        ({"prompt": "x", "references": ("a", "b", "c", "d")}, "error.references_too_many"),
        ({"prompt": "x", "count": 5}, "error.count_range"),
        ({"prompt": "x", "resolution": "2K"}, "error.resolution_unsupported"),
        ({"prompt": "x", "model": "wand-vega-image", "resolution": "720P"}, "error.resolution"),
        ({"prompt": "x", "output_format": "gif"}, "error.output_format"),
        ({"prompt": "x", "version": "3.5-preview", "aspect": "1:1"}, "error.shape_unsupported"),
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
