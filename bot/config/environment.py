"""The environment: secrets, endpoints and paths read once at start from environment
variables (and `.env`), failing fast and naming the variable.

Secrets are wrapped in `Secret`, whose repr and str never show the value; only the code that
signs requests or logs in to Discord calls `reveal()`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from yarl import URL

from ..mps.signer import Credentials
from ..storage.url import DatabaseUrl, DatabaseUrlError, parse_database_url
from .checks import load_tunables
from .tool_storage import ToolStorage, load_tool_storage
from .tunables import Tunables


class ConfigError(Exception):
    """A variable (or the BOT_CONFIG file) is missing or malformed; the message names the
    variable, never its value."""


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Environment:
    """What the process was started with. Not a server's settings (`ServerSettings`)."""

    secret_id: str | None
    secret_key: Secret | None
    session_token: Secret | None
    region: str
    mps_endpoint: str
    discord_token: Secret | None
    database_path: Path  # SQLite's file; its folder also holds the staged results
    tunables: Tunables = field(default_factory=Tunables)
    # DATABASE_URL (SQLite at `database_path` when unset).
    database_url: DatabaseUrl | None = None
    # Only for running against a local fake Discord; unset in production.
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    log_level: str = "INFO"
    # The image tools' output bucket (MPS_OUTPUT_COS_*); None turns the tools off.
    tool_storage: ToolStorage | None = None
    # Gateway shards: how many the bot has (None: what Discord recommends) and which of
    # them this process runs (None: all of them).
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None

    def secret_values(self) -> list[str]:
        """Every secret's value, for the log filter that keeps them out of the logs."""
        secrets = (self.secret_key, self.session_token, self.discord_token)
        found = [s.reveal() for s in secrets if s is not None]
        if self.database_url is not None and self.database_url.secret:
            found.append(self.database_url.secret)
        return found

    @property
    def database(self) -> DatabaseUrl:
        """Where the database is: DATABASE_URL, or the SQLite file at DATABASE_PATH."""
        return self.database_url or DatabaseUrl.sqlite(self.database_path)

    def credentials(self) -> Credentials:
        if not self.secret_id or self.secret_key is None:
            raise ConfigError("TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY must be set")
        token = self.session_token.reveal() if self.session_token else None
        return Credentials(self.secret_id, self.secret_key.reveal(), token)


def _clean(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _url(env: Mapping[str, str], name: str, default: str | None) -> str | None:
    value = _clean(env, name) or default
    if value is None:
        return None
    url = URL(value)
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigError(f"{name} must be an http(s) URL such as https://example.com")
    return value


def _ws_url(env: Mapping[str, str], name: str) -> str | None:
    value = _clean(env, name)
    if value is None:
        return None
    url = URL(value)
    if url.scheme not in ("ws", "wss") or not url.host:
        raise ConfigError(f"{name} must be a ws(s) URL such as wss://gateway.discord.gg")
    return value


def load_environment(
    env: Mapping[str, str] | None = None,
    *,
    require_mps: bool = True,
    require_discord: bool = False,
    dotenv: bool = True,
) -> Environment:
    """Read the environment; `require_*` say which secrets this command cannot run without."""
    if env is None:
        if dotenv:
            from dotenv import find_dotenv, load_dotenv

            # The `.env` of the directory the bot is started from; the environment wins.
            load_dotenv(find_dotenv(usecwd=True), override=False)
        env = os.environ

    secret_id = _clean(env, "TENCENTCLOUD_SECRET_ID")
    secret_key = _clean(env, "TENCENTCLOUD_SECRET_KEY")
    if require_mps:
        for name, value in (
            ("TENCENTCLOUD_SECRET_ID", secret_id),
            ("TENCENTCLOUD_SECRET_KEY", secret_key),
        ):
            if value is None:
                raise ConfigError(f"{name} is not set (see .env.example)")
    if secret_id is not None and any(c.isspace() for c in secret_id):
        raise ConfigError("TENCENTCLOUD_SECRET_ID must not contain spaces")

    discord_token = _clean(env, "DISCORD_TOKEN")
    if require_discord and discord_token is None:
        raise ConfigError("DISCORD_TOKEN is not set (see .env.example)")

    token = _clean(env, "TENCENTCLOUD_SESSION_TOKEN")
    level = (_clean(env, "LOG_LEVEL") or "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError("LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR")

    config_path = _clean(env, "BOT_CONFIG")
    try:
        tunables = load_tunables(Path(config_path) if config_path else None)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"BOT_CONFIG ({config_path}): {exc}") from None

    database_path = Path(_clean(env, "DATABASE_PATH") or "data/bot.sqlite3")
    database_url = None
    if (url := _clean(env, "DATABASE_URL")) is not None:
        try:
            database_url = parse_database_url(url)
        except DatabaseUrlError as exc:
            raise ConfigError(f"DATABASE_URL: {exc}") from None
        if database_url.path is not None:
            database_path = database_url.path

    try:
        tool_storage = load_tool_storage(env)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None

    shard_count, shard_ids = _shards(env)
    return Environment(
        secret_id=secret_id,
        secret_key=Secret(secret_key) if secret_key else None,
        session_token=Secret(token) if token else None,
        region=_clean(env, "TENCENTCLOUD_REGION") or "ap-guangzhou",
        mps_endpoint=_url(env, "MPS_ENDPOINT", "https://mps.tencentcloudapi.com") or "",
        discord_token=Secret(discord_token) if discord_token else None,
        database_path=database_path,
        database_url=database_url,
        tunables=tunables,
        discord_api_base=_url(env, "DISCORD_API_BASE", None),
        discord_gateway_url=_ws_url(env, "DISCORD_GATEWAY_URL"),
        log_level=level,
        tool_storage=tool_storage,
        shard_count=shard_count,
        shard_ids=shard_ids,
    )


def _shards(env: Mapping[str, str]) -> tuple[int | None, tuple[int, ...] | None]:
    """SHARD_COUNT (a number) and SHARD_IDS (`0,2`, `0-3` or both mixed, each under the
    count); SHARD_IDS needs SHARD_COUNT, since every process must agree on it."""
    count_text, ids_text = _clean(env, "SHARD_COUNT"), _clean(env, "SHARD_IDS")
    if count_text is None:
        if ids_text is not None:
            raise ConfigError("SHARD_IDS needs SHARD_COUNT (the same in every process)")
        return None, None
    if not count_text.isdigit() or int(count_text) < 1:
        raise ConfigError("SHARD_COUNT must be a whole number of at least 1")
    count = int(count_text)
    if ids_text is None:
        return count, None
    ids: set[int] = set()
    for part in ids_text.replace(" ", "").split(","):
        low, _, high = part.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            raise ConfigError("SHARD_IDS must list shard numbers such as 0,1 or 0-3")
        first, last = int(low), int(high or low)
        if first > last or last >= count:
            raise ConfigError(f"SHARD_IDS must name shards from 0 to {count - 1}")
        ids.update(range(first, last + 1))
    return count, tuple(sorted(ids))
