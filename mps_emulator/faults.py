"""Queued faults: the next N requests of an action go wrong in a chosen way.

Faults are consumed only by requests that passed authentication and the rate limit, so a
test that injects one fault gets exactly one faulty answer, however busy the emulator is.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .bad_results import BAD_RESULT_KINDS
from .config import ACTIONS

# Pseudo-action for result file downloads (GET /results/...).
DOWNLOAD = "Download"
ANY_ACTION = "*"

INTERNAL_ERROR_MESSAGE = (
    "An internal error has occurred. Retry your request, but if the problem persists, "
    "contact us with details by filing a ticket."
)

# What each kind does:
#   internal_error  answer the InternalError envelope (HTTP 200)
#   error           answer an envelope with any Code/Message (e.g. LimitExceeded.CreateTask)
#   http_500        answer a bare HTTP 500 with no envelope
#   drop            close the connection without answering; with process=True the request is
#                   handled first (a Create makes its task), like a reply lost on the way back
#   slow            answer `delay` seconds late; a Create makes its task before the delay, which
#                   is how a client read timeout leaves a billed task behind
# Download faults also take the kinds of bad_results.BAD_RESULT_KINDS (garbage, truncated_png,
# bomb_png, empty): the download succeeds but serves broken bytes.
API_FAULT_KINDS = ("internal_error", "error", "http_500", "drop", "slow")
DOWNLOAD_FAULT_KINDS = ("http_500", "drop", "slow", *BAD_RESULT_KINDS)


@dataclass(frozen=True)
class Fault:
    kind: str
    delay: float = 1.0
    code: str = "InternalError"
    message: str = INTERNAL_ERROR_MESSAGE
    process: bool = False


def make_fault(
    kind: str,
    action: str,
    *,
    delay: float | None = None,
    code: str | None = None,
    message: str | None = None,
    process: bool = False,
) -> Fault:
    """Build and check a fault; raise ValueError when it cannot apply to `action`."""
    if action not in (*ACTIONS, DOWNLOAD, ANY_ACTION):
        raise ValueError(f"unknown action {action!r}")
    allowed = DOWNLOAD_FAULT_KINDS if action == DOWNLOAD else API_FAULT_KINDS
    if kind not in allowed:
        raise ValueError(f"fault kind {kind!r} does not apply to {action}; use one of {allowed}")
    if kind == "error" and not code:
        raise ValueError("an 'error' fault needs a code")
    if delay is not None and delay < 0:
        raise ValueError("delay must not be negative")
    return Fault(
        kind=kind,
        delay=1.0 if delay is None else delay,
        code=code if kind == "error" and code else "InternalError",
        message=message or (code if kind == "error" and code else INTERNAL_ERROR_MESSAGE),
        process=process,
    )


class FaultQueue:
    """Per-action FIFO queues, plus one for any action consulted after the specific one."""

    def __init__(self) -> None:
        self._queues: dict[str, deque[Fault]] = {}

    def add(self, action: str, fault: Fault, count: int = 1) -> None:
        if count < 1:
            raise ValueError("count must be at least 1")
        self._queues.setdefault(action, deque()).extend([fault] * count)

    def pop(self, action: str) -> Fault | None:
        # Downloads are not API requests: an "any action" fault is meant for the API.
        keys = (action,) if action == DOWNLOAD else (action, ANY_ACTION)
        for key in keys:
            queue = self._queues.get(key)
            if queue:
                return queue.popleft()
        return None

    def pending(self) -> dict[str, list[str]]:
        return {key: [f.kind for f in queue] for key, queue in self._queues.items() if queue}

    def clear(self) -> None:
        self._queues.clear()
