"""Places reserved in a member's queue between "may I?" and the job being queued.

The check and its effect must not have an `await` between them, or concurrent requests all
pass the same check. So a place is reserved synchronously, before the first `await`, and
given back if the request is refused later or never submitted.
"""

from __future__ import annotations

from collections import Counter

from ..mps.models import TaskKind
from ..rules.asks import Ask
from .registry import Registry


class Admission:
    """One reserved place; `release()` gives it back (idempotent)."""

    def __init__(
        self, ledger: Reservations, key: tuple[int, int, TaskKind], units: int = 1
    ) -> None:
        self._ledger: Reservations | None = ledger
        self.key = key
        self.units = units
        # What was asked (roles included), for the rules' last word when the job is written.
        self.ask: Ask | None = None

    @property
    def held(self) -> bool:
        return self._ledger is not None

    def release(self) -> None:
        if self._ledger is not None:
            self._ledger._give_back(self.key, self.units)
            self._ledger = None


class Reservations:
    def __init__(self) -> None:
        self._held: Counter[tuple[int, int, TaskKind]] = Counter()  # places
        self._units: Counter[tuple[int, int, TaskKind]] = Counter()  # outputs they ask for

    def count(self, guild_id: int, user_id: int) -> int:
        """Places a member holds (one per ask, whatever it asks for)."""
        return sum(n for (g, u, _), n in self._held.items() if (g, u) == (guild_id, user_id))

    def by_user(self, guild_id: int, kind: TaskKind) -> Counter[int]:
        """Outputs of `kind` the places held in a server ask for, per member."""
        return Counter({u: n for (g, u, k), n in self._units.items() if (g, k) == (guild_id, kind)})

    def places_of(self, guild_id: int, user_id: int, kind: TaskKind) -> int:
        return self._held[(guild_id, user_id, kind)]

    def reserve(
        self, guild_id: int, user_id: int, kind: TaskKind = TaskKind.IMAGE, units: int = 1
    ) -> Admission:
        key = (guild_id, user_id, kind)
        self._held[key] += 1
        self._units[key] += units
        return Admission(self, key, units)

    def _give_back(self, key: tuple[int, int, TaskKind], units: int) -> None:
        self._held[key] -= 1
        self._units[key] -= units
        if self._held[key] <= 0:
            del self._held[key]
            self._units.pop(key, None)


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
