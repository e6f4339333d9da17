"""REST routes other than messages: login, gateway discovery, application commands,
guild/channel/user look-ups, and the CDN that serves attachments."""

from __future__ import annotations

import hmac
import re
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit

from aiohttp import web

from .commands import command_problems, stored_command, too_many
from .dms import dm_channel_payload
from .payloads import (
    application_payload,
    attachment_path,
    attachment_url,
    cdn_signature,
    guild_payload,
    member_payload,
)
from .wire import BODY, DiscordError, form_error, json_response, unknown

if TYPE_CHECKING:
    from .server import FakeDiscord

CDN_PATH = re.compile(
    r"^/(?:ephemeral-)?attachments/(?P<channel>\d+)/(?P<attachment>\d+)/(?P<filename>[^/]+)$"
)


class CoreRoutes:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    def add_to(self, app: web.Application, api: str) -> None:
        r = app.router
        r.add_get(f"{api}/gateway", self.gateway)
        r.add_get(f"{api}/gateway/bot", self.gateway_bot)
        r.add_get(f"{api}/users/@me", self.me)
        r.add_get(f"{api}/users/{{user_id}}", self.get_user)
        r.add_get(f"{api}/oauth2/applications/@me", self.application)
        r.add_get(f"{api}/applications/@me", self.application)
        for scope in ("", "/guilds/{guild_id}"):
            base = f"{api}/applications/{{application_id}}{scope}/commands"
            r.add_get(base, self.list_commands)
            r.add_put(base, self.bulk_overwrite)
            r.add_post(base, self.create_command)
            r.add_get(f"{base}/{{command_id}}", self.get_command)
            r.add_delete(f"{base}/{{command_id}}", self.delete_command)
        r.add_get(f"{api}/guilds/{{guild_id}}", self.get_guild)
        r.add_get(f"{api}/guilds/{{guild_id}}/channels", self.guild_channels)
        r.add_get(f"{api}/guilds/{{guild_id}}/members/{{user_id}}", self.get_member)
        r.add_get(f"{api}/channels/{{channel_id}}", self.get_channel)
        r.add_post(f"{api}/channels/{{channel_id}}/typing", self.typing)
        r.add_post(f"{api}/attachments/refresh-urls", self.refresh_urls)
        for root in ("attachments", "ephemeral-attachments"):
            r.add_get(f"/{root}/{{channel_id}}/{{attachment_id}}/{{filename}}", self.cdn)

    # --- login and gateway discovery ------------------------------------------------------

    async def gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.fake.gateway_url})

    async def gateway_bot(self, request: web.Request) -> web.Response:
        self.fake.require_bot(request)
        limit = {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}
        return json_response(
            {
                "url": self.fake.gateway_url,
                "shards": self.fake.recommended_shards,
                "session_start_limit": limit,
            }
        )

    async def me(self, request: web.Request) -> web.Response:
        self.fake.require_bot(request)
        user = self.fake.bot_user.payload()
        user.update({"verified": True, "mfa_enabled": False, "email": None, "locale": "en-US"})
        return json_response(user)

    async def get_user(self, request: web.Request) -> web.Response:
        self.fake.require_bot(request)
        try:
            return json_response(self.fake.user(int(request.match_info["user_id"])).payload())
        except (KeyError, ValueError):
            raise unknown("User", 10013) from None

    async def application(self, request: web.Request) -> web.Response:
        self.fake.require_bot(request)
        return json_response(application_payload(self.fake))

    # --- application commands -------------------------------------------------------------

    def _scope(self, request: web.Request) -> int | None:
        self.fake.require_bot(request)
        if request.match_info["application_id"] != str(self.fake.application_id):
            raise DiscordError(403, 50001, "Missing Access")
        if "guild_id" not in request.match_info:
            return None
        guild = self.fake.guild_by_id(int(request.match_info["guild_id"]))
        if guild is None:
            raise DiscordError(403, 50001, "Missing Access")
        return guild.id

    async def list_commands(self, request: web.Request) -> web.Response:
        scope = self._scope(request)
        return json_response(self.fake.commands.get(scope, []))

    async def bulk_overwrite(self, request: web.Request) -> web.Response:
        scope = self._scope(request)
        payloads = request[BODY].json or []
        if not isinstance(payloads, list):
            raise form_error({"_errors": ("BASE_TYPE_ARRAY", "Must be an array.")})
        if problems := command_problems(payloads):
            raise form_error(problems)
        if error := too_many(payloads):
            raise error
        old = {(c["type"], c["name"]): c for c in self.fake.commands.get(scope, [])}
        stored = [
            stored_command(self.fake, scope, p, old.get((int(p.get("type", 1)), p["name"])))
            for p in payloads
        ]
        self.fake.commands[scope] = stored
        self.fake.notify()
        return json_response(stored)

    async def create_command(self, request: web.Request) -> web.Response:
        scope = self._scope(request)
        payload = request[BODY].json or {}
        if problems := command_problems([payload]):
            raise form_error({k.split(".", 1)[1]: v for k, v in problems.items()})
        commands = self.fake.commands.setdefault(scope, [])
        kind = int(payload.get("type", 1))
        old = next((c for c in commands if (c["type"], c["name"]) == (kind, payload["name"])), None)
        if old is None and (error := too_many([*commands, payload])):
            raise error
        command = stored_command(self.fake, scope, payload, old)
        if old is not None:
            commands[commands.index(old)] = command
        else:
            commands.append(command)
        self.fake.notify()
        return json_response(command, status=200 if old else 201)

    def _find_command(self, request: web.Request) -> tuple[int | None, dict]:
        scope = self._scope(request)
        for command in self.fake.commands.get(scope, []):
            if command["id"] == request.match_info["command_id"]:
                return scope, command
        raise unknown("application command", 10063)

    async def get_command(self, request: web.Request) -> web.Response:
        return json_response(self._find_command(request)[1])

    async def delete_command(self, request: web.Request) -> web.Response:
        scope, command = self._find_command(request)
        self.fake.commands[scope].remove(command)
        self.fake.notify()
        return json_response(None)

    # --- guilds, channels ---------------------------------------------------------------------

    def _guild(self, request: web.Request):
        self.fake.require_bot(request)
        guild = self.fake.guild_by_id(int(request.match_info["guild_id"]))
        if guild is None:
            raise unknown("Guild", 10004)
        return guild

    async def get_guild(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        data = guild_payload(guild, bot_id=self.fake.bot_user.id, intents=0)
        for key in ("members", "channels", "threads", "presences", "voice_states", "joined_at"):
            data.pop(key, None)
        return json_response(data)

    async def guild_channels(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        return json_response([c.payload(guild.id) for c in guild.channels])

    async def get_member(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        try:
            member = guild.member(int(request.match_info["user_id"]))
        except (KeyError, ValueError):
            raise unknown("Member", 10007) from None
        return json_response(member_payload(guild, member))

    async def get_channel(self, request: web.Request) -> web.Response:
        self.fake.require_bot(request)
        if dm := self.fake.dm_channels.get(int(request.match_info["channel_id"])):
            return json_response(dm_channel_payload(self.fake, dm))
        guild, channel = self.fake.channel(int(request.match_info["channel_id"]))
        return json_response(channel.payload(guild.id))

    async def typing(self, request: web.Request) -> web.Response:
        self.fake.require_bot(request)
        self.fake.channel(int(request.match_info["channel_id"]))
        return json_response(None)

    # --- the CDN ------------------------------------------------------------------------------

    async def refresh_urls(self, request: web.Request) -> web.Response:
        """Fresh signed URLs for (possibly expired) attachment URLs, up to 50 at a time. A URL
        that names no stored attachment comes back unchanged (it will still not load)."""
        self.fake.require_bot(request)
        body = request[BODY].json
        urls = body.get("attachment_urls") if isinstance(body, dict) else None
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
            raise form_error({"attachment_urls": ("BASE_TYPE_REQUIRED", "This field is required")})
        if not 1 <= len(urls) <= 50:
            message = "Must be between 1 and 50 in length."
            raise form_error({"attachment_urls": ("BASE_TYPE_BAD_LENGTH", message)})
        refreshed = [{"original": u, "refreshed": self._refreshed(u)} for u in urls]
        return json_response({"refreshed_urls": refreshed})

    def _refreshed(self, url: str) -> str:
        found = CDN_PATH.match(urlsplit(url).path)
        attachment = self.fake.attachments.get(int(found["attachment"])) if found else None
        if (
            found is None
            or attachment is None
            or str(attachment.channel_id) != found["channel"]
            or attachment.filename != unquote(found["filename"])
        ):
            return url
        return attachment_url(self.fake, attachment)

    async def cdn(self, request: web.Request) -> web.Response:
        """Serve an attachment's bytes if the signed URL is intact and has not expired, like
        Discord's CDN; anything else is a 404 "This content is no longer available."."""
        fake = self.fake
        attachment = fake.attachments.get(int(request.match_info["attachment_id"]))
        query = request.query
        ok = (
            attachment is not None
            and str(attachment.channel_id) == request.match_info["channel_id"]
        )
        ok = ok and attachment.filename == request.match_info["filename"]
        if ok:
            try:
                expires, issued = int(query["ex"], 16), int(query["is"], 16)
                expected = cdn_signature(
                    fake.cdn_secret, attachment_path(attachment), expires, issued
                )
                ok = hmac.compare_digest(expected, query["hm"]) and expires >= fake.now()
            except (KeyError, ValueError):
                ok = False
        fake.downloads.append((fake.monotonic(), quote(request.path), 200 if ok else 404))
        fake.notify()
        if not ok or attachment is None:
            return web.Response(status=404, text="This content is no longer available.")
        return web.Response(
            body=attachment.data, content_type=attachment.content_type or "application/octet-stream"
        )
