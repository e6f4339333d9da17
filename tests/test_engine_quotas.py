"""Quotas through the engine: concurrent asks, pending jobs and cancellation."""

from __future__ import annotations

import asyncio

from bot.config.tunables import Limits
from bot.mps.models import TaskKind
from bot.refusal import Refusal
from bot.rules.asks import Ask

from .conftest import engine_harness, fast_tunables, running_emulator

CREATE = "CreateAigcImageTask"


async def admit_all(engine, asks: list[Ask]) -> tuple[list, list[Refusal]]:
    results = await asyncio.gather(*(engine.admit(a) for a in asks), return_exceptions=True)
    admitted = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, Refusal)]
    assert len(admitted) + len(refused) == len(asks)
    return admitted, refused


async def test_concurrent_asks_and_queued_jobs_count_until_cancelled(tmp_path) -> None:
    # Nothing may run: every job stays queued, not yet accepted by MPS.
    tunables = fast_tunables(
        limits=Limits(running_per_guild=0, running_per_user=1, queued_per_user=50)
    )
    async with running_emulator() as emu, engine_harness(emu, tmp_path / "db", tunables) as h:
        engine = h.engine
        await engine.rules.settings.set(1, {"daily_per_user": 2, "daily_server": 3})
        admitted, refused = await admit_all(engine, [Ask(1, 7) for _ in range(6)])
        assert len(admitted) == 2 and {r.key for r in refused} == {"admin.refused.daily_per_user"}
        for admission in admitted:
            admission.release()  # never submitted: the places come back
        first = await h.submit(guild=1, user=7)
        await h.submit(guild=1, user=7)
        # Two queued jobs count although MPS has not seen them.
        _, refused = await admit_all(engine, [Ask(1, 7)])
        assert refused[0].params["used"] == 2
        # Another member fills the server's last place; then the server is full.
        await h.submit(guild=1, user=8)
        _, refused = await admit_all(engine, [Ask(1, 9)])
        assert refused[0].key == "admin.refused.daily_server"
        # Videos count apart; another server is not touched.
        admitted, _ = await admit_all(engine, [Ask(1, 7, TaskKind.VIDEO), Ask(2, 7)])
        assert len(admitted) == 2
        for admission in admitted:
            admission.release()
        # A cancelled job gives its place back.
        assert await engine.cancel(first)
        admitted, refused = await admit_all(engine, [Ask(1, 7), Ask(1, 7)])
        assert len(admitted) == 1 and len(refused) == 1
        assert emu.stats()["actions"].get(CREATE, {}).get("accepted", 0) == 0
