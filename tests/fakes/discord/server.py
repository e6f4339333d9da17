"""``FakeDiscord``: a loopback Discord (REST + gateway + CDN) for the unmodified discord.py."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time

from aiohttp import web

from .actions import InteractionActions
from .context_menus import ContextMenuActions
from .dms import DirectMessages, DMRoutes
from .edge import API, middleware, new_fault
from .gateway import RECONNECT, Gateway
from .members import MemberActions
from .modal_submit import ModalActions
from .models import (
    BOT_PERMISSIONS,
    DEFAULT_ATTACHMENT_SIZE_LIMIT,
    MIB,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
    default_guild,
    snowflake,
)
from .payloads import PRIVILEGED_INTENTS
from .payloads import attachment_url as signed_attachment_url
from .ratelimits import RateLimits
from .records import (
    FakeDMChannel,
    FakeInteraction,
    FakeMessage,
    FaultRule,
    GatewaySession,
    RecordedCall,
    StoredAttachment,
)
from .rest import CoreRoutes
from .rest_messages import MessageRoutes
from .sharding import MAX_GUILDS_PER_SHARD, recommended_shards
from .user_messages import UserMessages
from .waiting import Waiting
from .wire import DiscordError, unknown

log = logging.getLogger(__name__)
# Application flags for privileged intents (the "limited" ones unverified apps get).
INTENT_FLAGS = {1 << 1: 1 << 15, 1 << 8: 1 << 13, 1 << 15: 1 << 19}


class FakeDiscord(
    InteractionActions,
    ContextMenuActions,
    ModalActions,
    MemberActions,
    UserMessages,
    DirectMessages,
    Waiting,
):
    """Configure, ``await start()`` (or ``async with``), point discord.py at :attr:`api_base`
    and :attr:`gateway_url`, then drive users with :meth:`slash_command`, :meth:`press_button`…
    and assert on :attr:`calls`, :attr:`messages` and :attr:`interactions`."""

    def __init__(
        self,
        *,
        token: str = "fake-bot-token",
        bot_user: FakeUser | None = None,
        application_id: int | None = None,
        guilds: list[FakeGuild] | None = None,
        token_lifetime: float = 15 * 60,
        interaction_deadline: float = 3.0,
        heartbeat_interval: float = 41.25,
        attachment_url_lifetime: float = 24 * 3600,
        max_request_size: int = 25 * MIB,
        dm_attachment_size_limit: int = DEFAULT_ATTACHMENT_SIZE_LIMIT,
        allowed_intents: int = PRIVILEGED_INTENTS,
        require_registered_commands: bool = True,
        enforce_default_permissions: bool = False,
        rate_limits: bool = False,
        resume_window: float = 60.0,
        shards: int | None = None,
        max_guilds_per_shard: int = MAX_GUILDS_PER_SHARD,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.bot_user = bot_user or FakeUser("ImagineBot", bot=True)
        self.application_id = application_id or self.bot_user.id
        self.guilds = guilds if guilds is not None else [default_guild()]
        self.token_lifetime = token_lifetime
        self.interaction_deadline = interaction_deadline
        self.heartbeat_interval = heartbeat_interval
        self.attachment_url_lifetime = attachment_url_lifetime
        self.max_request_size = max_request_size
        self.dm_attachment_size_limit = dm_attachment_size_limit
        self.allowed_intents = allowed_intents
        self.require_registered_commands = require_registered_commands
        # Discord hides a command from members lacking its default_member_permissions, but a
        # server can override that, so by default the fake lets anyone invoke anything.
        self.enforce_default_permissions = enforce_default_permissions
        self.resume_window = resume_window
        self.shards = shards  # what GET /gateway/bot recommends; None: one per 1000 guilds
        self.max_guilds_per_shard = max_guilds_per_shard
        self.host, self.port = host, port
        self.cdn_secret = secrets.token_bytes(16)
        self.application_flags = sum(f for i, f in INTENT_FLAGS.items() if allowed_intents & i)
        for guild in self.guilds:
            if not guild.has_member(self.bot_user.id):
                role = FakeRole(self.bot_user.name, permissions=BOT_PERMISSIONS, managed=True)
                guild.roles.append(role)
                guild.members.append(FakeMember(self.bot_user, roles=[role.id]))

        self.calls: list[RecordedCall] = []
        self.messages: dict[int, FakeMessage] = {}
        self.deleted_messages: list[FakeMessage] = []
        self.interactions: dict[int, FakeInteraction] = {}
        self.attachments: dict[int, StoredAttachment] = {}
        self.commands: dict[int | None, list[dict]] = {}  # by guild id; None = global
        self.command_creates: dict[int | None, int] = {}
        self.downloads: list[tuple[float, str, int]] = []  # CDN fetches: (at, path, status)
        self.faults: list[FaultRule] = []
        self.rate_limits = RateLimits(self.monotonic, enabled=rate_limits)
        self.dm_channels: dict[int, FakeDMChannel] = {}
        self.internal_errors: list[BaseException] = []  # bugs in the fake itself
        self.held: list[str] = []  # paths applied whose answer is held back (``when="hold"``)
        self.identifies = 0
        self.gateway = Gateway(self)
        self._offset = 0.0
        self._changed = asyncio.Event()
        self._command_ids: dict[str, int] = {}
        self._runner: web.AppRunner | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        app = web.Application(
            middlewares=[middleware(self)], client_max_size=self.max_request_size * 2
        )
        CoreRoutes(self).add_to(app, API)
        MessageRoutes(self).add_to(app, API)
        DMRoutes(self).add_to(app, API)
        app.router.add_get("/gateway", self.gateway.handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self.gateway.close_all(1001)
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        """What ``discord.http.Route.BASE`` must be."""
        return f"{self.base_url}{API}"

    @property
    def gateway_url(self) -> str:
        """What ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` must be."""
        return f"ws://{self.host}:{self.port}/gateway"

    def env(self) -> dict[str, str]:
        """Environment for a bot process (see ``use_fake_discord`` for what it must do)."""
        return {
            "DISCORD_TOKEN": self.token,
            "DISCORD_API_BASE": self.api_base,
            "DISCORD_GATEWAY_URL": self.gateway_url,
        }

    # --- the clock -----------------------------------------------------------------------------

    def monotonic(self) -> float:
        return time.monotonic() + self._offset

    def now(self) -> float:
        return time.time() + self._offset

    def wall_time(self, at: float) -> float:
        return at - self.monotonic() + self.now()

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward: deadlines, token lifetimes and CDN links expire
        without the test sleeping."""
        self._offset += seconds
        self.notify()

    # --- look-ups ------------------------------------------------------------------------------

    @property
    def guild(self) -> FakeGuild:
        return self.guilds[0]

    @property
    def owner_user(self) -> FakeUser:
        return self.user(self.guilds[0].owner_id) if self.guilds else self.bot_user

    def guild_by_id(self, guild_id: int) -> FakeGuild | None:
        return next((g for g in self.guilds if g.id == guild_id), None)

    def channel(self, channel_id: int) -> tuple[FakeGuild, FakeChannel]:
        for guild in self.guilds:
            for channel in guild.channels:
                if channel.id == channel_id:
                    return guild, channel
        raise unknown("Channel", 10003)

    def user(self, user_id: int) -> FakeUser:
        if user_id == self.bot_user.id:
            return self.bot_user
        for guild in self.guilds:
            if guild.has_member(user_id):
                return guild.member(user_id).user
        raise KeyError(f"no user {user_id}")

    def message(self, message_id: int) -> FakeMessage | None:
        return self.messages.get(message_id)

    def channel_messages(self, channel_id: int) -> list[FakeMessage]:
        return sorted(
            (m for m in self.messages.values() if m.channel_id == channel_id), key=lambda m: m.id
        )

    def attachment_url(self, attachment: StoredAttachment) -> str:
        """A freshly signed CDN URL for a stored attachment, valid for
        :attr:`attachment_url_lifetime` on the fake's clock."""
        return signed_attachment_url(self, attachment)

    def interaction_by_token(self, token: str) -> FakeInteraction | None:
        return next((i for i in self.interactions.values() if i.token == token), None)

    def command(self, name: str, guild_id: int | None = None) -> dict | None:
        """A registered command in one scope (``None`` = global)."""
        return next((c for c in self.commands.get(guild_id, []) if c["name"] == name), None)

    def _unregistered_command_id(self, name: str) -> int:
        return self._command_ids.setdefault(name, snowflake())

    def calls_to(self, method: str | None = None, path: str | None = None) -> list[RecordedCall]:
        """Recorded calls by method and a regular expression searched in the path."""
        return [c for c in self.calls if c.matches(method, path)]

    @property
    def sessions(self) -> list[GatewaySession]:
        return list(self.gateway.sessions.values())

    @property
    def connected_sessions(self) -> list[GatewaySession]:
        return [s for s in self.sessions if s.ready and not s.closed]

    @property
    def recommended_shards(self) -> int:
        """The ``shards`` of ``GET /gateway/bot`` (what ``AutoShardedClient`` opens)."""
        return self.shards or recommended_shards(len(self.guilds))

    def require_bot(self, request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bot {self.token}":
            raise DiscordError(401, 0, "401: Unauthorized")

    # --- test controls -------------------------------------------------------------------------

    def expire_token(self, token: str) -> None:
        """From now on the interaction's webhook routes answer 401 / 50027."""
        interaction = self.interaction_by_token(token)
        if interaction is None:
            raise KeyError("unknown interaction token")
        interaction.token_expired = True

    def fail_next(
        self,
        method: str | None,
        path: str,
        status: int = 429,
        *,
        count: int = 1,
        retry_after: float = 0.05,
        is_global: bool = False,
        body: dict | None = None,
        disconnect: bool = False,
        when: str = "before",
    ) -> FaultRule:
        """Answer the next ``count`` requests whose path (relative to the API base) matches the
        regular expression ``path`` with ``status`` instead of handling them: 429 (with
        ``retry_after``), any 5xx, 413 (Discord's 40005 upload refusal) or another status with
        ``body``. With ``disconnect`` the connection is reset without an answer instead.

        ``when="after"`` applies the request first and then fails its answer (the client
        cannot know it went through); ``when="hold"`` applies it and never answers."""
        rule = new_fault(
            method, path, status, count, retry_after, is_global, body, disconnect, when
        )
        self.faults.append(rule)
        return rule

    def drop_next(
        self, method: str | None, path: str, *, count: int = 1, when: str = "before"
    ) -> FaultRule:
        """Reset the connection of the next ``count`` matching requests (no HTTP answer);
        ``when="after"``: once each was applied."""
        return self.fail_next(method, path, 0, count=count, disconnect=True, when=when)

    def enable_rate_limits(self, enabled: bool = True, *, time_scale: float = 1.0) -> RateLimits:
        """Enforce Discord-like per-route limits (see ``ratelimits``); off by default.
        ``time_scale`` shortens every window (0.1: 5 messages per 0.5 s per channel)."""
        self.rate_limits.enabled = enabled
        self.rate_limits.time_scale = time_scale
        self.rate_limits.reset()
        return self.rate_limits

    @property
    def rate_limited_count(self) -> int:
        """Every 429 served so far (limits and injected ones alike)."""
        return self.rate_limits.total

    def rate_limited_on(self, method: str, route: str) -> int:
        """429s served on one route template, e.g.
        ``rate_limited_on("POST", "/channels/{channel_id}/messages")``."""
        return self.rate_limits.served[f"{method.upper()} {route}"]

    async def dispatch(
        self, event: str, data: dict, intent: int = 0, *, without_content: dict | None = None
    ) -> int:
        """Send a gateway event to every live session (with ``intent``, if given) of the shard
        of its guild; ``without_content`` goes to sessions lacking MESSAGE_CONTENT."""
        return await self.gateway.dispatch(event, data, intent, without_content=without_content)

    async def drop_gateway(self, code: int = 4000) -> None:
        """Close every bot socket with ``code``; with a resumable code (4000) sessions wait for
        a RESUME and events sent meanwhile are replayed."""
        await self.gateway.close_all(code)

    async def invalidate_sessions(self) -> None:
        """Close every socket and forget the sessions: bots must IDENTIFY again."""
        await self.gateway.close_all(4009, invalidate=True)

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT to every bot."""
        await self.gateway.send_all(RECONNECT)
