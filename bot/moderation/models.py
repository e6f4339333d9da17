"""What moderation knows: incidents, blocks, appeals and audit entries. A server's
moderation settings are part of its `ServerSettings`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

DAY = 86400.0
# Block lengths offered to moderators; None is permanent.
DURATIONS: dict[str, float | None] = {
    "1h": 3600.0,
    "24h": DAY,
    "7d": 7 * DAY,
    "30d": 30 * DAY,
    "perm": None,
}


class IncidentStatus(StrEnum):
    OPEN = "open"
    DISMISSED = "dismissed"
    WARNED = "warned"
    BLOCKED = "blocked"


class AppealStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"  # the block was lifted
    REJECTED = "rejected"  # the block was kept


class AuditAction(StrEnum):
    DISMISS = "dismiss"
    WARN = "warn"
    BLOCK = "block"
    AUTO_BLOCK = "auto_block"
    UNBLOCK = "unblock"
    APPEAL = "appeal"
    APPEAL_ACCEPTED = "appeal_accepted"
    APPEAL_REJECTED = "appeal_rejected"
    SETTINGS = "settings"
    RESULT_APPROVED = "result_approved"
    RESULT_REJECTED = "result_rejected"


@dataclass(frozen=True)
class Incident:
    id: int
    guild_id: int
    user_id: int
    channel_id: int | None
    job_id: int | None
    prompt: str | None
    negative_prompt: str | None
    model: str | None
    reference: str | None
    code: str
    message: str | None
    created_at: float
    status: IncidentStatus
    reviewer_id: int | None
    reviewed_at: float | None
    note: str | None
    log_channel_id: int | None
    log_message_id: int | None
    attempts: int = 1  # blocked-word attempts grouped into this incident
    last_attempt_at: float | None = None

    @classmethod
    def from_row(cls, row: Any) -> Incident:
        data = dict(row)
        data["status"] = IncidentStatus(data["status"])
        return cls(**data)


@dataclass(frozen=True)
class Attempt:
    """A repeated blocked-word attempt, grouped into an open incident."""

    id: int
    incident_id: int
    guild_id: int
    user_id: int
    channel_id: int | None
    prompt: str | None
    negative_prompt: str | None
    model: str | None
    created_at: float

    @classmethod
    def from_row(cls, row: Any) -> Attempt:
        return cls(**dict(row))


@dataclass(frozen=True)
class Block:
    id: int
    guild_id: int
    user_id: int
    reason: str
    created_by: int | None  # None: the automatic block
    created_at: float
    until: float | None  # None: permanent
    incident_id: int | None
    lifted_at: float | None
    lifted_by: int | None

    @classmethod
    def from_row(cls, row: Any) -> Block:
        return cls(**dict(row))

    def active(self, now: float) -> bool:
        return self.lifted_at is None and (self.until is None or self.until > now)


@dataclass(frozen=True)
class Appeal:
    id: int
    block_id: int
    guild_id: int
    user_id: int
    created_at: float
    status: AppealStatus
    decided_by: int | None
    decided_at: float | None
    log_channel_id: int | None
    log_message_id: int | None

    @classmethod
    def from_row(cls, row: Any) -> Appeal:
        data = dict(row)
        data["status"] = AppealStatus(data["status"])
        return cls(**data)


@dataclass(frozen=True)
class AuditEntry:
    id: int
    guild_id: int
    actor_id: int | None
    action: str
    user_id: int | None
    incident_id: int | None
    block_id: int | None
    reason: str | None
    created_at: float

    @classmethod
    def from_row(cls, row: Any) -> AuditEntry:
        return cls(**dict(row))
