"""What the fake Discord is configured with: users, roles, channels, members and guilds."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

DISCORD_EPOCH_MS = 1_420_070_400_000
MIB = 1024 * 1024
DEFAULT_ATTACHMENT_SIZE_LIMIT = 10 * MIB

# Permission bits (https://discord.com/developers/docs/topics/permissions).
KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_EXTERNAL_EMOJIS = 1 << 18
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
SEND_MESSAGES_IN_THREADS = 1 << 38
MODERATE_MEMBERS = 1 << 40
ALL_PERMISSIONS = (1 << 51) - 1

EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | ADD_REACTIONS
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)
BOT_PERMISSIONS = EVERYONE_PERMISSIONS

_increment = itertools.count()


def snowflake() -> int:
    """A new, unique, time-ordered Discord snowflake."""
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (1 << 17) | (next(_increment) % 4096)


@dataclass
class FakeUser:
    """A Discord user. ``locale`` is the client language sent with their interactions;
    with ``dms_open`` false the bot's DMs to them fail with 403 / 50007."""

    name: str
    id: int = field(default_factory=snowflake)
    global_name: str | None = None
    bot: bool = False
    locale: str = "en-US"
    dms_open: bool = True

    def payload(self) -> dict:
        data = {
            "id": str(self.id),
            "username": self.name,
            "global_name": self.global_name if self.global_name is not None else self.name,
            "discriminator": "0",
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
            "collectibles": None,
            "primary_guild": None,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass
class FakeRole:
    name: str
    id: int = field(default_factory=snowflake)
    permissions: int = 0
    position: int = 1
    managed: bool = False

    def payload(self) -> dict:
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "managed": self.managed,
            "mentionable": False,
            "flags": 0,
        }


@dataclass
class FakeChannel:
    """A guild channel; type 0 is a text channel."""

    name: str
    id: int = field(default_factory=snowflake)
    type: int = 0
    position: int = 0
    topic: str | None = None
    nsfw: bool = False
    parent_id: int | None = None

    def payload(self, guild_id: int | None = None) -> dict:
        data = {
            "id": str(self.id),
            "type": self.type,
            "name": self.name,
            "position": self.position,
            "topic": self.topic,
            "nsfw": self.nsfw,
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "permission_overwrites": [],
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "flags": 0,
        }
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        return data


@dataclass
class FakeMember:
    """A guild member. ``permissions``, when set, replaces what the roles add up to in
    everything the fake reports (interaction ``member.permissions``, resolved members); the
    bot's own cache still computes from roles, so prefer roles where both must agree."""

    user: FakeUser
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = "2024-01-01T00:00:00.000000+00:00"
    permissions: int | None = None

    def payload(self, *, with_user: bool = True) -> dict:
        data = {
            "roles": [str(r) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user.payload()
        return data


@dataclass
class FakeGuild:
    """A guild. The @everyone role (id == guild id) is added automatically."""

    name: str
    owner_id: int
    id: int = field(default_factory=snowflake)
    preferred_locale: str = "en-US"
    channels: list[FakeChannel] = field(default_factory=list)
    members: list[FakeMember] = field(default_factory=list)
    roles: list[FakeRole] = field(default_factory=list)
    everyone_permissions: int = EVERYONE_PERMISSIONS
    attachment_size_limit: int = DEFAULT_ATTACHMENT_SIZE_LIMIT
    premium_tier: int = 0

    def channel(self, key: int | str) -> FakeChannel:
        """A channel by id or name."""
        for channel in self.channels:
            if key in (channel.id, channel.name):
                return channel
        raise KeyError(f"no channel {key!r} in guild {self.name!r}")

    def member(self, key: int | str) -> FakeMember:
        """A member by user id or user name."""
        for member in self.members:
            if key in (member.user.id, member.user.name):
                return member
        raise KeyError(f"no member {key!r} in guild {self.name!r}")

    def role(self, key: int | str) -> FakeRole:
        for role in self.all_roles():
            if key in (role.id, role.name):
                return role
        raise KeyError(f"no role {key!r} in guild {self.name!r}")

    def all_roles(self) -> list[FakeRole]:
        everyone = FakeRole(
            "@everyone", id=self.id, permissions=self.everyone_permissions, position=0
        )
        return [everyone, *self.roles]

    def add_role(self, name: str, permissions: int = 0, *, position: int | None = None) -> FakeRole:
        """A new role above the existing ones (configuration only: no gateway event)."""
        top = max((r.position for r in self.roles), default=0)
        role = FakeRole(name, permissions=permissions, position=position or top + 1)
        self.roles.append(role)
        return role

    def add_member(
        self, user: FakeUser | str, *, roles: list[FakeRole] | None = None
    ) -> FakeMember:
        """A new member (configuration only: no gateway event)."""
        if isinstance(user, str):
            user = FakeUser(user)
        member = FakeMember(user, roles=[r.id for r in roles or []])
        self.members.append(member)
        return member

    def has_member(self, user_id: int) -> bool:
        return any(m.user.id == user_id for m in self.members)

    def permissions_of(self, user_id: int) -> int:
        """Guild-level permissions of a member (no channel overwrites are modelled)."""
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        member = self.member(user_id)
        if member.permissions is not None:
            value = member.permissions
        else:
            value = self.everyone_permissions
            for role in self.roles:
                if role.id in member.roles:
                    value |= role.permissions
        return ALL_PERMISSIONS if value & ADMINISTRATOR else value


def default_guild(
    *, name: str = "Fake Guild", locale: str = "en-US", guild_id: int | None = None
) -> FakeGuild:
    """A guild with an owner (alice), two users (bob speaks zh-CN) and two text channels;
    ``guild_id`` chooses its shard (see ``sharding.guild_id_on_shard``)."""
    alice = FakeUser("alice")
    bob = FakeUser("bob", locale="zh-CN")
    carol = FakeUser("carol", locale="en-GB")
    admin = FakeRole("Admin", permissions=ADMINISTRATOR, position=2)
    guild = FakeGuild(
        name=name,
        owner_id=alice.id,
        id=guild_id or snowflake(),
        preferred_locale=locale,
        roles=[admin],
        channels=[FakeChannel("general", position=0), FakeChannel("images", position=1)],
    )
    guild.members = [FakeMember(alice, roles=[admin.id]), FakeMember(bob), FakeMember(carol)]
    return guild
