"""Server settings changed through one process reach the others (several processes on one
PostgreSQL).

Each process keeps every server's settings in memory (the engine asks for limits without
awaiting). A change is written, then signalled (`settings`, the server's id); every process
hears it on a connection of its own and reads that server's settings again. A process that
lost its connection for a while reads them all again when it is back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from ..storage.lease import Listener, Signal, Signals
from .server_settings_store import ServerSettingsStore

log = logging.getLogger(__name__)

SETTINGS = "settings"


class SettingsSync:
    def __init__(self, store: ServerSettingsStore, *, listener: Listener, signals: Signals) -> None:
        self.store = store
        self.listener = listener
        self.signals = signals
        self.reloaded = asyncio.Event()  # set after each reload (for tests and logs)
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self.store.announce = self._announce
        self._spawn(self.listener.run(self._heard, self.store.load))

    async def _announce(self, guild_id: int) -> None:
        try:
            await self.signals.send(Signal(SETTINGS, guild_id))
        except Exception as exc:
            # The change is stored: other processes read it at their next start.
            log.warning("server %d: could not signal its settings change (%r)", guild_id, exc)

    def _heard(self, signal: Signal) -> None:
        # Its own changes are in its memory already; read again, a change racing a later
        # one of its own could put the older back.
        if signal.kind == SETTINGS and signal.origin != self.signals.origin:
            self._spawn(self._reload(signal.key))

    async def _reload(self, guild_id: int) -> None:
        try:
            await self.store.reload(guild_id)
        except Exception:
            log.exception("server %d: could not read its changed settings", guild_id)
            return
        self.reloaded.set()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        self.store.announce = None
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
