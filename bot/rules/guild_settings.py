"""What a server chose, and what it falls back to: the settings the rules read.

A server that set nothing reads the defaults (from the tunables). Every limit is a whole
number from 0 to 1,000,000, where 0 means "no limit".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..config.tunables import Tunables
from ..refusal import Refusal
from .windows import DEFAULT_TIMEZONE, is_timezone

MAX_LIMIT = 1_000_000
# What "no limit" becomes where a number is needed (queue and running slots).
UNLIMITED = 10**9

IMAGE_LIMITS = ("daily_per_user", "daily_server", "monthly_server")
VIDEO_LIMITS = ("daily_video_per_user", "daily_video_server", "monthly_video_server")
LIMITS = (
    *IMAGE_LIMITS,
    "running_per_user",
    "queued_per_user",
    "cooldown_seconds",
    *VIDEO_LIMITS,
)
BUTTONS = ("anyone", "owner")
OTHER_SETTINGS = ("timezone", "buttons", "models", "default_model", "default_size")
SETTINGS = (*LIMITS, *OTHER_SETTINGS)


def defaults(tunables: Tunables) -> dict[str, Any]:
    """What a server that set nothing gets."""
    values: dict[str, Any] = dict.fromkeys(LIMITS, 0)
    values["running_per_user"] = tunables.limits.running_per_user
    values["queued_per_user"] = tunables.limits.queued_per_user
    values.update(timezone=DEFAULT_TIMEZONE, buttons="anyone", default_model=tunables.default_model)
    values["default_size"] = None
    values["models"] = []  # every model of the catalogue
    return values


def check_limit(name: str, value: int) -> None:
    """Refuse a limit outside 0..1,000,000 (0: no limit)."""
    if not 0 <= value <= MAX_LIMIT:
        raise Refusal("admin.refused.range", name=name, value=value, max=f"{MAX_LIMIT:,}")


def check_timezone(name: str) -> None:
    if not is_timezone(name):
        raise Refusal("admin.refused.timezone", timezone=name)


@dataclass(frozen=True)
class GuildSettings:
    """One server's choices (only what it set) on top of the defaults."""

    guild_id: int
    defaults: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)
    role_limits: dict[int, int] = field(default_factory=dict)
    user_limits: dict[int, int] = field(default_factory=dict)
    channels: frozenset[int] = frozenset()
    models: frozenset[str] = frozenset()

    def get(self, name: str) -> Any:
        return self.values[name] if name in self.values else self.defaults[name]

    def source(self, name: str) -> str:
        """ "server" when the server set it, else "default"."""
        return "server" if name in self.values else "default"

    def limit(self, name: str) -> int:
        return int(self.get(name))

    def daily_per_user(self, user_id: int, roles: tuple[int, ...]) -> tuple[int, str]:
        """The member's daily image limit and why: their own override wins, then the
        highest of their roles' (0, no limit, is the highest), then the server's."""
        if user_id in self.user_limits:
            return self.user_limits[user_id], "user"
        found = [self.role_limits[r] for r in roles if r in self.role_limits]
        if found:
            return (0 if 0 in found else max(found)), "role"
        return self.limit("daily_per_user"), self.source("daily_per_user")

    def allows_channel(self, channel_id: int | None) -> bool:
        return not self.channels or channel_id in self.channels

    def allows_model(self, model: str | None) -> bool:
        return not self.models or model is None or model in self.models
