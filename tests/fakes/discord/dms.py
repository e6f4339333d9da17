"""Direct messages: the bot opens a DM channel (``POST /users/@me/channels``) and sends to it
like to any channel; a user who closed their DMs makes the send fail with 403 / 50007."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .members import UserKey
from .messages import create_message, validate
from .models import snowflake
from .payloads import INTENT_DIRECT_MESSAGES
from .records import FakeDMChannel, FakeMessage
from .wire import BODY, Body, DiscordError, form_error, json_response

if TYPE_CHECKING:
    from .server import FakeDiscord

DM = 1  # channel type


def dm_channel_payload(fake: FakeDiscord, channel: FakeDMChannel) -> dict:
    last = fake.channel_messages(channel.id)
    return {
        "id": str(channel.id),
        "type": DM,
        "last_message_id": str(last[-1].id) if last else None,
        "recipients": [fake.user(channel.user_id).payload()],
        "flags": 0,
    }


async def post_dm(fake: FakeDiscord, channel: FakeDMChannel, body: Body) -> FakeMessage:
    data = body.json if isinstance(body.json, dict) else {}
    validate(data, body.files, fake.dm_attachment_size_limit, creating=True)
    if not fake.user(channel.user_id).dms_open:
        raise DiscordError(403, 50007, "Cannot send messages to this user")
    return await create_message(
        fake,
        channel_id=channel.id,
        guild_id=None,
        data=data,
        files=body.files,
        via="channel",
        intent=INTENT_DIRECT_MESSAGES,
    )


class DirectMessages:
    """Mixed into :class:`FakeDiscord`."""

    dm_channels: dict[int, FakeDMChannel]

    def dm_channel_of(self: FakeDiscord, user: UserKey) -> FakeDMChannel | None:
        """The DM channel the bot opened with ``user``, if it did."""
        user_id = self.find_user(user).id
        return next((c for c in self.dm_channels.values() if c.user_id == user_id), None)

    def dms(self: FakeDiscord, user: UserKey) -> list[FakeMessage]:
        """The messages the bot sent ``user`` in DMs, oldest first."""
        channel = self.dm_channel_of(user)
        return [] if channel is None else self.channel_messages(channel.id)

    def close_dms(self: FakeDiscord, user: UserKey, closed: bool = True) -> None:
        """From now on the bot's DMs to ``user`` fail with 403 / 50007."""
        self.find_user(user).dms_open = not closed

    async def wait_for_dm(
        self: FakeDiscord,
        user: UserKey,
        predicate: Callable[[FakeMessage], Any] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> FakeMessage:
        def check() -> FakeMessage | None:
            return next((m for m in self.dms(user) if predicate is None or predicate(m)), None)

        return await self.wait_for(check, timeout, f"a DM to {user!r}")


class DMRoutes:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    def add_to(self, app: web.Application, api: str) -> None:
        app.router.add_post(f"{api}/users/@me/channels", self.open)

    async def open(self, request: web.Request) -> web.Response:
        """Opening a DM always works on Discord (even with DMs closed); sending may not."""
        fake = self.fake
        fake.require_bot(request)
        body = request[BODY].json if isinstance(request[BODY].json, dict) else {}
        try:
            user = fake.user(int(body.get("recipient_id")))
        except (KeyError, TypeError, ValueError):
            raise form_error(
                {"recipient_id": ("NUMBER_TYPE_COERCE", "Value is not snowflake.")}
            ) from None
        if user.bot:
            raise DiscordError(400, 50007, "Cannot send messages to this user")
        channel = fake.dm_channel_of(user)
        if channel is None:
            channel = FakeDMChannel(snowflake(), user.id, fake.monotonic())
            fake.dm_channels[channel.id] = channel
            fake.notify()
        return json_response(dm_channel_payload(fake, channel))
