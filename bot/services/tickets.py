"""An admitted ask (`Ticket`), and what the job service is handed to do what only the
platform can (read an upload's first bytes, sign attachment URLs afresh)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..engine.admission import Admission
from ..mps.models import TaskKind
from ..refusal import Refusal
from .members import Member

# The first bytes of an uploaded file (to tell what it is), and attachment URLs signed
# afresh (original -> refreshed; a URL the platform does not know is left out).
HeadReader = Callable[[str], Awaitable[bytes]]
UrlRefresher = Callable[[list[str]], Awaitable[Mapping[str, str]]]
# A member's warnings that could not be sent to them directly, (id, text), and the
# record that some were shown (by id).
WarningsReader = Callable[[int, int], Awaitable[list[tuple[int, str]]]]
WarningsShown = Callable[[list[int]], Awaitable[None]]


@dataclass
class Ticket:
    """An admitted ask: valid, every rule passed, the member's place reserved. Launch it,
    or release it if the job is not going to be launched."""

    member: Member
    kind: TaskKind
    model: str
    prompt: str | None
    request: dict[str, Any]
    record: dict[str, Any]  # what was asked, kept with the job for history and re-runs
    admission: Admission
    # How many tasks (jobs, one batch) the ask takes, and the outputs each one bills.
    tasks: int = 1
    units: int = 1
    # Preferences the server no longer allows, left out of this ask, or the switch to the
    # budget's fallback model: one line each.
    notes: tuple[Refusal, ...] = ()
    cost: float | None = None  # each task's, estimated from the price list

    def release(self) -> None:
        self.admission.release()
