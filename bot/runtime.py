"""Open the engine's resources at the entry point and hand them out (the CLI, the bot and
the benchmark all run the same engine this way)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import aiosqlite

from .engine.engine import JobEngine
from .mps.client import MpsClient
from .settings import Settings
from .storage.database import open_database
from .storage.jobs import JobStore


@dataclass
class Runtime:
    settings: Settings
    session: aiohttp.ClientSession
    db: aiosqlite.Connection
    store: JobStore
    client: MpsClient
    engine: JobEngine


def results_dir(settings: Settings) -> Path:
    return settings.database_path.parent / "results"


@asynccontextmanager
async def open_runtime(settings: Settings, *, start_engine: bool = True) -> AsyncIterator[Runtime]:
    """Everything opened here is closed here, in reverse order, whatever happens."""
    async with aiohttp.ClientSession(trust_env=True) as session:
        db = await open_database(settings.database_path)
        try:
            store = JobStore(db)
            client = MpsClient(
                session,
                settings.credentials(),
                endpoint=settings.mps_endpoint,
                region=settings.region,
            )
            engine = JobEngine(
                store=store,
                client=client,
                session=session,
                tunables=settings.tunables,
                results_dir=results_dir(settings),
            )
            await engine.learn_from_history()
            if start_engine:
                await engine.start()
            try:
                yield Runtime(settings, session, db, store, client, engine)
            finally:
                await engine.close()
        finally:
            await db.close()
