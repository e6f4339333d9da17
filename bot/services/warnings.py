"""A moderator's warnings that wait for a member, shown with their next ask."""

from __future__ import annotations

from .members import Member
from .tickets import WarningsReader, WarningsShown


class PendingWarnings:
    """Hands each waiting warning to one ask at a time: two asks at the same moment must
    not both show it, and a warning whose showing failed waits for the next ask."""

    def __init__(self, read: WarningsReader | None, mark_shown: WarningsShown | None) -> None:
        self._read = read
        self._mark_shown = mark_shown
        self._showing: set[int] = set()  # being shown right now

    async def take(self, member: Member) -> list[tuple[int, str]]:
        """The warnings waiting for this member, (id, text), set aside for the caller:
        pass their ids to `settle` once shown, or not shown."""
        if self._read is None:
            return []
        found = await self._read(member.guild_id, member.user_id)
        # Set aside in the same step as the filtering (no await between).
        found = [(i, text) for i, text in found if i not in self._showing]
        self._showing.update(i for i, _ in found)
        return found

    async def settle(self, ids: list[int], *, shown: bool) -> None:
        """Warnings set aside by `take` were shown (recorded: never again), or not (they
        wait for the member's next ask)."""
        try:
            if shown and ids and self._mark_shown is not None:
                await self._mark_shown(ids)
        finally:
            self._showing.difference_update(ids)
