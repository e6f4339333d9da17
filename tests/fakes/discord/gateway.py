"""The gateway: an aiohttp websocket speaking Discord's protocol with plain JSON text frames.

discord.py asks for ``compress=zlib-stream`` (or zstd) but decompresses only binary frames;
text frames are parsed as they are, so the fake never compresses.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .payloads import (
    INTENT_MESSAGE_CONTENT,
    PRIVILEGED_INTENTS,
    guild_payload,
    member_payload,
    ready_payload,
)
from .records import GatewaySession
from .sharding import event_guild_id, parse_shard

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, RESUME, RECONNECT = 0, 1, 2, 6, 7
REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 8, 9, 10, 11
# Closing with these ends a session for good (as a client's own 1000/1001 close does).
FATAL_CLOSE_CODES = {1000, 1001, 4004, 4010, 4011, 4012, 4013, 4014}


class Gateway:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.sessions: dict[str, GatewaySession] = {}
        self.sockets: dict[str, web.WebSocketResponse] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.connections: list[dict[str, str]] = []  # query parameters of every connection
        self._our_close_codes: dict[int, int] = {}

    # --- sending ---------------------------------------------------------------------------

    async def _close(self, ws: web.WebSocketResponse, code: int, reason: bytes) -> None:
        """Close from our side. aiohttp reports 1000 as the close code of a socket closed while
        its handler was reading, so the code we sent is remembered here."""
        self._our_close_codes[id(ws)] = code
        await ws.close(code=code, message=reason)

    async def _send(self, ws: web.WebSocketResponse, frame: dict[str, Any]) -> None:
        if not ws.closed:
            try:
                await ws.send_str(json.dumps(frame))
            except ConnectionError:
                log.debug("gateway socket went away while sending")

    async def send_dispatch(self, session: GatewaySession, event: str, data: dict) -> bool:
        """Number the event and send it; while the socket is gone it is kept for RESUME."""
        lock = self._locks.setdefault(session.session_id, asyncio.Lock())
        async with lock:
            session.seq += 1
            frame = {"op": DISPATCH, "s": session.seq, "t": event, "d": data}
            session.sent.append(frame)
            ws = self.sockets.get(session.session_id)
            if ws is None or ws.closed:
                return False
            await self._send(ws, frame)
            return True

    def live_sessions(self) -> list[GatewaySession]:
        """Sessions that receive events now or on RESUME."""
        horizon = self.fake.monotonic() - self.fake.resume_window
        return [
            s
            for s in self.sessions.values()
            if not s.invalidated and (not s.closed or (s.closed_at or 0) >= horizon)
        ]

    async def dispatch(
        self, event: str, data: dict, intent: int = 0, *, without_content: dict | None = None
    ) -> int:
        """Send to every live session with ``intent`` (if given) whose shard handles the
        event's guild; sessions without MESSAGE_CONTENT get ``without_content`` if given."""
        guild_id = event_guild_id(event, data)
        delivered = 0
        for session in self.live_sessions():
            if intent and not session.intents & intent:
                continue
            if not session.handles(guild_id):
                continue
            sent = data
            if without_content is not None and not session.intents & INTENT_MESSAGE_CONTENT:
                sent = without_content
            delivered += await self.send_dispatch(session, event, sent)
        return delivered

    async def close_all(self, code: int, *, invalidate: bool = False) -> None:
        for session_id, ws in list(self.sockets.items()):
            if invalidate:
                self.sessions[session_id].invalidated = True
            await self._close(ws, code, b"fake gateway closed the connection")

    async def send_all(self, op: int, data: Any = None) -> None:
        for ws in list(self.sockets.values()):
            await self._send(ws, {"op": op, "d": data, "s": None, "t": None})

    # --- the connection -----------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self.connections.append(dict(request.query))
        interval = int(self.fake.heartbeat_interval * 1000)
        await self._send(
            ws, {"op": HELLO, "d": {"heartbeat_interval": interval}, "s": None, "t": None}
        )
        session: GatewaySession | None = None
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    if msg.type is WSMsgType.BINARY:
                        await self._close(ws, 4002, b"Error while decoding payload.")
                    break
                try:
                    frame = json.loads(msg.data)
                    op, data = frame["op"], frame.get("d")
                except (ValueError, KeyError, TypeError):
                    await self._close(ws, 4002, b"Error while decoding payload.")
                    break
                session = await self._on_frame(ws, session, op, data)
        finally:
            if session is not None and self.sockets.get(session.session_id) is ws:
                del self.sockets[session.session_id]
                session.closed = True
                session.closed_at = self.fake.monotonic()
                code = self._our_close_codes.pop(id(ws), ws.close_code)
                if code in FATAL_CLOSE_CODES:
                    session.invalidated = True
            self.fake.notify()
        return ws

    async def _on_frame(
        self, ws: web.WebSocketResponse, session: GatewaySession | None, op: int, data: Any
    ) -> GatewaySession | None:
        if op == HEARTBEAT:
            if session is not None:
                session.heartbeats += 1
            await self._send(ws, {"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
            return session
        if op == IDENTIFY:
            if session is not None:
                await self._close(ws, 4005, b"Already authenticated.")
                return session
            return await self._identify(ws, data or {})
        if op == RESUME:
            return await self._resume(ws, data or {})
        if session is None:
            await self._close(ws, 4003, b"Not authenticated.")
            return None
        if op == REQUEST_MEMBERS:
            await self._send_members(session, data or {})
        elif op not in (3, 4):  # presence and voice state updates are accepted and ignored
            await self._close(ws, 4001, b"Unknown opcode.")
        return session

    async def _identify(self, ws: web.WebSocketResponse, data: dict) -> GatewaySession | None:
        fake = self.fake
        if data.get("token") != fake.token:
            await self._close(ws, 4004, b"Authentication failed.")
            return None
        intents = data.get("intents")
        if not isinstance(intents, int):
            await self._close(ws, 4013, b"Invalid intent(s).")
            return None
        if intents & PRIVILEGED_INTENTS & ~fake.allowed_intents:
            await self._close(ws, 4014, b"Disallowed intent(s).")
            return None
        shard = parse_shard(data.get("shard"))
        if shard is None:
            await self._close(ws, 4010, b"Invalid shard.")
            return None
        session = GatewaySession(
            session_id=secrets.token_hex(16),
            intents=intents,
            connected_at=fake.monotonic(),
            shard_id=shard[0],
            shard_count=shard[1],
        )
        guilds = [g for g in fake.guilds if session.handles(g.id)]
        if len(guilds) > fake.max_guilds_per_shard:
            await self._close(ws, 4011, b"Sharding required.")
            return None
        self.sessions[session.session_id] = session
        self.sockets[session.session_id] = ws
        fake.identifies += 1
        ready = ready_payload(fake, session, guilds, data.get("shard"))
        await self.send_dispatch(session, "READY", ready)
        for guild in guilds:
            payload = guild_payload(guild, bot_id=fake.bot_user.id, intents=intents)
            await self.send_dispatch(session, "GUILD_CREATE", payload)
        session.ready = True
        fake.notify()
        return session

    async def _resume(self, ws: web.WebSocketResponse, data: dict) -> GatewaySession | None:
        session = self.sessions.get(str(data.get("session_id")))
        if data.get("token") != self.fake.token:
            await self._close(ws, 4004, b"Authentication failed.")
            return None
        horizon = self.fake.monotonic() - self.fake.resume_window
        if (
            session is None
            or session.invalidated
            or (session.closed and (session.closed_at or 0) < horizon)
            or not isinstance(data.get("seq"), int)
        ):
            await self._send(ws, {"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return None
        lock = self._locks.setdefault(session.session_id, asyncio.Lock())
        async with lock:
            old = self.sockets.get(session.session_id)
            self.sockets[session.session_id] = ws  # before closing old: its cleanup skips us
            session.closed = False
            session.closed_at = None
            if old is not None and old is not ws:
                await self._close(old, 4000, b"Session resumed elsewhere.")
            for frame in session.sent:
                if frame["s"] > data["seq"]:
                    await self._send(ws, frame)
        session.connections += 1
        session.resumed += 1
        await self.send_dispatch(session, "RESUMED", {"_trace": ['["fake-discord-gateway",{}]']})
        self.fake.notify()
        return session

    async def _send_members(self, session: GatewaySession, data: dict) -> None:
        guild = self.fake.guild_by_id(int(data.get("guild_id", 0)))
        if guild is None or not session.handles(guild.id):
            return
        wanted = {int(u) for u in data.get("user_ids") or []}
        query = str(data.get("query") or "").lower()
        members = [
            member_payload(guild, m)
            for m in guild.members
            if (not wanted or m.user.id in wanted) and m.user.name.lower().startswith(query)
        ]
        limit = int(data.get("limit") or 0)
        if limit:
            members = members[:limit]
        chunk = {"guild_id": str(guild.id), "members": members, "chunk_index": 0, "chunk_count": 1}
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        await self.send_dispatch(session, "GUILD_MEMBERS_CHUNK", chunk)
