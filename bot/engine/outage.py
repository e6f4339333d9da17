"""When Tencent Cloud refuses the account itself, stop creating tasks until it is fixed.

Arrears, an unregistered account, a region or action not offered, a rejected key: no
member can do anything about these, and every Create would fail the same way. So the first
one starts an outage: Creates stop, the job goes back to the head of its queue (nothing
was created, nothing is lost), the operator is told (the log, `doctor`, and the front
end's listeners, which post once per outage in each server's log channel), and a probe
(a signed Describe of a task that cannot exist, as `doctor` does) runs every while. The
first probe the account passes ends the outage and Creates resume, in queue order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from ..mps import errors
from ..mps.client import MpsClient
from ..storage.outages import Outage, OutageStore

log = logging.getLogger(__name__)

PROBE_TASK_ID = "4-AigcImage-probe"
# Told when an outage begins (began=True) and when it ends.
OutageListener = Callable[[Outage, bool], None]


class AccountOutage:
    def __init__(
        self,
        *,
        store: OutageStore,
        client: MpsClient,
        probe_backoff: tuple[float, float],
    ) -> None:
        self.store = store
        self.client = client
        self._first, self._most = probe_backoff
        self.current: Outage | None = None
        self._cleared = asyncio.Event()
        self._cleared.set()
        self._began = asyncio.Event()
        self._listeners: list[OutageListener] = []
        self._lock = asyncio.Lock()
        # An outage found at start is probed at once: it may have been fixed meanwhile.
        self._probe_now = False

    @property
    def active(self) -> bool:
        """Set the moment an account error is seen, before anything is written."""
        return not self._cleared.is_set()

    def add_listener(self, listener: OutageListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: OutageListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    async def load(self) -> None:
        """An outage the last run did not see end goes on (and is probed at once)."""
        self._set(await self.store.current())
        self._probe_now = self.current is not None

    async def wait_cleared(self) -> None:
        await self._cleared.wait()

    async def begin(self, exc: errors.MpsError) -> None:
        """The account was refused: start an outage unless one is going on. No Create is
        sent from the moment this is called (before its first `await`)."""
        if self.active:
            return
        self._cleared.clear()
        try:
            async with self._lock:
                outage = await self.store.begin(exc.code, exc.message)
        except BaseException:
            self._cleared.set()  # not recorded: the next refusal tries again
            raise
        self._set(outage)
        log.error(
            "Tencent Cloud refused the account (%s: %s): no new tasks are created until a "
            "probe succeeds; queued jobs wait. The operator must fix the account.",
            exc.code,
            exc.message,
        )
        self._tell(outage, began=True)

    async def end(self) -> None:
        async with self._lock:
            outage = self.current
            if outage is None:
                return
            await self.store.end(outage.id)
            self._set(None)
        log.warning("Tencent Cloud accepts the account again (%s is over)", outage.code)
        self._tell(outage, began=False)

    def _set(self, outage: Outage | None) -> None:
        self.current = outage
        if outage is None:
            self._cleared.set()
            self._began.clear()
        else:
            self._cleared.clear()
            self._began.set()

    def _tell(self, outage: Outage, *, began: bool) -> None:
        for listener in list(self._listeners):
            try:
                listener(outage, began)
            except Exception:
                log.exception("outage listener failed")

    async def probe(self) -> bool:
        """Whether the account passes: a Describe of a task that cannot exist is answered
        "not found" (or anything but an account error) once the account works."""
        try:
            await self.client.call("DescribeAigcImageTask", {"TaskId": PROBE_TASK_ID})
        except errors.OperatorError as exc:
            log.info("outage probe: still refused (%s)", exc.code)
            return False
        except errors.NotFoundError:
            return True
        except errors.MpsError as exc:
            log.info("outage probe: no answer (%s); trying again later", exc.code)
            return False
        return True

    async def run(self) -> None:
        """Probe while an outage goes on, each wait twice the last (up to the most)."""
        while True:
            await self._began.wait()
            delay = self._first
            while self.active:
                if not self._probe_now:
                    await asyncio.sleep(delay)
                self._probe_now = False
                if await self.probe():
                    await self.end()
                    break
                delay = min(self._most, delay * 2)
