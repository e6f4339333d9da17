"""Build the engine and everything it needs, in one place.

The bot, the CLI, the tests and the benchmark all assemble the engine with `build_engine`;
`open_runtime` also opens (and closes) the HTTP session and the database from the environment.
The quota gate is made here once and handed to both the MPS client and the engine, so
every call in the process shares the account's per-second quotas.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import aiosqlite

from .config.environment import Environment
from .config.tunables import Tunables
from .engine.engine import JobEngine
from .engine.limiter import QuotaGate
from .moderation.service import Moderation
from .moderation.store import ModerationStore
from .mps.client import MpsClient
from .mps.signer import Credentials
from .rules.guild_settings import defaults
from .rules.quotas import QuotaBook
from .rules.rulebook import Rulebook
from .rules.settings_store import SettingsStore
from .storage.jobs import JobStore
from .storage.lock import open_locked_database
from .storage.usage import UsageReader


@dataclass
class Runtime:
    environment: Environment
    session: aiohttp.ClientSession
    db: aiosqlite.Connection
    store: JobStore
    client: MpsClient
    engine: JobEngine
    moderation: Moderation


def results_dir(environment: Environment) -> Path:
    return environment.database_path.parent / "results"


def build_engine(
    *,
    session: aiohttp.ClientSession,
    db: aiosqlite.Connection,
    credentials: Credentials,
    endpoint: str,
    tunables: Tunables,
    results_dir: Path,
    region: str | None = "ap-guangzhou",
    client_cls: type[MpsClient] = MpsClient,
    client_options: dict[str, Any] | None = None,
    rules: Rulebook | None = None,
    **engine_options: Any,
) -> JobEngine:
    """The store, the quota gate, the MPS client and the engine, wired together.

    `client_options` go to the client (timeouts, retry policy); `engine_options` to the
    engine (clocks, download concurrency)."""
    gate = QuotaGate(tunables.rates.by_action())
    client = client_cls(
        session,
        credentials,
        endpoint=endpoint,
        region=region,
        gate=gate,
        **(client_options or {}),
    )
    return JobEngine(
        store=JobStore(db),
        client=client,
        gate=gate,
        session=session,
        tunables=tunables,
        results_dir=results_dir,
        rules=rules or server_rules(db, tunables),
        **engine_options,
    )


def server_rules(db: aiosqlite.Connection, tunables: Tunables) -> Rulebook:
    """The tunables' limits, each server's settings on top, and the quotas; call
    `await rules.load()` before the first ask so stored settings apply."""
    settings = SettingsStore(db, defaults(tunables))
    return Rulebook(tunables.limits, settings=settings, quotas=QuotaBook(settings, UsageReader(db)))


@asynccontextmanager
async def open_runtime(
    environment: Environment, *, start_engine: bool = True
) -> AsyncIterator[Runtime]:
    """Everything opened here is closed here, in reverse order, whatever happens."""
    async with (
        aiohttp.ClientSession(trust_env=True) as session,
        # One process per database: a second bot or CLI on it is refused, not let in to
        # resume (and submit) the first one's jobs.
        open_locked_database(environment.database_path) as db,
    ):
        engine = build_engine(
            session=session,
            db=db,
            credentials=environment.credentials(),
            endpoint=environment.mps_endpoint,
            region=environment.region,
            tunables=environment.tunables,
            results_dir=results_dir(environment),
        )
        await engine.rules.load()
        # Blocks and blocked words are rules every front end obeys; incidents are recorded
        # from the engine's events.
        moderation = Moderation(ModerationStore(db))
        moderation.attach(engine)
        await moderation.catch_up(engine.store)
        await engine.learn_from_history()
        if start_engine:
            await engine.start()
        try:
            yield Runtime(environment, session, db, engine.store, engine.client, engine, moderation)
        finally:
            await engine.close()
            await moderation.close()
