"""Per-route rate limits shaped like Discord's: fixed windows per bucket and major parameter
(channel, guild or webhook token), reported in ``X-RateLimit-*`` headers on every answer so
discord.py paces itself, and a 429 when a bucket is empty. Off by default; windows run on the
fake's clock, so ``advance()`` refills them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from .wire import bucket_headers, rate_limited


@dataclass(frozen=True)
class Limit:
    bucket: str  # routes with the same bucket name share a window (per major parameter)
    limit: int
    per: float


CHANNEL = "/channels/{channel_id}"
WEBHOOK = "/webhooks/{application_id}/{token}"
# Discord's well-known figures: 5 messages per 5 s per channel, edits of bot messages in a
# channel share one bucket, an interaction webhook (its token) takes 5 requests per 2 s.
DEFAULT_RULES: dict[tuple[str, str], Limit] = {
    ("POST", f"{CHANNEL}/messages"): Limit("channel-message-create", 5, 5.0),
    ("PATCH", f"{CHANNEL}/messages/{{message_id}}"): Limit("channel-message-edit", 5, 5.0),
    ("DELETE", f"{CHANNEL}/messages/{{message_id}}"): Limit("channel-message-delete", 5, 1.0),
    ("POST", WEBHOOK): Limit("webhook", 5, 2.0),
    ("PATCH", f"{WEBHOOK}/messages/{{message_id}}"): Limit("webhook", 5, 2.0),
    ("DELETE", f"{WEBHOOK}/messages/{{message_id}}"): Limit("webhook", 5, 2.0),
}
DEFAULT_LIMIT = Limit("default", 50, 1.0)
MAJOR_PARAMETERS = ("channel_id", "guild_id", "token")


@dataclass
class _Window:
    resets_at: float
    used: int = 0


@dataclass
class RateLimits:
    """Set :attr:`enabled` (or call ``FakeDiscord.enable_rate_limits``) to enforce limits;
    :attr:`served` counts every 429 answered, by ``"METHOD /route/template"``."""

    clock: Callable[[], float]
    enabled: bool = False
    time_scale: float = 1.0  # multiplies every window, so tests can shorten Discord's
    rules: dict[tuple[str, str], Limit] = field(default_factory=lambda: dict(DEFAULT_RULES))
    default: Limit = DEFAULT_LIMIT
    served: Counter[str] = field(default_factory=Counter)
    _windows: dict[tuple[str, str], _Window] = field(default_factory=dict)

    def limit_for(self, method: str, route: str) -> Limit:
        return self.rules.get((method, route), self.default)

    def take(self, method: str, route: str, match_info: dict[str, str]) -> dict[str, str]:
        """Spend one request; the headers to answer with, or raise the 429 when empty."""
        if not self.enabled:
            return bucket_headers(route)
        limit = self.limit_for(method, route)
        major = next((match_info[k] for k in MAJOR_PARAMETERS if k in match_info), "")
        # The default bucket is per route; named buckets may span several routes.
        name = limit.bucket if limit is not self.default else f"{method} {route}"
        now = self.clock()
        window = self._windows.get((name, major))
        if window is None or now >= window.resets_at:
            window = self._windows[(name, major)] = _Window(now + limit.per * self.time_scale)
        reset_after = max(window.resets_at - now, 0.001)
        if window.used >= limit.limit:
            raise rate_limited(route, reset_after, limit=limit.limit, bucket=name)
        window.used += 1
        remaining = limit.limit - window.used
        return bucket_headers(
            route, limit=limit.limit, remaining=remaining, reset_after=reset_after, bucket=name
        )

    def idle_headers(self, route: str) -> dict[str, str]:
        """Headers for an answer that spent nothing (an error before the bucket was taken)."""
        return bucket_headers(route)

    def count(self, method: str, route: str) -> None:
        self.served[f"{method} {route}"] += 1

    @property
    def total(self) -> int:
        return sum(self.served.values())

    def reset(self) -> None:
        self._windows.clear()
