"""Who asks, and where: the one value a front end builds for every request."""

from __future__ import annotations

from dataclasses import dataclass

from ..text.i18n import DEFAULT_LOCALE


@dataclass(frozen=True)
class Member:
    """A member of a server as the services see them.

    The Discord layer builds it from an interaction (`discord_app.interactions.member_of`),
    the CLI for itself. `roles` are role ids (to the rules, groups the member belongs to);
    `manage_guild` and `manage_messages` are the member's permissions where they asked;
    `upload_limit` is the largest file they may be sent there, in bytes (None: unknown);
    `joined_at` is when they joined the server, in epoch seconds (None: unknown)."""

    guild_id: int
    user_id: int
    channel_id: int | None = None
    roles: tuple[int, ...] = ()
    locale: str = DEFAULT_LOCALE
    manage_guild: bool = False
    manage_messages: bool = False
    upload_limit: int | None = None
    joined_at: float | None = None
