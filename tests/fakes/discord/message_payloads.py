"""The JSON of messages and interactions: message objects (with the metadata of the interaction
that made them), the common body of an INTERACTION_CREATE, and callback answers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .models import FakeChannel, FakeGuild, FakeUser, snowflake
from .payloads import (
    attachment_payload,
    iso,
    member_payload,
    new_token,
    snowflake_time,
)
from .records import FakeInteraction, FakeMessage

if TYPE_CHECKING:
    from .server import FakeDiscord


def interaction_metadata(
    fake: FakeDiscord, interaction: FakeInteraction, message: FakeMessage | None
) -> dict:
    """``message.interaction_metadata``: what made the message, as Discord describes it."""
    data: dict[str, Any] = {
        "id": str(interaction.id),
        "type": interaction.type,
        "user": fake.user(interaction.user_id).payload(),
        "authorizing_integration_owners": {"0": str(interaction.guild_id or 0)},
    }
    if interaction.type == 2:
        command_type = int(interaction.payload["data"].get("type", 1))
        data["name"] = interaction.name
        data["command_type"] = command_type
        if command_type == 2 and interaction.target_id is not None:
            data["target_user"] = fake.user(interaction.target_id).payload()
        elif command_type == 3 and interaction.target_id is not None:
            data["target_message_id"] = str(interaction.target_id)
    elif interaction.type == 3 and interaction.message_id is not None:
        data["interacted_message_id"] = str(interaction.message_id)
    elif interaction.type == 5 and interaction.triggered_by is not None:
        origin = fake.interactions.get(interaction.triggered_by)
        if origin is not None:
            data["triggering_interaction_metadata"] = interaction_metadata(fake, origin, None)
    if message is not None and interaction.response_message_id not in (None, message.id):
        data["original_response_message_id"] = str(interaction.response_message_id)
    return data


def message_payload(fake: FakeDiscord, message: FakeMessage) -> dict:
    author = fake.user(message.author_id)
    data: dict[str, Any] = {
        "id": str(message.id),
        "type": message.type,
        "channel_id": str(message.channel_id),
        "author": author.payload(),
        "content": message.content,
        "embeds": message.embeds,
        "components": message.components,
        "attachments": [attachment_payload(fake, a) for a in message.attachments],
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": False,
        "pinned": False,
        "tts": False,
        "timestamp": iso(snowflake_time(message.id)),
        "edited_timestamp": None
        if message.edited_at is None
        else iso(fake.wall_time(message.edited_at)),
        "flags": message.flags,
    }
    if message.guild_id is not None:
        data["guild_id"] = str(message.guild_id)
    if message.nonce is not None:
        data["nonce"] = message.nonce
    if message.reference:
        data["message_reference"] = {
            "type": 0,
            "channel_id": str(message.channel_id),
            **{k: str(v) for k, v in message.reference.items() if k.endswith("_id") and v},
        }
    if message.webhook_id is not None:
        data["webhook_id"] = str(message.webhook_id)
        data["application_id"] = str(fake.application_id)
    interaction = fake.interactions.get(message.interaction_id or 0)
    if interaction is not None:
        data["interaction_metadata"] = interaction_metadata(fake, interaction, message)
        data["interaction"] = {  # deprecated, still sent
            "id": str(interaction.id),
            "type": interaction.type,
            "name": interaction.name,
            "user": data["interaction_metadata"]["user"],
        }
    return data


def interaction_base(
    fake: FakeDiscord,
    *,
    kind: int,
    guild: FakeGuild,
    channel: FakeChannel,
    user: FakeUser,
    locale: str | None,
    data: dict,
) -> dict:
    """The common body of an INTERACTION_CREATE from a guild channel: the invoking ``member``
    carries its ``roles``, ``joined_at`` and computed ``permissions``, as on Discord."""
    member = guild.member(user.id)
    permissions = str(guild.permissions_of(user.id))
    channel_data = channel.payload(guild.id)
    channel_data["permissions"] = permissions
    return {
        "id": str(snowflake()),
        "application_id": str(fake.application_id),
        "type": kind,
        "data": data,
        "guild": {"id": str(guild.id), "locale": guild.preferred_locale, "features": []},
        "guild_id": str(guild.id),
        "channel": channel_data,
        "channel_id": str(channel.id),
        "member": member_payload(guild, member, permissions=True),
        "token": new_token("aW50ZXJhY3Rpb24"),
        "version": 1,
        "app_permissions": str(guild.permissions_of(fake.bot_user.id)),
        "locale": locale or user.locale,
        "guild_locale": guild.preferred_locale,
        "entitlements": [],
        "entitlement_sku_ids": [],
        "authorizing_integration_owners": {"0": str(guild.id)},
        "context": 0,
        "attachment_size_limit": guild.attachment_size_limit,
    }


def callback_response(fake: FakeDiscord, interaction: FakeInteraction, kind: int) -> dict:
    """The body of ``POST /interactions/{id}/{token}/callback?with_response=true``."""
    message = interaction.original
    callback: dict[str, Any] = {"id": str(interaction.id), "type": interaction.type}
    resource: dict[str, Any] = {"type": kind}
    if message is not None and kind in (4, 5, 6, 7):
        callback["response_message_id"] = str(message.id)
        callback["response_message_loading"] = message.loading
        callback["response_message_ephemeral"] = message.ephemeral
        if kind != 6:
            resource["message"] = message_payload(fake, message)
    return {"interaction": callback, "resource": resource}
