"""A loopback Discord (REST + gateway + attachment CDN) that the unmodified discord.py
connects to, so tests can run a real bot end to end on 127.0.0.1.

    async with FakeDiscord() as fake:                        # default_guild(): alice (owner),
        with use_fake_discord(fake.api_base, fake.gateway_url):  # bob (zh-CN), carol; #general
            ...  # start the bot with fake.token (or a bot process with fake.env())
            interaction = await fake.slash_command(fake.guild.id, "general", "bob", "imagine",
                                                   options={"prompt": "a cat"},
                                                   attachments=[("ref.png", data)])
            message = await interaction.wait_for_original(lambda m: m.attachments)
            press = await fake.press_button(message.id, "imagine:reroll:1", "bob")
            limits = await fake.invoke("settings", "role-limit", user="alice",
                                       options={"role": role, "daily_per_user": 5})

Members and roles change with ``create_role`` / ``give_role`` / ``set_permissions``; DMs are
read with ``dms(user)``; ``enable_rate_limits()`` turns on Discord-like per-route limits and
``rate_limited_count`` counts 429s; ``fail_next`` / ``drop_next`` inject errors and resets.

Modules: ``server`` (FakeDiscord), ``edge`` (faults, rate limits and the call log in front
of every route), ``ratelimits``, ``actions`` (what users do), ``options`` (command options),
``members`` (roles, permissions), ``dms`` (direct messages),
``waiting`` (event-driven waits), ``gateway``, ``rest`` / ``rest_messages`` (routes),
``messages`` (message rules), ``payloads`` (JSON objects), ``models`` (configuration),
``records`` (what tests assert on), ``wire`` (errors, bodies, headers), ``patch``.
"""

from .models import (
    ADMINISTRATOR,
    ATTACH_FILES,
    BAN_MEMBERS,
    KICK_MEMBERS,
    MANAGE_GUILD,
    MANAGE_MESSAGES,
    MANAGE_ROLES,
    MODERATE_MEMBERS,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
    default_guild,
)
from .patch import use_fake_discord
from .ratelimits import Limit, RateLimits
from .records import (
    FakeDMChannel,
    FakeInteraction,
    FakeMessage,
    FaultRule,
    GatewaySession,
    MessageRevision,
    RecordedCall,
    StoredAttachment,
    UploadedFile,
)
from .server import FakeDiscord

__all__ = [
    "ADMINISTRATOR",
    "ATTACH_FILES",
    "BAN_MEMBERS",
    "KICK_MEMBERS",
    "MANAGE_GUILD",
    "MANAGE_MESSAGES",
    "MANAGE_ROLES",
    "MODERATE_MEMBERS",
    "SEND_MESSAGES",
    "VIEW_CHANNEL",
    "FakeChannel",
    "FakeDMChannel",
    "FakeDiscord",
    "FakeGuild",
    "FakeInteraction",
    "FakeMember",
    "FakeMessage",
    "FakeRole",
    "FakeUser",
    "FaultRule",
    "GatewaySession",
    "Limit",
    "MessageRevision",
    "RateLimits",
    "RecordedCall",
    "StoredAttachment",
    "UploadedFile",
    "default_guild",
    "use_fake_discord",
]
