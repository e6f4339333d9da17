"""What a test makes users do: run slash commands (with options and uploaded files), ask for
autocomplete, press buttons and pick from selects. Each builds a real INTERACTION_CREATE."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .members import GuildKey, UserKey, user_key
from .message_payloads import interaction_base, message_payload
from .models import ALL_PERMISSIONS, FakeChannel, FakeGuild, FakeUser
from .options import CommandOptions, FileSpec
from .records import FakeInteraction, FakeMessage

if TYPE_CHECKING:
    from .server import FakeDiscord

ChannelKey = FakeChannel | int | str | None


class InteractionActions(CommandOptions):
    """Mixed into :class:`FakeDiscord`."""

    def _where(self: FakeDiscord, guild: GuildKey, channel: ChannelKey, user: UserKey):
        found = self.find_guild(guild)
        if channel is None:
            where = next(c for c in found.channels if c.type == 0)
        else:
            where = found.channel(channel.id if isinstance(channel, FakeChannel) else channel)
        member = found.member(user_key(user if user is not None else found.owner_id))
        return found, where, member.user

    def _check_default_permissions(
        self: FakeDiscord, guild: FakeGuild, user: FakeUser, name: str, kind: int = 1
    ) -> None:
        """Only with ``enforce_default_permissions``: Discord does not offer the command to a
        member lacking its ``default_member_permissions`` (servers can override this)."""
        command = self._find_command(guild.id, name, kind)
        if not self.enforce_default_permissions or command is None:
            return
        raw = command.get("default_member_permissions")
        if raw is None:
            return
        required, held = int(raw), guild.permissions_of(user.id)
        # "0" means nobody but administrators (who hold every permission).
        if (held == ALL_PERMISSIONS) if required == 0 else (held & required == required):
            return
        raise PermissionError(f"Discord would not offer /{name} to {user.name}")

    async def _dispatch_interaction(
        self: FakeDiscord,
        payload: dict,
        name: str | None,
        message: FakeMessage | None = None,
        **extra: Any,
    ) -> FakeInteraction:
        """Record and send an INTERACTION_CREATE; ``extra`` sets more FakeInteraction fields."""
        guild_id = int(payload["guild_id"]) if payload.get("guild_id") else None
        interaction = FakeInteraction(
            id=int(payload["id"]),
            token=payload["token"],
            type=payload["type"],
            guild_id=guild_id,
            channel_id=int(payload["channel_id"]),
            user_id=int(payload["member"]["user"]["id"]),
            locale=payload["locale"],
            guild_locale=payload.get("guild_locale"),
            name=name,
            dispatched_at=self.monotonic(),
            payload=payload,
            message_id=message.id if message else None,
            _fake=self,
            **extra,
        )
        self.interactions[interaction.id] = interaction
        interaction.delivered_to = await self.dispatch("INTERACTION_CREATE", payload)
        self.notify()
        return interaction

    async def slash_command(
        self: FakeDiscord,
        guild_id: GuildKey,
        channel_id: ChannelKey,
        user_id: UserKey,
        name: str,
        *,
        options: Mapping[str, Any] | None = None,
        subcommand: str | Sequence[str] | None = None,
        attachments: Iterable[FileSpec] = (),
        locale: str | None = None,
    ) -> FakeInteraction:
        """A user runs ``/name``. Guild, channel and user may be given by id or by name; option
        types come from the synced command (uploaded files go to its attachment options)."""
        guild, channel, user = self._where(guild_id, channel_id, user_id)
        self._check_default_permissions(guild, user, name)
        data = self._command_data(guild, channel, name, options or {}, subcommand, attachments)
        payload = interaction_base(
            self, kind=2, guild=guild, channel=channel, user=user, locale=locale, data=data
        )
        return await self._dispatch_interaction(payload, name)

    async def invoke(
        self: FakeDiscord,
        name: str,
        subcommand: str | Sequence[str] | None = None,
        *,
        options: Mapping[str, Any] | None = None,
        user: UserKey | None = None,
        guild: GuildKey = None,
        channel: ChannelKey = None,
        attachments: Iterable[FileSpec] = (),
        locale: str | None = None,
    ) -> FakeInteraction:
        """:meth:`slash_command` with defaults: the first guild, its first text channel and
        its owner. ``subcommand`` is ``"limits"`` or ``"group sub"`` (or a list); option
        values may be plain values or fake objects (users, members, roles, channels), files
        ``(filename, bytes[, content type])``."""
        found, where, who = self._where(guild, channel, user)
        return await self.slash_command(
            found.id,
            where.id,
            who.id,
            name,
            options=options,
            subcommand=subcommand,
            attachments=attachments,
            locale=locale,
        )

    async def autocomplete(
        self: FakeDiscord,
        guild_id: GuildKey,
        channel_id: ChannelKey,
        user_id: UserKey,
        name: str,
        focused: str,
        *,
        options: Mapping[str, Any] | None = None,
        subcommand: str | Sequence[str] | None = None,
        locale: str | None = None,
    ) -> FakeInteraction:
        """A user types in ``focused``; the bot's answer is ``interaction.autocomplete_choices``."""
        guild, channel, user = self._where(guild_id, channel_id, user_id)
        values = dict(options or {})
        values.setdefault(focused, "")
        data = self._command_data(guild, channel, name, values, subcommand, (), focused=focused)
        payload = interaction_base(
            self, kind=4, guild=guild, channel=channel, user=user, locale=locale, data=data
        )
        return await self._dispatch_interaction(payload, name)

    async def press_button(
        self: FakeDiscord,
        message_id: int,
        custom_id: str,
        user_id: UserKey,
        *,
        locale: str | None = None,
    ) -> FakeInteraction:
        """A user clicks the (enabled) button ``custom_id`` on a stored message."""
        return await self._component(message_id, custom_id, user_id, locale, None)

    async def select(
        self: FakeDiscord,
        message_id: int,
        custom_id: str,
        values: Sequence[str],
        user_id: UserKey,
        *,
        locale: str | None = None,
    ) -> FakeInteraction:
        """A user picks ``values`` in a select menu."""
        return await self._component(message_id, custom_id, user_id, locale, list(values))

    async def _component(
        self: FakeDiscord,
        message_id: int,
        custom_id: str,
        user_id: UserKey,
        locale: str | None,
        values: list[str] | None,
    ) -> FakeInteraction:
        message = self.messages.get(message_id)
        if message is None:
            raise LookupError(f"no message {message_id}")
        component = _find_component(message.components, custom_id)
        if component is None:
            raise LookupError(
                f"message {message_id} has no component {custom_id!r}: {message.custom_ids()}"
            )
        if component.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled")
        if (component["type"] == 2) != (values is None):
            raise ValueError(f"component {custom_id!r} has type {component['type']}")
        guild = self.guild_by_id(message.guild_id or 0)
        if guild is None:
            raise LookupError("components are only modelled in guild channels")
        member = guild.member(user_key(user_id))
        owner = self.interactions.get(message.interaction_id or 0)
        if message.ephemeral and owner is not None and owner.user_id != member.user.id:
            raise ValueError("only the user who ran the command sees an ephemeral message")
        data: dict[str, Any] = {
            "custom_id": custom_id,
            "component_type": component["type"],
            "id": component.get("id"),
        }
        if values is not None:
            data["values"] = values
        payload = interaction_base(
            self,
            kind=3,
            guild=guild,
            channel=guild.channel(message.channel_id),
            user=member.user,
            locale=locale,
            data=data,
        )
        payload["message"] = message_payload(self, message)
        return await self._dispatch_interaction(payload, custom_id, message)


def _find_component(components: list[dict], custom_id: str) -> dict | None:
    for component in components:
        if component.get("custom_id") == custom_id:
            return component
        accessory = component.get("accessory")
        found = _find_component(component.get("components") or [], custom_id)
        if found is None and isinstance(accessory, dict):
            found = _find_component([accessory], custom_id)
        if found is not None:
            return found
    return None
