"""Error-code classification and loading the environment."""

from __future__ import annotations

import json

import pytest

from bot.config.environment import ConfigError, Secret, load_environment
from bot.mps import errors


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("AuthFailure.SignatureFailure", errors.CredentialsError),
        ("AuthFailure.SecretIdNotFound", errors.CredentialsError),
        ("AuthFailure.InvalidAuthorization", errors.CredentialsError),
        ("AuthFailure.SignatureExpire", errors.ClockSkewError),
        ("RequestLimitExceeded", errors.RateLimitedError),
        ("RequestLimitExceeded.UinLimitExceeded", errors.RateLimitedError),
        ("LimitExceeded.CreateTask", errors.TooManyTasksError),
        ("InvalidParameter.ViolationContent", errors.ContentViolationError),
        ("InvalidParameter", errors.InvalidRequestError),
        ("InvalidParameterValue", errors.InvalidRequestError),
        ("MissingParameter", errors.InvalidRequestError),
        ("InvalidParameter.ModelNotSupported", errors.InvalidRequestError),
        ("ResourceNotFound.TaskNotFound", errors.NotFoundError),
        ("InvalidParameterValue.TaskId", errors.NotFoundError),
        ("ResourceNotFound.DownloadError", errors.ReferenceDownloadError),
        ("FailedOperation.UserArrears", errors.OperatorError),
        ("InternalError", errors.TransientError),
        ("FailedOperation.Unknown", errors.TransientError),
        ("ServiceUnavailable", errors.TransientError),
    ],
)
def test_error_codes_map_to_what_the_caller_must_do(code, cls) -> None:
    exc = errors.error_from_response(code, "msg", "rid")
    assert type(exc) is cls
    assert exc.code == code and exc.request_id == "rid"


def test_only_ambiguous_failures_may_have_created_a_task() -> None:
    assert errors.TransientError("Timeout").may_have_created
    assert not errors.ConnectionFailedError("ConnectError").may_have_created
    assert not errors.RateLimitedError("RequestLimitExceeded").may_have_created


BASE = {
    "TENCENTCLOUD_SECRET_ID": "AKIDEXAMPLEEXAMPLEEXAMPLEEXAMPLE",
    "TENCENTCLOUD_SECRET_KEY": "EXAMPLEKEYEXAMPLEKEYEXAMPLEKEY12",
    "DISCORD_TOKEN": "discord.token.value",
}


def test_defaults_and_secrets_hidden() -> None:
    s = load_environment(BASE, require_discord=True)
    assert s.region == "ap-guangzhou"
    assert s.mps_endpoint == "https://mps.tencentcloudapi.com"
    assert str(s.database_path) == "data/bot.sqlite3"
    shown = repr(s) + str(s) + repr(s.credentials())
    assert BASE["TENCENTCLOUD_SECRET_KEY"] not in shown
    assert BASE["DISCORD_TOKEN"] not in shown
    assert s.discord_token == Secret("discord.token.value")


@pytest.mark.parametrize(
    ("missing", "require_discord"),
    [
        ("TENCENTCLOUD_SECRET_ID", False),
        ("TENCENTCLOUD_SECRET_KEY", False),
        ("DISCORD_TOKEN", True),
    ],
)
def test_missing_setting_is_named(missing, require_discord) -> None:
    env = {k: v for k, v in BASE.items() if k != missing}
    with pytest.raises(ConfigError, match=missing):
        load_environment(env, require_discord=require_discord)


def test_malformed_endpoint_is_named_without_leaking() -> None:
    env = {**BASE, "MPS_ENDPOINT": "ftp://nope"}
    with pytest.raises(ConfigError, match="MPS_ENDPOINT") as info:
        load_environment(env)
    assert BASE["TENCENTCLOUD_SECRET_KEY"] not in str(info.value)


def test_config_file_overrides_and_validates(tmp_path) -> None:
    path = tmp_path / "config.json"
    path.write_text(
        json.dumps(
            {
                "default_model": "Kling",
                "limits": {"running_per_guild": 4},
                "polling": {"image_expected": [5, 20]},
            }
        )
    )
    s = load_environment({**BASE, "BOT_CONFIG": str(path)})
    assert s.tunables.default_model == "Kling"
    assert s.tunables.limits.running_per_guild == 4
    assert s.tunables.limits.running_per_user == 1
    assert s.tunables.polling.image_expected == (5, 20)

    path.write_text(json.dumps({"limits": {"running_per_gild": 4}}))
    with pytest.raises(ConfigError, match=r"BOT_CONFIG.*running_per_gild"):
        load_environment({**BASE, "BOT_CONFIG": str(path)})
    path.write_text(json.dumps({"default_model": "Nope"}))
    with pytest.raises(ConfigError, match="default_model"):
        load_environment({**BASE, "BOT_CONFIG": str(path)})


def test_shipped_config_files_load(tmp_path) -> None:
    from pathlib import Path

    from bot.config.checks import load_tunables
    from bot.config.tunables import Tunables

    root = Path(__file__).resolve().parent.parent
    assert load_tunables(root / "config.example.json") == Tunables()
    assert load_tunables(root / "config.emulator.json").polling.target_interval == 1.0


def test_database_url_names_sqlite_or_postgresql_and_hides_the_password() -> None:
    assert load_environment(BASE).database.shown == "data/bot.sqlite3"  # DATABASE_PATH's
    s = load_environment({**BASE, "DATABASE_URL": "sqlite:////var/lib/bot/bot.db"})
    assert s.database.is_sqlite and str(s.database_path) == "/var/lib/bot/bot.db"
    s = load_environment({**BASE, "DATABASE_URL": "sqlite:///data/other.db"})
    assert str(s.database.path) == "data/other.db"
    url = "postgresql://bot:pa55word@db.internal:5433/imagine?sslmode=require"
    s = load_environment({**BASE, "DATABASE_URL": url})
    assert (s.database.dialect, s.database.dsn) == ("postgresql", url)
    assert s.database.shown == "postgresql://bot@db.internal:5433/imagine"
    assert "pa55word" not in repr(s) + repr(s.database) + s.database.shown
    assert "pa55word" in s.secret_values()  # kept out of every log line
    for bad in ("mysql://x/y", "sqlite:/x", "postgresql:///nohost", "postgresql://h:port/x"):
        with pytest.raises(ConfigError) as caught:
            load_environment({**BASE, "DATABASE_URL": bad})
        assert "DATABASE_URL" in str(caught.value)


def test_shards_default_to_all_and_are_checked() -> None:
    s = load_environment(BASE)
    assert (s.shard_count, s.shard_ids) == (None, None)  # what Discord recommends, all
    s = load_environment({**BASE, "SHARD_COUNT": "4"})
    assert (s.shard_count, s.shard_ids) == (4, None)
    s = load_environment({**BASE, "SHARD_COUNT": "8", "SHARD_IDS": "5, 0-2"})
    assert (s.shard_count, s.shard_ids) == (8, (0, 1, 2, 5))
    refused = {
        ("", "0"): "SHARD_IDS needs SHARD_COUNT",
        ("0", ""): "SHARD_COUNT must be a whole number of at least 1",
        ("two", ""): "SHARD_COUNT must be a whole number of at least 1",
        ("2", "2"): "SHARD_IDS must name shards from 0 to 1",
        ("4", "3-1"): "SHARD_IDS must name shards from 0 to 3",
        ("4", "a"): "SHARD_IDS must list shard numbers",
    }
    for (count, ids), message in refused.items():
        with pytest.raises(ConfigError) as caught:
            load_environment({**BASE, "SHARD_COUNT": count, "SHARD_IDS": ids})
        assert message in str(caught.value)
