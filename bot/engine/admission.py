"""Places reserved in a member's queue between "may I?" and the job being queued.

The check and its effect must not have an `await` between them, or concurrent requests all
pass the same check. So a place is reserved synchronously, before the first `await`, and
given back if the request is refused later or never submitted.
"""

from __future__ import annotations

from collections import Counter

from ..mps.models import TaskKind
from ..rules.asks import Ask


class Admission:
    """One reserved place; `release()` gives it back (idempotent)."""

    def __init__(self, ledger: Reservations, key: tuple[int, int, TaskKind]) -> None:
        self._ledger: Reservations | None = ledger
        self.key = key
        # What was asked (roles included), for the rules' last word when the job is written.
        self.ask: Ask | None = None

    @property
    def held(self) -> bool:
        return self._ledger is not None

    def release(self) -> None:
        if self._ledger is not None:
            self._ledger._give_back(self.key)
            self._ledger = None


class Reservations:
    def __init__(self) -> None:
        self._held: Counter[tuple[int, int, TaskKind]] = Counter()

    def count(self, guild_id: int, user_id: int) -> int:
        return sum(n for (g, u, _), n in self._held.items() if (g, u) == (guild_id, user_id))

    def by_user(self, guild_id: int, kind: TaskKind) -> Counter[int]:
        """Places held in a server for jobs of `kind`, per member."""
        return Counter({u: n for (g, u, k), n in self._held.items() if (g, k) == (guild_id, kind)})

    def reserve(self, guild_id: int, user_id: int, kind: TaskKind = TaskKind.IMAGE) -> Admission:
        key = (guild_id, user_id, kind)
        self._held[key] += 1
        return Admission(self, key)

    def _give_back(self, key: tuple[int, int, TaskKind]) -> None:
        self._held[key] -= 1
        if self._held[key] <= 0:
            del self._held[key]
