"""Pointing the unmodified discord.py at a fake Discord."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import discord.gateway
import discord.http
import yarl


@contextmanager
def use_fake_discord(api_base: str, gateway_url: str) -> Iterator[None]:
    """Send discord.py's REST calls (bot and webhook/interaction routes alike, they all use
    ``Route.BASE``) to ``api_base`` and its first gateway connection to ``gateway_url``.

    Both are needed: a plain ``Client`` never asks ``GET /gateway/bot`` (only
    ``AutoShardedClient`` does); it connects to ``DiscordWebSocket.DEFAULT_GATEWAY`` and later
    resumes at the READY's ``resume_gateway_url``. A bot process does the same two
    assignments from ``DISCORD_API_BASE`` / ``DISCORD_GATEWAY_URL`` (see ``FakeDiscord.env``).
    """
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway
