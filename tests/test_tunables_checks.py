"""BOT_CONFIG values are checked for type and range at start, and refused by dotted name."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest

from bot.config.checks import load_tunables
from bot.config.environment import ConfigError, load_environment
from bot.config.tunables import Tunables

ENV = {"TENCENTCLOUD_SECRET_ID": "AKIDtest", "TENCENTCLOUD_SECRET_KEY": "key"}


def _refusal(tmp_path: Path, data: dict) -> str:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_environment({**ENV, "BOT_CONFIG": str(path)}, dotenv=False)
    return str(caught.value)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"limits": {"queued_per_user": "5"}}, "limits.queued_per_user must be an integer ≥ 1"),
        ({"limits": {"queued_per_user": True}}, "limits.queued_per_user must be an integer"),
        ({"limits": {"running_total": 0}}, "limits.running_total must be an integer ≥ 1"),
        ({"discord": {"history_page_size": 0}}, "discord.history_page_size must be an integer"),
        ({"downloads": {"attempts": 0}}, "downloads.attempts must be an integer ≥ 1"),
        ({"downloads": {"timeout_seconds": -1}}, "downloads.timeout_seconds must be a number > 0"),
        ({"downloads": {"max_pixels": 0}}, "downloads.max_pixels must be an integer ≥ 1"),
        ({"polling": {"timeout_seconds": -5}}, "polling.timeout_seconds must be a number > 0"),
        ({"polling": {"target_interval": 0}}, "polling.target_interval must be a number > 0"),
        ({"rates": {"create_image": 0.5}}, "rates.create_image must be a number ≥ 1"),
        ({"polling": {"image_expected": [180, 60]}}, "polling.image_expected"),
        ({"polling": {"image_expected": [60]}}, "polling.image_expected must be a pair"),
        ({"create_backoff": [5, 1]}, "create_backoff"),
        ({"max_prompt_chars": 0}, "max_prompt_chars must be an integer ≥ 1"),
        ({"default_model": 3}, "default_model must be a string"),
        ({"limits": {"nope": 1}}, "limits.nope"),
        ({"limits": 5}, "limits must be an object"),
        (
            {"models": {"M": {"versions": {"1": {}}, "default_version": "1", "colour": "red"}}},
            "models.M.colour",
        ),
        (
            {"models": {"M": {"versions": {"1": {"images_per_task": 0}}, "default_version": "1"}}},
            "models.M.versions.1.images_per_task must be an integer ≥ 1",
        ),
        (
            {"models": {"M": {"versions": ["1"], "default_version": "1"}}},
            "models.M.versions must be an object",
        ),
        (
            {
                "models": {
                    "M": {"versions": {"3.0": {"size_rule": "round"}}, "default_version": "3.0"}
                }
            },
            'models.M.versions["3.0"].size_rule must be one of',
        ),
        (
            {"models": {"M": {"versions": {"1": {}}, "default_version": "1", "kind": "sound"}}},
            "models.M.kind must be one of",
        ),
        (
            {"models": {"M": {"versions": {"1": {"max_references": -1}}, "default_version": "1"}}},
            "models.M.versions.1.max_references must be an integer ≥ 0",
        ),
        (
            {"models": {"M": {"versions": {"1": {"aspects": ["5:1"]}}, "default_version": "1"}}},
            "models.M.versions.1.aspects must be a list of",
        ),
        (
            {
                "models": {
                    "M": {
                        "versions": {"1": {"size_rule": "hunyuan", "sizes": ["4096x4096"]}},
                        "default_version": "1",
                    }
                }
            },
            "4096x4096 breaks the hunyuan size rule",
        ),
        ({"models": {"M": {"versions": {"1": {}}}}}, "models.M.default_version"),
        ({"max_count": 0}, "max_count must be an integer between 1 and 10"),
    ],
)
def test_bad_tunables_are_refused_by_dotted_name(tmp_path: Path, data: dict, expected: str):
    message = _refusal(tmp_path, data)
    assert message.startswith("BOT_CONFIG (")
    assert expected in message


def test_the_message_shows_what_was_given(tmp_path: Path):
    message = _refusal(tmp_path, {"limits": {"queued_per_user": "5"}})
    assert "'5'" in message or '"5"' in message


def test_defaults_and_a_full_valid_file_pass(tmp_path: Path):
    path = tmp_path / "config.json"
    path.write_text(
        json.dumps(
            {
                "limits": {"queued_per_user": 3, "running_total": None},
                "rates": {"create_image": 5},
                "polling": {"image_expected": [10, 20], "target_interval": 1},
                "downloads": {"max_pixels": 1000000},
                "models": {"M": {"versions": {"1": {"max_references": 2}}, "default_version": "1"}},
                "default_model": "M",
            }
        ),
        encoding="utf-8",
    )
    tunables = load_tunables(path)
    assert tunables.limits.queued_per_user == 3
    assert tunables.rates.create_image == 5.0
    assert tunables.polling.image_expected == (10, 20)
    assert tunables.downloads.max_pixels == 1_000_000
    assert tunables.models["M"].versions["1"].max_references == 2
    assert load_tunables(None) == Tunables()


def test_every_section_is_a_dataclass_with_checked_fields():
    names = {f.name for f in fields(Tunables)}
    assert {"limits", "rates", "polling", "downloads", "discord"} <= names
