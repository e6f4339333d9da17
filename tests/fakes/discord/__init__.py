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

Members and roles change with ``create_role`` / ``give_role`` / ``set_permissions``; join
dates with ``set_joined_at(user, ago=2 * 86400)`` or ``add_member(..., joined_ago=...)``
(every interaction's ``member`` carries ``roles`` and ``joined_at``). DMs are read with
``dms(user)``; ``enable_rate_limits()`` turns on Discord-like per-route limits and
``rate_limited_count`` counts 429s; ``fail_next`` / ``drop_next`` inject errors and resets.

Modals: a bot's type 9 callback is checked as Discord checks it and kept as a ``FakeModal``;
the user fills it in (fields by custom id; unset fields keep their pre-filled values) and
the submit is answered like any interaction (from a button, ``edit_message`` edits the
button's message):

            shown = await fake.press_button(message.id, "imagine:edit:1", "bob")
            modal = await shown.wait_for_modal()  # .title, .texts, .field("prompt").value
            submit = await fake.submit_modal(shown, {"prompt": "a dog", "hd": True,
                                                     "reference": [("ref.png", data)]})

Context menus and member messages: ``post_message(user, "text", attachments=[...])`` (the
gateway hides its content from sessions without MESSAGE_CONTENT, as Discord does);
``message_command("Use as reference", message, "bob")`` sends the whole message in
``data.resolved.messages``; ``user_command("Join date", "carol", "bob")`` the user and member.
Commands of all three types are checked on sync (names, ``name_localizations``, limits).

Sharding: ``FakeDiscord(shards=2)`` is what ``GET /gateway/bot`` recommends; a session that
IDENTIFYs with ``shard: [id, count]`` gets READY, GUILD_CREATE and every other event only for
guilds with ``(guild_id >> 22) % count == id`` (DMs: shard 0); ``default_guild(guild_id=
guild_id_on_shard(1, 2))`` puts a guild on shard 1. Invalid shards are closed with 4010, a
shard over ``max_guilds_per_shard`` with 4011. (discord.py waits 5 s between its shards'
IDENTIFYs unless the client overrides ``before_identify_hook``.)

Modules: ``server`` (FakeDiscord), ``edge`` (faults, rate limits and the call log in front
of every route), ``ratelimits``, ``actions`` (what users do), ``options`` (command options),
``context_menus``, ``modals`` (checking and reading modals), ``modal_submit``,
``user_messages``, ``members`` (roles, permissions, join dates), ``dms`` (direct messages),
``waiting`` (event-driven waits), ``gateway``, ``sharding``, ``rest`` / ``rest_messages``
(routes), ``commands`` (command rules), ``messages`` (message rules), ``payloads`` /
``message_payloads`` (JSON objects), ``models`` (configuration), ``records`` (what tests
assert on), ``wire`` (errors, bodies, headers), ``patch``.
"""

from .modals import FakeModal, ModalField
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
from .sharding import guild_id_on_shard

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
    "FakeModal",
    "FakeRole",
    "FakeUser",
    "FaultRule",
    "GatewaySession",
    "Limit",
    "MessageRevision",
    "ModalField",
    "RateLimits",
    "RecordedCall",
    "StoredAttachment",
    "UploadedFile",
    "default_guild",
    "guild_id_on_shard",
    "use_fake_discord",
]
