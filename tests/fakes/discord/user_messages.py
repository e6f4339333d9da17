"""Messages members post in a guild channel (text, files, embeds), for the bot to act on, e.g.
through a message context menu. As on Discord, MESSAGE_CREATE reaches sessions with the
GUILD_MESSAGES intent, and those without MESSAGE_CONTENT get it with its content, embeds,
attachments and components emptied, unless it mentions the bot."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .members import GuildKey, UserKey
from .message_payloads import message_payload
from .messages import MAX_CONTENT, MAX_FILES, record_revision
from .models import snowflake
from .options import FileSpec
from .payloads import INTENT_GUILD_MESSAGES, member_payload, new_attachment
from .records import FakeMessage

if TYPE_CHECKING:
    from .actions import ChannelKey
    from .server import FakeDiscord


class UserMessages:
    """Mixed into :class:`FakeDiscord`."""

    async def post_message(
        self: FakeDiscord,
        user: UserKey,
        content: str = "",
        *,
        channel: ChannelKey = None,
        guild: GuildKey = None,
        attachments: Iterable[FileSpec] = (),
        embeds: Iterable[dict] = (),
    ) -> FakeMessage:
        """``user`` posts a message (by default in the first guild's first text channel);
        files are ``(filename, bytes[, content type])``."""
        found, where, who = self._where(guild, channel, user)
        files, embed_list = list(attachments), list(embeds)
        if len(content) > MAX_CONTENT or len(files) > MAX_FILES:
            raise ValueError("the Discord client would not send this message")
        if not (content.strip() or files or embed_list):
            raise ValueError("the Discord client sends no empty message")
        message = FakeMessage(
            id=snowflake(),
            channel_id=where.id,
            guild_id=found.id,
            author_id=who.id,
            type=0,
            created_at=self.monotonic(),
            content=content,
            embeds=embed_list,
        )
        for filename, data, *declared in files:
            kind = declared[0] if declared else None
            stored = new_attachment(where.id, filename, data, kind, trust_declared=bool(kind))
            self.attachments[stored.id] = stored
            message.attachments.append(stored)
        record_revision(self, message, "user")
        self.messages[message.id] = message
        payload = message_payload(self, message)
        author = member_payload(found, found.member(who.id))
        author.pop("user")
        payload["member"] = author
        mentioned = f"<@{self.bot_user.id}>" in content
        if mentioned:
            payload["mentions"] = [self.bot_user.payload()]
        hidden = None
        if not mentioned:
            empty = {"content": "", "embeds": [], "attachments": [], "components": []}
            hidden = {**payload, **empty}
        await self.dispatch(
            "MESSAGE_CREATE", payload, INTENT_GUILD_MESSAGES, without_content=hidden
        )
        self.notify()
        return message
