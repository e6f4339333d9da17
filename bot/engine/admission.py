"""Places reserved in a member's queue between "may I?" and the job being queued.

The check and its effect must not have an `await` between them, or concurrent requests all
pass the same check. So a place is reserved synchronously, before the first `await`, and
given back if the request is refused later or never submitted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable

from ..mps.models import TaskKind
from ..rules.asks import Ask
from ..storage.base import Database
from .registry import Registry


class Admission:
    """One reserved place; `release()` gives it back (idempotent)."""

    def __init__(
        self,
        ledger: Reservations,
        key: tuple[int, int, TaskKind],
        units: int = 1,
        cost: float = 0.0,
    ) -> None:
        self._ledger: Reservations | None = ledger
        self.key = key
        self.units = units
        self.cost = cost
        # What was asked (roles included), for the rules' last word when the job is written.
        self.ask: Ask | None = None

    @property
    def held(self) -> bool:
        return self._ledger is not None

    def release(self) -> None:
        if self._ledger is not None:
            self._ledger._give_back(self.key, self.units, self.cost)
            self._ledger = None

    def confirming(
        self, confirm: Callable[[Ask, Database], Awaitable[None]], ask: Ask
    ) -> Callable[[Database], Awaitable[None]]:
        """`confirm(ask, tx)` for the transaction that writes the ask's jobs, which first
        stops counting the ask's cost here: from then on the database counts it (its jobs
        written and committed), or nothing does (refused, rolled back). Counted twice,
        between the commit and `release`, it could refuse another ask that fits."""

        async def run(tx: Database) -> None:
            if self._ledger is not None and self.cost:
                self._ledger._give_back_cost(self.key[0], self.cost)
                self.cost = 0.0
            await confirm(ask, tx)

        return run


class Reservations:
    def __init__(self) -> None:
        self._held: Counter[tuple[int, int, TaskKind]] = Counter()  # places
        self._units: Counter[tuple[int, int, TaskKind]] = Counter()  # outputs they ask for
        self._cost: dict[int, float] = {}  # per server: what they are estimated to cost

    def count(self, guild_id: int, user_id: int) -> int:
        """Places a member holds (one per ask, whatever it asks for)."""
        return sum(n for (g, u, _), n in self._held.items() if (g, u) == (guild_id, user_id))

    def by_user(self, guild_id: int, kind: TaskKind) -> Counter[int]:
        """Outputs of `kind` the places held in a server ask for, per member."""
        return Counter({u: n for (g, u, k), n in self._units.items() if (g, k) == (guild_id, kind)})

    def cost(self, guild_id: int) -> float:
        """The estimated cost of the asks being admitted into a server right now."""
        return self._cost.get(guild_id, 0.0)

    def places_of(self, guild_id: int, user_id: int, kind: TaskKind) -> int:
        return self._held[(guild_id, user_id, kind)]

    def reserve(
        self,
        guild_id: int,
        user_id: int,
        kind: TaskKind = TaskKind.IMAGE,
        units: int = 1,
        cost: float = 0.0,
    ) -> Admission:
        key = (guild_id, user_id, kind)
        self._held[key] += 1
        self._units[key] += units
        self._cost[guild_id] = self._cost.get(guild_id, 0.0) + cost
        return Admission(self, key, units, cost)

    def _give_back(self, key: tuple[int, int, TaskKind], units: int, cost: float) -> None:
        self._held[key] -= 1
        self._units[key] -= units
        self._give_back_cost(key[0], cost)
        if self._held[key] <= 0:
            del self._held[key]
            self._units.pop(key, None)

    def _give_back_cost(self, guild_id: int, cost: float) -> None:
        left = self._cost.get(guild_id, 0.0) - cost
        if left > 1e-9:
            self._cost[guild_id] = left
        else:
            self._cost.pop(guild_id, None)


def unaccepted(
    reservations: Reservations, registry: Registry, guild_id: int, kinds: tuple[TaskKind, ...]
) -> Counter[int]:
    """Per member, the outputs of `kinds` reserved or live and not accepted by MPS yet: the
    quotas count them as used (a tool use counts as an image unless the server says)."""
    counts: Counter[int] = Counter()
    for kind in kinds:
        counts += reservations.by_user(guild_id, kind)
        counts += registry.unsubmitted(guild_id, kind)
    return counts
