"""REST routes that write messages: interaction callbacks, interaction webhooks (original
response, follow-ups) and channel messages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .dms import post_dm
from .message_payloads import callback_response, message_payload
from .messages import (
    COMPONENTS_V2,
    SUPPRESS_EMBEDS,
    SUPPRESS_NOTIFICATIONS,
    create_message,
    delete_message,
    edit_message,
    validate,
)
from .modals import parse_modal
from .models import ATTACH_FILES, SEND_MESSAGES, VIEW_CHANNEL
from .records import EPHEMERAL, LOADING, FakeInteraction, FakeMessage
from .wire import BODY, Body, DiscordError, form_error, json_response, unknown

if TYPE_CHECKING:
    from .server import FakeDiscord

# Callback types each interaction type accepts (2 command, 3 component, 4 autocomplete, 5 modal
# submit): a modal (9) answers neither a modal submit nor an autocomplete.
# How long Discord remembers a nonce for enforce_nonce ("the past few minutes").
NONCE_WINDOW = 300.0

ALLOWED_CALLBACKS = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true")


class MessageRoutes:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    def add_to(self, app: web.Application, api: str) -> None:
        r = app.router
        r.add_post(f"{api}/interactions/{{interaction_id}}/{{token}}/callback", self.callback)
        hook = f"{api}/webhooks/{{application_id}}/{{token}}"
        r.add_post(hook, self.followup)
        r.add_get(f"{hook}/messages/{{message_id}}", self.get_webhook_message)
        r.add_patch(f"{hook}/messages/{{message_id}}", self.edit_webhook_message)
        r.add_delete(f"{hook}/messages/{{message_id}}", self.delete_webhook_message)
        channel = f"{api}/channels/{{channel_id}}/messages"
        r.add_get(channel, self.history)
        r.add_post(channel, self.post_message)
        r.add_get(f"{channel}/{{message_id}}", self.get_channel_message)
        r.add_patch(f"{channel}/{{message_id}}", self.edit_channel_message)
        r.add_delete(f"{channel}/{{message_id}}", self.delete_channel_message)

    def _size_limit(self, guild_id: int | None) -> int:
        guild = self.fake.guild_by_id(guild_id) if guild_id else None
        return guild.attachment_size_limit if guild else self.fake.dm_attachment_size_limit

    # --- interaction callbacks ---------------------------------------------------------------

    async def callback(self, request: web.Request) -> web.Response:
        fake = self.fake
        interaction = fake.interactions.get(int(request.match_info["interaction_id"]))
        if interaction is None or interaction.token != request.match_info["token"]:
            raise unknown("interaction", 10062)
        try:
            kind = await self._answer(interaction, request[BODY])
        except DiscordError as error:
            interaction.rejected_callbacks.append(error.status)
            fake.notify()
            raise
        if not _truthy(request.query.get("with_response")):
            return json_response(None)
        return json_response(callback_response(fake, interaction, kind))

    async def _answer(self, interaction: FakeInteraction, body: Body) -> int:
        fake = self.fake
        if interaction.acknowledged:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        if fake.monotonic() - interaction.dispatched_at > fake.interaction_deadline:
            raise unknown("interaction", 10062)
        payload = body.json if isinstance(body.json, dict) else {}
        kind = payload.get("type")
        if kind not in ALLOWED_CALLBACKS.get(interaction.type, set()):
            raise form_error(
                {"type": ("INTERACTION_RESPONSE_TYPE_INVALID", "Invalid interaction response type")}
            )
        data = payload.get("data") or {}
        limit = self._size_limit(interaction.guild_id)
        target = None
        if kind in (4, 7):
            validate(data, body.files, limit, creating=kind == 4)
        if kind == 5:
            flags = int(data.get("flags") or 0)
            if flags & ~EPHEMERAL or set(data) - {"flags"} or body.files:
                message = "A deferred response only takes flags=64"
                raise form_error({"data": ("INTERACTION_DEFER_INVALID", message)})
        if kind in (6, 7):
            target = fake.messages.get(interaction.message_id or 0)
            # A modal submit may always be acknowledged with 6, with or without a message.
            if target is None and not (kind == 6 and interaction.type == 5):
                raise unknown("Message", 10008)
        modal = parse_modal(data) if kind == 9 else None
        if kind == 8 and len(data.get("choices") or []) > 25:
            message = "Must be 25 or fewer in length."
            raise form_error({"data.choices": ("BASE_TYPE_MAX_LENGTH", message)})
        # Acknowledged from here on (before any await), so a concurrent second callback fails.
        interaction.callback_type = kind
        interaction.callback_at = fake.monotonic()
        interaction.callback_data = data
        interaction.modal = modal
        try:
            await self._respond(interaction, kind, data, body, target)
        except DiscordError:
            interaction.callback_type = interaction.callback_at = interaction.callback_data = None
            interaction.modal = None
            raise
        fake.notify()
        return kind

    async def _respond(
        self, interaction: FakeInteraction, kind: int, data: dict, body: Body, target
    ) -> None:
        fake = self.fake
        common = {
            "channel_id": interaction.channel_id,
            "guild_id": interaction.guild_id,
            "via": "callback",
            "interaction_id": interaction.id,
            "message_type": interaction.response_message_type,
        }
        if kind == 4:
            flags = EPHEMERAL | SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | COMPONENTS_V2
            message = await create_message(
                fake, **common, data=data, files=body.files, allowed_flags=flags
            )
            interaction.response_message_id = message.id
        elif kind == 5:
            flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
            message = await create_message(fake, **common, data={}, files=[], extra_flags=flags)
            interaction.response_message_id = message.id
        elif target is not None:  # 6 and 7: the message the component is on
            interaction.response_message_id = target.id
            if kind == 7:
                await edit_message(fake, target, data, body.files, via="callback")

    # --- interaction webhooks -----------------------------------------------------------------

    def _webhook_interaction(self, request: web.Request) -> FakeInteraction:
        fake = self.fake
        if request.match_info["application_id"] != str(fake.application_id):
            raise unknown("Webhook", 10015)
        interaction = fake.interaction_by_token(request.match_info["token"])
        if interaction is None or interaction.token_expired:
            raise DiscordError(401, 50027, "Invalid Webhook Token")
        if fake.monotonic() - interaction.dispatched_at > fake.token_lifetime:
            raise DiscordError(401, 50027, "Invalid Webhook Token")
        if not interaction.acknowledged:
            raise unknown("Webhook", 10015)
        return interaction

    def _webhook_message(self, request: web.Request) -> tuple[FakeInteraction, FakeMessage]:
        interaction = self._webhook_interaction(request)
        raw = request.match_info["message_id"]
        if raw == "@original":
            message_id = interaction.response_message_id
        else:
            message_id = int(raw) if raw.isdigit() else None
            if message_id not in (interaction.response_message_id, *interaction.followup_ids):
                message_id = None
        message = self.fake.messages.get(message_id or 0)
        if message is None:
            raise unknown("Message", 10008)
        return interaction, message

    async def followup(self, request: web.Request) -> web.Response:
        fake = self.fake
        interaction = self._webhook_interaction(request)
        body: Body = request[BODY]
        data = body.json if isinstance(body.json, dict) else {}
        validate(data, body.files, self._size_limit(interaction.guild_id), creating=True)
        message = await create_message(
            fake,
            channel_id=interaction.channel_id,
            guild_id=interaction.guild_id,
            data=data,
            files=body.files,
            via="webhook",
            interaction_id=interaction.id,
            message_type=interaction.response_message_type,
            allowed_flags=EPHEMERAL | SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | COMPONENTS_V2,
        )
        interaction.followup_ids.append(message.id)
        fake.notify()
        if not _truthy(request.query.get("wait")):
            return json_response(None)
        return json_response(message_payload(fake, message))

    async def get_webhook_message(self, request: web.Request) -> web.Response:
        _, message = self._webhook_message(request)
        return json_response(message_payload(self.fake, message))

    async def edit_webhook_message(self, request: web.Request) -> web.Response:
        interaction, message = self._webhook_message(request)
        body: Body = request[BODY]
        data = body.json if isinstance(body.json, dict) else {}
        validate(data, body.files, self._size_limit(interaction.guild_id), creating=False)
        await edit_message(self.fake, message, data, body.files, via="webhook")
        return json_response(message_payload(self.fake, message))

    async def delete_webhook_message(self, request: web.Request) -> web.Response:
        _, message = self._webhook_message(request)
        await delete_message(self.fake, message)
        return json_response(None)

    # --- channel messages (bot token) ----------------------------------------------------------

    def _channel_message(self, request: web.Request) -> FakeMessage:
        """Ephemeral messages are not channel messages: the channel routes never see them."""
        channel_id = self._channel_id(request)
        raw = request.match_info["message_id"]
        message = self.fake.messages.get(int(raw)) if raw.isdigit() else None
        if message is None or message.channel_id != channel_id or message.ephemeral:
            raise unknown("Message", 10008)
        return message

    def _channel_id(self, request: web.Request) -> int:
        """A guild channel or a DM channel the bot opened."""
        self.fake.require_bot(request)
        channel_id = int(request.match_info["channel_id"])
        if channel_id not in self.fake.dm_channels:
            self.fake.channel(channel_id)
        return channel_id

    async def history(self, request: web.Request) -> web.Response:
        channel_id = self._channel_id(request)
        limit = max(1, min(100, int(request.query.get("limit", "50"))))
        found = [
            m for m in self.fake.messages.values() if m.channel_id == channel_id and not m.ephemeral
        ]
        found.sort(key=lambda m: m.id, reverse=True)
        return json_response([message_payload(self.fake, m) for m in found[:limit]])

    async def post_message(self, request: web.Request) -> web.Response:
        fake = self.fake
        fake.require_bot(request)
        body: Body = request[BODY]
        if dm := fake.dm_channels.get(int(request.match_info["channel_id"])):
            return json_response(message_payload(fake, await post_dm(fake, dm, body)))
        guild, channel = fake.channel(int(request.match_info["channel_id"]))
        data = body.json if isinstance(body.json, dict) else {}
        permissions = guild.permissions_of(fake.bot_user.id)
        needed = VIEW_CHANNEL | SEND_MESSAGES | (ATTACH_FILES if body.files else 0)
        if permissions & needed != needed:
            raise DiscordError(403, 50013, "Missing Permissions")
        validate(data, body.files, guild.attachment_size_limit, creating=True)
        if twin := self._same_nonce(channel.id, data):
            # Discord's enforce_nonce: the message this nonce made lately, not a second one.
            return json_response(message_payload(fake, twin))
        message = await create_message(
            fake,
            channel_id=channel.id,
            guild_id=guild.id,
            data=data,
            files=body.files,
            via="channel",
            message_type=19 if data.get("message_reference") else 0,
        )
        return json_response(message_payload(fake, message))

    def _same_nonce(self, channel_id: int, data: dict) -> FakeMessage | None:
        nonce = data.get("nonce")
        if nonce is None or not data.get("enforce_nonce"):
            return None
        since = self.fake.monotonic() - NONCE_WINDOW
        for message in self.fake.messages.values():
            if (
                message.channel_id == channel_id
                and message.nonce == str(nonce)
                and message.author_id == self.fake.bot_user.id
                and message.created_at >= since
                and not message.deleted
            ):
                return message
        return None

    async def get_channel_message(self, request: web.Request) -> web.Response:
        return json_response(message_payload(self.fake, self._channel_message(request)))

    async def edit_channel_message(self, request: web.Request) -> web.Response:
        message = self._channel_message(request)
        if message.author_id != self.fake.bot_user.id:
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        body: Body = request[BODY]
        data = body.json if isinstance(body.json, dict) else {}
        validate(data, body.files, self._size_limit(message.guild_id), creating=False)
        await edit_message(self.fake, message, data, body.files, via="channel")
        return json_response(message_payload(self.fake, message))

    async def delete_channel_message(self, request: web.Request) -> web.Response:
        await delete_message(self.fake, self._channel_message(request))
        return json_response(None)
