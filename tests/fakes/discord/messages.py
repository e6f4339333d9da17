"""Creating, editing and deleting messages under Discord's rules (lengths, files, API v10
``attachments`` semantics)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .message_payloads import message_payload
from .models import snowflake
from .payloads import INTENT_GUILD_MESSAGES, new_attachment
from .records import (
    EPHEMERAL,
    LOADING,
    FakeMessage,
    MessageRevision,
    StoredAttachment,
    UploadedFile,
)
from .wire import DiscordError, form_error, too_large

if TYPE_CHECKING:
    from .server import FakeDiscord

MAX_CONTENT = 2000
MAX_FILES = 10
SUPPRESS_EMBEDS = 1 << 2
SUPPRESS_NOTIFICATIONS = 1 << 12
COMPONENTS_V2 = 1 << 15
EMBED_LIMITS = {"title": 256, "description": 4096}


def _embed_problems(embeds: list[dict]) -> dict[str, tuple[str, str]]:
    problems: dict[str, tuple[str, str]] = {}
    if len(embeds) > 10:
        problems["embeds"] = ("BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    for n, embed in enumerate(embeds):
        for key, limit in EMBED_LIMITS.items():
            text = embed.get(key) or ""
            total += len(text)
            if len(text) > limit:
                problems[f"embeds.{n}.{key}"] = (
                    "BASE_TYPE_MAX_LENGTH",
                    f"Must be {limit} or fewer in length.",
                )
        fields = embed.get("fields") or []
        if len(fields) > 25:
            problems[f"embeds.{n}.fields"] = (
                "BASE_TYPE_MAX_LENGTH",
                "Must be 25 or fewer in length.",
            )
        for field in fields:
            total += len(field.get("name") or "") + len(field.get("value") or "")
        total += len((embed.get("footer") or {}).get("text") or "")
        total += len((embed.get("author") or {}).get("name") or "")
    if total > 6000:
        problems["embeds"] = ("MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
    return problems


def _component_problems(components: list[dict], flags: int) -> dict[str, tuple[str, str]]:
    problems: dict[str, tuple[str, str]] = {}
    if flags & COMPONENTS_V2:
        return problems  # layout components: only custom ids are checked below
    if len(components) > 5:
        problems["components"] = ("BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    for n, row in enumerate(components):
        children = row.get("components") or []
        if row.get("type") == 1 and len(children) > 5:
            problems[f"components.{n}.components"] = (
                "BASE_TYPE_MAX_LENGTH",
                "Must be 5 or fewer in length.",
            )
        for m, child in enumerate(children):
            custom_id = child.get("custom_id")
            if custom_id is not None and len(custom_id) > 100:
                problems[f"components.{n}.components.{m}.custom_id"] = (
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 100 or fewer in length.",
                )
    return problems


def validate(data: dict, files: list[UploadedFile], size_limit: int, *, creating: bool) -> None:
    """Raise what Discord answers for an invalid message body."""
    if len(files) > MAX_FILES:
        raise form_error(
            {"attachments": ("BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")}
        )
    if any(f.size > size_limit for f in files):
        raise too_large()
    problems: dict[str, tuple[str, str]] = {}
    content = data.get("content")
    if content is not None and len(str(content)) > MAX_CONTENT:
        problems["content"] = ("BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CONTENT} or fewer in length.")
    problems.update(_embed_problems(data.get("embeds") or []))
    problems.update(_component_problems(data.get("components") or [], int(data.get("flags") or 0)))
    if problems:
        raise form_error(problems)
    if creating and not (
        str(content or "").strip()
        or data.get("embeds")
        or files
        or data.get("components")
        or data.get("sticker_ids")
        or data.get("poll")
    ):
        raise DiscordError(400, 50006, "Cannot send an empty message")


def _number_components(components: list[dict]) -> list[dict]:
    """Discord gives every component a numeric ``id`` when it is absent."""
    counter = 0

    def walk(items: list[dict]) -> None:
        nonlocal counter
        for item in items:
            counter += 1
            item.setdefault("id", counter)
            walk(item.get("components") or [])

    walk(components)
    return components


def _attachments(
    channel_id: int,
    listed: list[dict] | None,
    files: list[UploadedFile],
    existing: list[StoredAttachment],
) -> list[StoredAttachment]:
    """API v10: when ``attachments`` is given it lists every attachment to keep (by id) and
    describes new ones (id = the ``files[n]`` index); files it does not mention are added."""
    by_index = {f.index: f for f in files}
    used: set[int] = set()
    result: list[StoredAttachment] = []
    if listed is None:
        result.extend(existing)
    else:
        known = {a.id: a for a in existing}
        for n, entry in enumerate(listed):
            ident = int(entry.get("id", -1))
            if ident in known:
                result.append(known[ident])
            elif ident in by_index and ident not in used:
                file = by_index[ident]
                used.add(ident)
                result.append(
                    new_attachment(
                        channel_id,
                        entry.get("filename") or file.filename,
                        file.data,
                        file.content_type,
                        description=entry.get("description"),
                    )
                )
            else:
                raise form_error(
                    {f"attachments.{n}.id": ("ATTACHMENT_NOT_FOUND", "Unknown attachment")}
                )
    for file in files:
        if file.index not in used:
            result.append(new_attachment(channel_id, file.filename, file.data, file.content_type))
    if len(result) > MAX_FILES:
        raise form_error(
            {"attachments": ("BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")}
        )
    return result


def record_revision(fake: FakeDiscord, message: FakeMessage, via: str) -> None:
    message.history.append(
        MessageRevision(
            at=fake.monotonic(),
            content=message.content,
            embeds=list(message.embeds),
            components=list(message.components),
            attachments=list(message.attachments),
            flags=message.flags,
            via=via,
        )
    )


async def create_message(
    fake: FakeDiscord,
    *,
    channel_id: int,
    guild_id: int | None,
    data: dict[str, Any],
    files: list[UploadedFile],
    via: str,
    interaction_id: int | None = None,
    message_type: int = 0,
    allowed_flags: int = SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | COMPONENTS_V2,
    extra_flags: int = 0,
    intent: int = INTENT_GUILD_MESSAGES,
) -> FakeMessage:
    """Store a message written by the bot (through its token or an interaction webhook)."""
    flags = (int(data.get("flags") or 0) & allowed_flags) | extra_flags
    message = FakeMessage(
        id=snowflake(),
        channel_id=channel_id,
        guild_id=guild_id,
        author_id=fake.bot_user.id,
        type=message_type,
        created_at=fake.monotonic(),
        content=str(data.get("content") or ""),
        embeds=list(data.get("embeds") or []),
        components=_number_components(list(data.get("components") or [])),
        flags=flags,
        interaction_id=interaction_id,
        webhook_id=fake.application_id if interaction_id is not None else None,
        reference=data.get("message_reference"),
        nonce=None if data.get("nonce") is None else str(data["nonce"]),
    )
    message.attachments = _attachments(channel_id, data.get("attachments"), files, [])
    for attachment in message.attachments:
        fake.attachments[attachment.id] = attachment
    record_revision(fake, message, via)
    fake.messages[message.id] = message
    if not message.ephemeral:
        await fake.dispatch("MESSAGE_CREATE", message_payload(fake, message), intent)
    fake.notify()
    return message


async def edit_message(
    fake: FakeDiscord,
    message: FakeMessage,
    data: dict[str, Any],
    files: list[UploadedFile],
    via: str,
) -> FakeMessage:
    """Apply an edit; only the fields present change. Ephemerality never changes; the
    "thinking" state of a deferred response ends. Nothing changes if the edit is refused."""
    attachments = message.attachments
    if "attachments" in data or files:
        listed = data.get("attachments") if "attachments" in data else None
        attachments = _attachments(message.channel_id, listed, files, message.attachments)
    for gone in {a.id for a in message.attachments} - {a.id for a in attachments}:
        fake.attachments.pop(gone, None)
    for attachment in attachments:
        fake.attachments[attachment.id] = attachment
    message.attachments = attachments
    if "content" in data:
        message.content = str(data["content"] or "")
    if "embeds" in data:
        message.embeds = list(data["embeds"] or [])
    if "components" in data:
        message.components = _number_components(list(data["components"] or []))
    if "flags" in data and data["flags"] is not None:
        requested = int(data["flags"]) & (SUPPRESS_EMBEDS | COMPONENTS_V2)
        message.flags = (message.flags & (EPHEMERAL | COMPONENTS_V2)) | requested
    message.flags &= ~LOADING
    message.edited_at = fake.monotonic()
    record_revision(fake, message, via)
    if not message.ephemeral:
        await fake.dispatch("MESSAGE_UPDATE", message_payload(fake, message), INTENT_GUILD_MESSAGES)
    fake.notify()
    return message


async def delete_message(fake: FakeDiscord, message: FakeMessage) -> None:
    message.deleted = True
    fake.messages.pop(message.id, None)
    fake.deleted_messages.append(message)
    for attachment in message.attachments:
        fake.attachments.pop(attachment.id, None)
    if not message.ephemeral:
        event = {"id": str(message.id), "channel_id": str(message.channel_id)}
        if message.guild_id is not None:
            event["guild_id"] = str(message.guild_id)
        await fake.dispatch("MESSAGE_DELETE", event, INTENT_GUILD_MESSAGES)
    fake.notify()
