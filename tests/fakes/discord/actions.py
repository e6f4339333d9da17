"""What a test makes users do: run slash commands (with options and uploaded files), ask for
autocomplete, press buttons and pick from selects. Each builds a real INTERACTION_CREATE."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .models import FakeChannel, FakeGuild, FakeRole, FakeUser
from .payloads import (
    attachment_payload,
    interaction_base,
    member_payload,
    message_payload,
    new_attachment,
)
from .records import FakeInteraction, FakeMessage

if TYPE_CHECKING:
    from .server import FakeDiscord

# A file a user attaches: (filename, bytes) or (filename, bytes, content type).
FileSpec = tuple[str, bytes] | tuple[str, bytes, str]
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)


def _infer_type(value: Any) -> int:
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, float):
        return NUMBER
    if isinstance(value, FakeUser):
        return USER
    if isinstance(value, FakeChannel):
        return CHANNEL
    if isinstance(value, FakeRole):
        return ROLE
    if isinstance(value, tuple):
        return ATTACHMENT
    return STRING


class InteractionActions:
    """Mixed into :class:`FakeDiscord`."""

    def _where(self: FakeDiscord, guild: int | str, channel: int | str, user: int | str):
        found = next((g for g in self.guilds if guild in (g.id, g.name)), None)
        if found is None:
            raise KeyError(f"no guild {guild!r}")
        return found, found.channel(channel), found.member(user).user

    def _find_command(self: FakeDiscord, guild_id: int, name: str, kind: int = 1) -> dict | None:
        for scope in (guild_id, None):
            for command in self.commands.get(scope, []):
                if command["name"] == name and command["type"] == kind:
                    return command
        return None

    def _option(
        self: FakeDiscord,
        guild: FakeGuild,
        channel: FakeChannel,
        name: str,
        kind: int,
        value: Any,
        resolved: dict[str, dict],
    ) -> dict:
        """One option as Discord sends it, adding what it refers to to ``resolved``."""
        if kind == ATTACHMENT:
            filename, data, *declared = value
            attachment = new_attachment(
                channel.id, filename, data, declared[0] if declared else None, ephemeral=True
            )
            self.attachments[attachment.id] = attachment
            resolved.setdefault("attachments", {})[str(attachment.id)] = attachment_payload(
                self, attachment
            )
            value = str(attachment.id)
        elif kind in (USER, MENTIONABLE) and not isinstance(value, FakeRole):
            member = guild.member(value.id if isinstance(value, FakeUser) else value)
            resolved.setdefault("users", {})[str(member.user.id)] = member.user.payload()
            extra = member_payload(guild, member, permissions=True)
            extra.pop("user")
            resolved.setdefault("members", {})[str(member.user.id)] = extra
            value = str(member.user.id)
        elif kind in (ROLE, MENTIONABLE):
            role = guild.role(value.id if isinstance(value, FakeRole) else value)
            resolved.setdefault("roles", {})[str(role.id)] = role.payload()
            value = str(role.id)
        elif kind == CHANNEL:
            target = guild.channel(value.id if isinstance(value, FakeChannel) else value)
            data = target.payload(guild.id)
            data["permissions"] = str(guild.permissions_of(self.bot_user.id))
            resolved.setdefault("channels", {})[str(target.id)] = data
            value = str(target.id)
        else:
            value = {INTEGER: int, NUMBER: float, BOOLEAN: bool}.get(kind, str)(value)
        return {"name": name, "type": kind, "value": value}

    def _command_data(
        self: FakeDiscord,
        guild: FakeGuild,
        channel: FakeChannel,
        name: str,
        options: Mapping[str, Any],
        subcommand: str | Sequence[str] | None,
        attachments: Iterable[FileSpec],
        focused: str | None = None,
    ) -> dict:
        command = self._find_command(guild.id, name)
        if command is None and self.require_registered_commands:
            known = sorted(
                c["name"] for scope in (guild.id, None) for c in self.commands.get(scope, [])
            )
            raise LookupError(
                f"/{name} is not registered with the fake (sync the tree first); known: {known}"
            )
        path = subcommand.split() if isinstance(subcommand, str) else list(subcommand or [])
        schema: list[dict] | None = command["options"] if command else None
        for part in path:
            node = next(
                (o for o in schema or [] if o["name"] == part and o["type"] in (1, 2)), None
            )
            if schema is not None and node is None:
                raise LookupError(f"/{name} has no subcommand {part!r}")
            schema = node.get("options", []) if node else None
        given = dict(options)
        files = list(attachments)
        if files:
            slots = [
                o["name"]
                for o in schema or []
                if o["type"] == ATTACHMENT and o["name"] not in given
            ]
            if len(slots) < len(files):
                raise ValueError(f"/{name} has no attachment option left for {len(files)} file(s)")
            given.update(zip(slots, files, strict=False))
        types = {o["name"]: o["type"] for o in schema or []}
        if schema is not None:
            missing = [o["name"] for o in schema if o.get("required") and o["name"] not in given]
            unknown = [key for key in given if key not in types]
            if missing or unknown:
                raise ValueError(
                    f"/{name}: missing required options {missing}, unknown options {unknown}"
                )
        resolved: dict[str, dict] = {}
        built = []
        for key, value in given.items():
            kind = types.get(key) or _infer_type(value)
            if key == focused:
                built.append({"name": key, "type": kind, "value": str(value), "focused": True})
            else:
                built.append(self._option(guild, channel, key, kind, value, resolved))
        for depth, part in reversed(list(enumerate(path))):
            kind = 2 if depth == 0 and len(path) == 2 else 1  # group, then subcommand
            built = [{"name": part, "type": kind, "options": built}]
        data: dict[str, Any] = {
            "id": command["id"] if command else str(self._unregistered_command_id(name)),
            "name": name,
            "type": 1,
            "options": built,
        }
        if resolved:
            data["resolved"] = resolved
        if command and command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        return data

    async def _dispatch_interaction(
        self: FakeDiscord, payload: dict, name: str | None, message: FakeMessage | None = None
    ) -> FakeInteraction:
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
        )
        self.interactions[interaction.id] = interaction
        interaction.delivered_to = await self.dispatch("INTERACTION_CREATE", payload)
        self.notify()
        return interaction

    async def slash_command(
        self: FakeDiscord,
        guild_id: int | str,
        channel_id: int | str,
        user_id: int | str,
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
        data = self._command_data(guild, channel, name, options or {}, subcommand, attachments)
        payload = interaction_base(
            self, kind=2, guild=guild, channel=channel, user=user, locale=locale, data=data
        )
        return await self._dispatch_interaction(payload, name)

    async def autocomplete(
        self: FakeDiscord,
        guild_id: int | str,
        channel_id: int | str,
        user_id: int | str,
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
        user_id: int | str,
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
        user_id: int | str,
        *,
        locale: str | None = None,
    ) -> FakeInteraction:
        """A user picks ``values`` in a select menu."""
        return await self._component(message_id, custom_id, user_id, locale, list(values))

    async def _component(
        self: FakeDiscord,
        message_id: int,
        custom_id: str,
        user_id: int | str,
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
        member = guild.member(user_id)
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
