"""Building the ``data`` of a command interaction from a test's plain values: options of
every type (with the ``resolved`` users, members, roles, channels and attachments discord.py
needs), subcommands and subcommand groups, checked against the synced command."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .models import FakeChannel, FakeGuild, FakeMember, FakeRole, FakeUser
from .payloads import attachment_payload, member_payload, new_attachment

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
    if isinstance(value, FakeUser | FakeMember):
        return USER
    if isinstance(value, FakeChannel):
        return CHANNEL
    if isinstance(value, FakeRole):
        return ROLE
    if isinstance(value, tuple):
        return ATTACHMENT
    return STRING


class CommandOptions:
    """Mixed into :class:`FakeDiscord`."""

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
            # A declared type is what the user's client sent; Discord keeps it as given.
            filename, data, *declared = value
            attachment = new_attachment(
                channel.id,
                filename,
                data,
                declared[0] if declared else None,
                ephemeral=True,
                trust_declared=bool(declared),
            )
            self.attachments[attachment.id] = attachment
            resolved.setdefault("attachments", {})[str(attachment.id)] = attachment_payload(
                self, attachment
            )
            value = str(attachment.id)
        elif kind in (USER, MENTIONABLE) and not isinstance(value, FakeRole):
            user = self.find_user(value)
            resolved.setdefault("users", {})[str(user.id)] = user.payload()
            if guild.has_member(user.id):  # a user who left is resolved without a member
                extra = member_payload(guild, guild.member(user.id), permissions=True)
                extra.pop("user")
                resolved.setdefault("members", {})[str(user.id)] = extra
            value = str(user.id)
        elif kind in (ROLE, MENTIONABLE):
            _, role = self._owned(guild, value.id if isinstance(value, FakeRole) else value, "role")
            resolved.setdefault("roles", {})[str(role.id)] = role.payload()
            value = str(role.id)
        elif kind == CHANNEL:
            key = value.id if isinstance(value, FakeChannel) else value
            owner, target = self._owned(guild, key, "channel")
            data = target.payload(owner.id)
            data["permissions"] = str(guild.permissions_of(self.bot_user.id))
            resolved.setdefault("channels", {})[str(target.id)] = data
            value = str(target.id)
        else:
            value = {INTEGER: int, NUMBER: float, BOOLEAN: bool}.get(kind, str)(value)
        return {"name": name, "type": kind, "value": value}

    def _owned(self: FakeDiscord, guild: FakeGuild, key: Any, kind: str) -> tuple[FakeGuild, Any]:
        """A role or channel of the guild, else of another guild: what a crafted request
        could name (resolved with the guild it belongs to, as Discord describes it)."""
        for owner in (guild, *(g for g in self.guilds if g is not guild)):
            try:
                return owner, owner.role(key) if kind == "role" else owner.channel(key)
            except KeyError:
                continue
        raise KeyError(f"no {kind} {key!r} in any guild")

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
