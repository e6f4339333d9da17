"""What the rules are asked about, and the refusal that carries the queue limit."""

from __future__ import annotations

from dataclasses import dataclass

from ..mps.models import TaskKind
from ..refusal import Refusal


class QueueLimitError(Refusal):
    """The member already has as many queued jobs as allowed."""

    def __init__(self, limit: int) -> None:
        super().__init__("error.queue_full", limit=limit)
        self.limit = limit


@dataclass(frozen=True)
class Ask:
    """Someone asks for a job: who, where, what kind, and with what words.

    Front ends fill in what they know; `roles` are the member's role ids (a Discord idea,
    but to the rules just groups a member belongs to), `channel_id` where it was asked."""

    guild_id: int
    user_id: int
    kind: TaskKind = TaskKind.IMAGE
    model: str | None = None
    prompt: str | None = None
    negative_prompt: str | None = None
    channel_id: int | None = None
    roles: tuple[int, ...] = ()
    # Outputs (images or videos) the ask would bill, which the quotas count.
    units: int = 1
    # What it is estimated to cost (the budgets count it; 0: unknown), and whether it was
    # switched to the server's fallback model, which budgets let through.
    cost: float = 0.0
    fallback: bool = False


@dataclass(frozen=True)
class Pending:
    """Outputs of the ask's kind that will count once MPS accepts them but do not count
    yet: asked and not yet accepted (queued, being submitted) plus those of asks still
    being checked, this ask included. Taken by the engine before its first `await`, so
    concurrent asks see each other."""

    user: int = 1  # of the asking member
    guild: int = 1  # of the whole server
    user_reserved: int = 1  # the member's asks being checked right now, this one included
    # The estimated cost of the server's asks being checked right now, this one included
    # (not written yet: the budgets read what is written from the database).
    cost: float = 0.0
