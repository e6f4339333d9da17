"""Held results of members on probation, at the store: one hold per batch, one decision
per hold (the first wins), audited, per server; on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from bot.moderation.holds import Holds, HoldStatus, HoldStore
from bot.moderation.store import ModerationStore
from bot.mps.models import TaskKind
from bot.refusal import Refusal
from bot.storage.database import open_database
from bot.storage.jobs import JobStore

GUILD, OTHER = 10, 20
MEMBER, MODERATOR = 2, 3


@pytest.fixture
async def db(both_databases):
    database = await open_database(both_databases)
    try:
        yield database
    finally:
        await database.close()


async def a_job(db, guild_id: int = GUILD) -> int:
    job = await JobStore(db).create(
        kind=TaskKind.IMAGE,
        guild_id=guild_id,
        user_id=MEMBER,
        model="Hunyuan",
        prompt="a harbour",
        request={},
        options={"probation": True},
    )
    return job.id


async def test_a_hold_is_written_once_and_decided_once(db) -> None:
    clock = iter(float(t) for t in range(100, 200))
    holds = HoldStore(db, lambda: next(clock))
    job_id = await a_job(db)
    first = await holds.hold(GUILD, job_id, MEMBER)
    again = await holds.hold(GUILD, job_id, MEMBER)  # a restart before it was posted
    assert first == again
    assert (first.status, first.posted, first.told_at) == (HoldStatus.PENDING, False, None)
    await holds.set_post(job_id, 555, 777)
    assert (await holds.get(GUILD, job_id)).posted
    await holds.forget_post(job_id)  # the post was deleted: posted again
    assert not (await holds.get(GUILD, job_id)).posted
    await holds.set_post(job_id, 555, 778)
    assert (await holds.get(GUILD, job_id)).log_message_id == 778
    # Another server's id finds nothing, and decides nothing.
    assert await holds.get(OTHER, job_id) is None
    assert not await holds.decide(OTHER, job_id, HoldStatus.APPROVED, MODERATOR)
    assert await holds.decide(GUILD, job_id, HoldStatus.REJECTED, MODERATOR)
    assert not await holds.decide(GUILD, job_id, HoldStatus.APPROVED, MODERATOR)
    decided = await holds.get(GUILD, job_id)
    assert (decided.status, decided.decided_by) == (HoldStatus.REJECTED, MODERATOR)
    await holds.mark_told(job_id)
    told = (await holds.get(GUILD, job_id)).told_at
    await holds.mark_told(job_id)
    assert told is not None and (await holds.get(GUILD, job_id)).told_at == told


async def test_decisions_are_audited_and_refused_twice_or_elsewhere(db) -> None:
    store = ModerationStore(db)
    holds = Holds(holds=HoldStore(db), store=store)
    job_id = await a_job(db)
    with pytest.raises(Refusal) as missing:
        await holds.decide(GUILD, job_id, MODERATOR, approve=True)
    assert missing.value.key == "probation.not_found"
    await holds.records.hold(GUILD, job_id, MEMBER)
    with pytest.raises(Refusal) as elsewhere:
        await holds.decide(OTHER, job_id, MODERATOR, approve=True)
    assert elsewhere.value.key == "probation.not_found"
    decided = await holds.decide(GUILD, job_id, MODERATOR, approve=True)
    assert (decided.status, decided.decided_by) == (HoldStatus.APPROVED, MODERATOR)
    with pytest.raises(Refusal) as twice:
        await holds.decide(GUILD, job_id, MODERATOR, approve=False)
    assert twice.value.key == "probation.decided"
    (entry,) = await store.audit_for(GUILD, MEMBER)
    assert (entry.actor_id, entry.action, entry.reason) == (
        MODERATOR,
        "result_approved",
        f"job #{job_id}",
    )
