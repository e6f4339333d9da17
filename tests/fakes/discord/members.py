"""What a test does to guild membership while the bot runs: create roles, give and take them,
set a member's permissions and join date, add members. Each change is sent to the bot as the
gateway event Discord would send, so its cache (``Member.guild_permissions``, ``Guild.roles``)
agrees with the permissions the fake puts in interactions."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .models import FakeGuild, FakeMember, FakeRole, FakeUser
from .payloads import INTENT_GUILD_MEMBERS, iso, member_payload

if TYPE_CHECKING:
    from .server import FakeDiscord

UserKey = FakeUser | FakeMember | int | str
GuildKey = FakeGuild | int | str | None
RoleKey = FakeRole | int | str


def user_key(user: UserKey) -> int | str:
    """A user id or name from any of the ways a test names a user."""
    if isinstance(user, FakeMember):
        return user.user.id
    if isinstance(user, FakeUser):
        return user.id
    return user


class MemberActions:
    """Mixed into :class:`FakeDiscord`."""

    def find_guild(self: FakeDiscord, guild: GuildKey = None) -> FakeGuild:
        """A guild by object, id or name; ``None`` is the first guild."""
        if isinstance(guild, FakeGuild):
            return guild
        if guild is None:
            return self.guilds[0]
        found = next((g for g in self.guilds if guild in (g.id, g.name)), None)
        if found is None:
            raise KeyError(f"no guild {guild!r}")
        return found

    def find_user(self: FakeDiscord, user: UserKey) -> FakeUser:
        """A user of any guild (or the bot) by object, id or name."""
        key = user_key(user)
        if key in (self.bot_user.id, self.bot_user.name):
            return self.bot_user
        for guild in self.guilds:
            for member in guild.members:
                if key in (member.user.id, member.user.name):
                    return member.user
        raise KeyError(f"no user {user!r}")

    def member_of(self: FakeDiscord, user: UserKey, guild: GuildKey = None) -> FakeMember:
        return self.find_guild(guild).member(user_key(user))

    async def _member_updated(self: FakeDiscord, guild: FakeGuild, member: FakeMember) -> None:
        event = member_payload(guild, member)
        event["guild_id"] = str(guild.id)
        await self.dispatch("GUILD_MEMBER_UPDATE", event, INTENT_GUILD_MEMBERS)
        self.notify()

    async def create_role(
        self: FakeDiscord, name: str, permissions: int = 0, *, guild: GuildKey = None
    ) -> FakeRole:
        """A new role (``GUILD_ROLE_CREATE``); give it with :meth:`give_role`."""
        found = self.find_guild(guild)
        role = found.add_role(name, permissions)
        event = {"guild_id": str(found.id), "role": role.payload()}
        await self.dispatch("GUILD_ROLE_CREATE", event)
        self.notify()
        return role

    async def give_role(
        self: FakeDiscord, user: UserKey, *roles: RoleKey, guild: GuildKey = None
    ) -> FakeMember:
        """Add roles to a member (``GUILD_MEMBER_UPDATE``)."""
        found = self.find_guild(guild)
        member = found.member(user_key(user))
        for role in roles:
            role_id = found.role(role.id if isinstance(role, FakeRole) else role).id
            if role_id not in member.roles:
                member.roles.append(role_id)
        await self._member_updated(found, member)
        return member

    async def take_role(
        self: FakeDiscord, user: UserKey, *roles: RoleKey, guild: GuildKey = None
    ) -> FakeMember:
        """Remove roles from a member (``GUILD_MEMBER_UPDATE``)."""
        found = self.find_guild(guild)
        member = found.member(user_key(user))
        gone = {found.role(r.id if isinstance(r, FakeRole) else r).id for r in roles}
        member.roles = [r for r in member.roles if r not in gone]
        await self._member_updated(found, member)
        return member

    async def set_permissions(
        self: FakeDiscord,
        user: UserKey,
        permissions: int,
        *,
        guild: GuildKey = None,
        exact: bool = False,
    ) -> FakeMember:
        """Make a member's guild permissions @everyone's plus ``permissions``: their roles are
        replaced by one personal role holding them (managed roles stay). With ``exact`` the
        member's permissions are exactly ``permissions`` (even without @everyone's), in what
        the fake reports; the bot's role cache then cannot agree."""
        found = self.find_guild(guild)
        member = found.member(user_key(user))
        name = f"{member.user.name} permissions"
        role = next((r for r in found.roles if r.name == name), None)
        if role is None:
            role = await self.create_role(name, permissions, guild=found)
        elif role.permissions != permissions:
            role.permissions = permissions
            event = {"guild_id": str(found.id), "role": role.payload()}
            await self.dispatch("GUILD_ROLE_UPDATE", event)
        managed = {r.id for r in found.roles if r.managed}
        member.roles = [r for r in member.roles if r in managed] + [role.id]
        member.permissions = permissions if exact else None
        await self._member_updated(found, member)
        return member

    async def set_joined_at(
        self: FakeDiscord,
        user: UserKey,
        at: datetime.datetime | None = None,
        *,
        ago: float | None = None,
        guild: GuildKey = None,
    ) -> FakeMember:
        """When a member joined: ``at``, or ``ago`` seconds before now on the fake's clock (a
        member who joined 2 days ago: ``ago=2 * 86400``). Every interaction's ``member`` and
        ``GUILD_MEMBER_UPDATE`` carry it as ``joined_at``."""
        if (at is None) == (ago is None):
            raise ValueError("give either at or ago")
        found = self.find_guild(guild)
        member = found.member(user_key(user))
        member.joined_at = iso(at.timestamp() if at is not None else self.now() - (ago or 0))
        await self._member_updated(found, member)
        return member

    async def add_member(
        self: FakeDiscord,
        user: FakeUser | str,
        *,
        roles: Iterable[RoleKey] = (),
        guild: GuildKey = None,
        joined_ago: float = 0.0,
    ) -> FakeMember:
        """A user joins the guild (``GUILD_MEMBER_ADD``), now on the fake's clock or
        ``joined_ago`` seconds ago."""
        found = self.find_guild(guild)
        given = [found.role(r.id if isinstance(r, FakeRole) else r) for r in roles]
        member = found.add_member(user, roles=given)
        member.joined_at = iso(self.now() - joined_ago)
        event = member_payload(found, member)
        event["guild_id"] = str(found.id)
        await self.dispatch("GUILD_MEMBER_ADD", event, INTENT_GUILD_MEMBERS)
        self.notify()
        return member
