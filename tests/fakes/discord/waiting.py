"""Waiting for the fake's records to change, without polling: every change calls ``notify``,
which wakes the waiters to re-check their predicate."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .records import FakeMessage, GatewaySession, RecordedCall

if TYPE_CHECKING:
    from .server import FakeDiscord

T = TypeVar("T")


class Waiting:
    """Mixed into :class:`FakeDiscord`."""

    _changed: asyncio.Event

    def notify(self: FakeDiscord) -> None:
        """Wake every ``wait_for``; called whenever a record changes."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(
        self: FakeDiscord,
        predicate: Callable[[], T],
        timeout: float = 5.0,  # noqa: ASYNC109 - same shape as asyncio.wait_for
        what: str | None = None,
    ) -> T:
        """Return the first truthy value of ``predicate()``, re-checked after every change."""
        try:
            async with asyncio.timeout(timeout):
                while not (result := predicate()):
                    await self._changed.wait()
                return result
        except TimeoutError:
            recent = "\n  ".join(f"{c.method} {c.path} -> {c.status}" for c in self.calls[-8:])
            waited = what or predicate
            raise TimeoutError(
                f"timed out after {timeout}s waiting for {waited}; last calls:\n  {recent}"
            ) from None

    async def wait_for_message(
        self: FakeDiscord,
        predicate: Callable[[FakeMessage], Any],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> FakeMessage:
        def check() -> FakeMessage | None:
            return next((m for m in list(self.messages.values()) if predicate(m)), None)

        return await self.wait_for(check, timeout, "a matching message")

    async def wait_for_call(
        self: FakeDiscord,
        method: str | None = None,
        path: str | None = None,
        *,
        status: int | None = None,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> RecordedCall:
        """Wait until ``count`` matching calls were answered; returns the last one."""

        def check() -> RecordedCall | None:
            found = [c for c in self.calls_to(method, path) if status is None or c.status == status]
            return found[count - 1] if len(found) >= count else None

        return await self.wait_for(
            check, timeout, f"{count} call(s) {method} {path} status={status}"
        )

    async def wait_for_session(
        self: FakeDiscord,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> GatewaySession:
        """Wait until ``count`` sessions have been identified and one is connected."""

        def check() -> GatewaySession | None:
            live = self.connected_sessions
            return live[-1] if live and len(self.sessions) >= count else None

        return await self.wait_for(check, timeout, f"{count} gateway session(s)")
