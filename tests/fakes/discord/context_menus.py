"""Context menus: a user runs an app's message command (type 3) on a message or its user
command (type 2) on a member. The INTERACTION_CREATE is an application command (type 2)
whose ``data`` carries the command ``type``, the ``target_id`` and the target in
``data.resolved``: the whole message (content, attachments with fresh CDN URLs, embeds,
author), whatever the bot's intents, or the user and member."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .commands import MESSAGE_COMMAND, USER_COMMAND
from .members import GuildKey, UserKey
from .message_payloads import interaction_base, message_payload
from .options import USER
from .records import FakeInteraction, FakeMessage

if TYPE_CHECKING:
    from .actions import ChannelKey
    from .server import FakeDiscord


class ContextMenuActions:
    """Mixed into :class:`FakeDiscord`."""

    def _menu_data(
        self: FakeDiscord, guild_id: int, name: str, kind: int, target_id: int, resolved: dict
    ) -> dict:
        command = self._find_command(guild_id, name, kind)
        if command is None and self.require_registered_commands:
            known = sorted(
                c["name"]
                for scope in (guild_id, None)
                for c in self.commands.get(scope, [])
                if c["type"] == kind
            )
            raise LookupError(
                f"no {'message' if kind == MESSAGE_COMMAND else 'user'} command {name!r} is "
                f"registered with the fake (sync the tree first); known: {known}"
            )
        data: dict[str, Any] = {
            "id": command["id"] if command else str(self._unregistered_command_id(name)),
            "name": name,
            "type": kind,
            "target_id": str(target_id),
            "resolved": resolved,
        }
        if command and command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        return data

    async def message_command(
        self: FakeDiscord,
        name: str,
        message: FakeMessage | int,
        user: UserKey,
        *,
        locale: str | None = None,
    ) -> FakeInteraction:
        """``user`` picks Apps → ``name`` on a (non-ephemeral, guild) message, in its channel."""
        target = self.messages.get(message if isinstance(message, int) else message.id)
        if target is None:
            raise LookupError(f"no message {message!r}")
        if target.ephemeral:
            raise ValueError("Discord offers no app commands on an ephemeral message")
        guild = self.guild_by_id(target.guild_id or 0)
        if guild is None:
            raise LookupError("context menus are only modelled in guild channels")
        channel = guild.channel(target.channel_id)
        who = self.member_of(user, guild).user
        self._check_default_permissions(guild, who, name, MESSAGE_COMMAND)
        resolved = {"messages": {str(target.id): message_payload(self, target)}}
        data = self._menu_data(guild.id, name, MESSAGE_COMMAND, target.id, resolved)
        payload = interaction_base(
            self, kind=2, guild=guild, channel=channel, user=who, locale=locale, data=data
        )
        return await self._dispatch_interaction(payload, name, target_id=target.id)

    async def user_command(
        self: FakeDiscord,
        name: str,
        target: UserKey,
        user: UserKey,
        *,
        guild: GuildKey = None,
        channel: ChannelKey = None,
        locale: str | None = None,
    ) -> FakeInteraction:
        """``user`` picks Apps → ``name`` on ``target``'s profile (or a member list entry)."""
        found, where, who = self._where(guild, channel, user)
        self._check_default_permissions(found, who, name, USER_COMMAND)
        resolved: dict[str, dict] = {}
        chosen = self._option(found, where, name, USER, target, resolved)["value"]
        data = self._menu_data(found.id, name, USER_COMMAND, int(chosen), resolved)
        payload = interaction_base(
            self, kind=2, guild=found, channel=where, user=who, locale=locale, data=data
        )
        return await self._dispatch_interaction(payload, name, target_id=int(chosen))
