"""The JSON objects the fake sends: users, members, READY, GUILD_CREATE, the application and
attachments (messages and interactions are in ``message_payloads``)."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import io
import mimetypes
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from PIL import Image, UnidentifiedImageError

from .models import DISCORD_EPOCH_MS, FakeGuild, FakeMember, snowflake
from .records import GatewaySession, StoredAttachment

if TYPE_CHECKING:
    from .server import FakeDiscord

INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES | INTENT_MESSAGE_CONTENT


def iso(timestamp: float) -> str:
    when = datetime.datetime.fromtimestamp(timestamp, datetime.UTC)
    return when.isoformat(timespec="microseconds")


def snowflake_time(value: int) -> float:
    return ((value >> 22) + DISCORD_EPOCH_MS) / 1000


def new_token(prefix: str) -> str:
    return f"{prefix}.{secrets.token_urlsafe(48)}"


# --- users, guilds, gateway -------------------------------------------------------------


def member_payload(guild: FakeGuild, member: FakeMember, *, permissions: bool = False) -> dict:
    data = member.payload()
    if permissions:
        data["permissions"] = str(guild.permissions_of(member.user.id))
    return data


def guild_payload(guild: FakeGuild, *, bot_id: int, intents: int) -> dict:
    """A full GUILD_CREATE payload. Members are all listed only with the GUILD_MEMBERS intent,
    as on Discord; otherwise only the bot's own member is."""
    if intents & INTENT_GUILD_MEMBERS:
        members = guild.members
    else:
        members = [m for m in guild.members if m.user.id == bot_id]
    text_channels = [c for c in guild.channels if c.type == 0]
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(guild.owner_id),
        "region": None,
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": guild.premium_tier,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": guild.preferred_locale,
        "features": [],
        "system_channel_id": str(text_channels[0].id) if text_channels else None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "max_members": 500000,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "nsfw": False,
        "roles": [r.payload() for r in guild.all_roles()],
        "emojis": [],
        "stickers": [],
        "soundboard_sounds": [],
        "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "large": False,
        "unavailable": False,
        "lazy": True,
        "member_count": len(guild.members),
        "members": [member_payload(guild, m) for m in members],
        "channels": [c.payload() for c in guild.channels],
        "threads": [],
        "presences": [],
        "voice_states": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "incidents_data": None,
    }


def ready_payload(
    fake: FakeDiscord, session: GatewaySession, guilds: list[FakeGuild], shard: list[int] | None
) -> dict:
    """READY lists (as unavailable) only the guilds of the session's shard."""
    user = fake.bot_user.payload()
    user.update({"verified": True, "mfa_enabled": False, "email": None})
    data: dict[str, Any] = {
        "v": 10,
        "user": user,
        "user_settings": {},
        "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": ["fake"],
        "session_type": "normal",
        "session_id": session.session_id,
        "resume_gateway_url": fake.gateway_url,
        "application": {"id": str(fake.application_id), "flags": fake.application_flags},
        "auth_session_id_hash": "",
        "_trace": ['["fake-discord-gateway",{"micros":1}]'],
    }
    if shard is not None:
        data["shard"] = shard
    return data


def application_payload(fake: FakeDiscord) -> dict:
    owner = fake.owner_user.payload()
    return {
        "id": str(fake.application_id),
        "name": fake.bot_user.name,
        "icon": None,
        "description": "",
        "summary": "",
        "type": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": fake.application_flags,
        "owner": owner,
        "team": None,
        "bot": fake.bot_user.payload(),
        "tags": [],
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "approximate_guild_count": len(fake.guilds),
        "integration_types_config": {"0": {}},
    }


# --- attachments -------------------------------------------------------------------------


def sniff_file(
    filename: str, data: bytes, declared: str | None
) -> tuple[str | None, int | None, int | None]:
    """Content type and image size the way Discord derives them: from the bytes, not from the
    type the client declared (discord.py always declares application/octet-stream)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return Image.MIME.get(image.format or ""), image.width, image.height
    except (UnidentifiedImageError, OSError, ValueError):
        pass  # not an image
    guessed, _ = mimetypes.guess_type(filename)
    if guessed is not None:
        return guessed, None, None
    if declared and declared != "application/octet-stream":
        return declared, None, None
    return None, None, None


def clean_filename(filename: str) -> str:
    """Discord drops any path and replaces spaces."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip() or "unknown"
    return name.replace(" ", "_")


def new_attachment(
    channel_id: int,
    filename: str,
    data: bytes,
    declared: str | None,
    *,
    description=None,
    ephemeral=False,
    trust_declared=False,
) -> StoredAttachment:
    name = clean_filename(filename)
    content_type, width, height = sniff_file(name, data, declared)
    if trust_declared and declared:
        content_type = declared
    return StoredAttachment(
        id=snowflake(),
        channel_id=channel_id,
        filename=name,
        content_type=content_type,
        data=data,
        width=width,
        height=height,
        description=description,
        ephemeral=ephemeral,
    )


def cdn_signature(secret: bytes, path: str, expires: int, issued: int) -> str:
    return hmac.new(secret, f"{path}|{expires:x}|{issued:x}".encode(), hashlib.sha256).hexdigest()


def attachment_path(attachment: StoredAttachment) -> str:
    """Files a user gave a command option or a modal live under ``/ephemeral-attachments``,
    as on Discord's CDN; the rest under ``/attachments``."""
    root = "ephemeral-attachments" if attachment.ephemeral else "attachments"
    return f"/{root}/{attachment.channel_id}/{attachment.id}/{quote(attachment.filename)}"


def attachment_url(fake: FakeDiscord, attachment: StoredAttachment) -> str:
    """A signed, expiring URL like Discord's CDN (``?ex=…&is=…&hm=…``)."""
    path = attachment_path(attachment)
    issued = int(fake.now())
    expires = issued + int(fake.attachment_url_lifetime)
    signature = cdn_signature(fake.cdn_secret, path, expires, issued)
    return f"{fake.base_url}{path}?ex={expires:x}&is={issued:x}&hm={signature}&"


# Attachment flags (https://discord.com/developers/docs/resources/message#attachment-object).
IS_SPOILER = 1 << 3


def attachment_payload(fake: FakeDiscord, attachment: StoredAttachment) -> dict:
    url = attachment_url(fake, attachment)
    data: dict[str, Any] = {
        "id": str(attachment.id),
        "filename": attachment.filename,
        "size": attachment.size,
        "url": url,
        "proxy_url": url,
    }
    if attachment.content_type is not None:
        data["content_type"] = attachment.content_type
    if attachment.width is not None:
        data["width"] = attachment.width
        data["height"] = attachment.height
    if attachment.description is not None:
        data["description"] = attachment.description
    if attachment.ephemeral:
        data["ephemeral"] = True
    if attachment.spoiler:
        data["flags"] = IS_SPOILER
    return data
