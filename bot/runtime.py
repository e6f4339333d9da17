"""Build the engine, the services and everything they need, in one place.

The bot, the CLI, the tests and the benchmark all assemble the engine with `build_engine`;
`open_runtime` also opens (and closes) the HTTP session and the database from the
environment, and builds the services every front end calls (`Services`). The quota gate is
made here once and handed to both the MPS client and the engine, so every call in the
process shares the account's per-second quotas.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp

from .asks.references import read_head as read_first_bytes
from .asks.tools import Tool
from .config.environment import Environment
from .config.tool_storage import ToolStorage
from .config.tunables import Tunables
from .engine.engine import JobEngine
from .engine.limiter import QuotaGate
from .moderation.service import Moderation
from .moderation.store import ModerationStore
from .mps.client import MpsClient
from .mps.signer import Credentials
from .rules.budgets import BudgetBook
from .rules.quotas import QuotaBook
from .rules.rulebook import Rulebook
from .rules.server_settings_store import ServerSettingsStore
from .rules.settings_sync import SettingsSync
from .services.admin import ServerAdmin
from .services.budgets import BudgetService
from .services.jobs import HeadReader, JobService
from .services.listings import JobListings
from .services.moderation import ModerationService
from .services.preferences import PreferenceService
from .services.spending import Spending
from .services.styles import StyleService
from .services.tools import ToolService
from .services.usage import UsageService
from .storage.base import Database
from .storage.budget_alerts import BudgetAlertStore
from .storage.jobs import JobStore
from .storage.lease import Cluster, cluster_parts
from .storage.lock import open_locked_database
from .storage.preferences import PreferenceStore
from .storage.styles import StyleStore
from .storage.usage import UsageReader


@dataclass(frozen=True)
class Services:
    """What front ends call (see `bot/services/`)."""

    jobs: JobService
    listings: JobListings
    admin: ServerAdmin
    moderation: ModerationService
    usage: UsageService
    styles: StyleService
    preferences: PreferenceService
    budgets: BudgetService
    tools: ToolService


@dataclass
class Runtime:
    environment: Environment
    session: aiohttp.ClientSession
    db: Database
    store: JobStore
    client: MpsClient
    engine: JobEngine
    moderation: Moderation
    settings: ServerSettingsStore
    services: Services


def results_dir(environment: Environment) -> Path:
    return environment.database_path.parent / "results"


def build_engine(
    *,
    session: aiohttp.ClientSession,
    db: Database,
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


def server_rules(
    db: Database, tunables: Tunables, settings: ServerSettingsStore | None = None
) -> Rulebook:
    """The tunables' limits, each server's settings on top, and the quotas; call
    `await rules.load()` before the first ask so stored settings apply."""
    settings = settings or ServerSettingsStore(db, tunables)
    usage = UsageReader(db)
    return Rulebook(
        tunables.limits,
        settings=settings,
        quotas=QuotaBook(settings, usage),
        budgets=BudgetBook(settings, usage, currency=tunables.currency),
    )


def build_services(
    *,
    engine: JobEngine,
    moderation: Moderation,
    settings: ServerSettingsStore,
    session: aiohttp.ClientSession,
    read_head: HeadReader | None = None,
    tool_storage: ToolStorage | None = None,
) -> Services:
    """The services over a built engine; `read_head` reads an upload's first bytes (by
    default over `session`); `tool_storage` is where the image tools' results go (None:
    the tools are off)."""
    tunables = engine.tunables
    db = engine.store.db
    quotas = engine.rules.quotas or QuotaBook(settings, UsageReader(db))
    styles = StyleService(StyleStore(db))
    preferences = PreferenceService(
        store=PreferenceStore(db), settings=settings, styles=styles, tunables=tunables
    )
    spending = Spending(budgets=engine.rules.budgets, settings=settings, tunables=tunables)
    admin = ServerAdmin(settings=settings, audit=moderation.store, tunables=tunables)
    jobs = JobService(
        engine=engine,
        store=engine.store,
        settings=settings,
        tunables=tunables,
        read_head=read_head or partial(read_first_bytes, session),
        styles=styles,
        preferences=preferences,
        spending=spending,
        # A moderator's warning that could not be sent by DM waits for the member.
        warnings=moderation.pending_warnings,
        warnings_shown=moderation.warnings_shown,
    )
    return Services(
        jobs=jobs,
        listings=JobListings(engine=engine, store=engine.store, tunables=tunables),
        admin=admin,
        moderation=ModerationService(moderation=moderation, settings=settings),
        usage=UsageService(
            quotas=quotas,
            tunables=tunables,
            clock=time.time,
            pending=engine.pending,
            budgets=engine.rules.budgets,
            engine_here=lambda: engine.running,
        ),
        styles=styles,
        preferences=preferences,
        budgets=BudgetService(
            admin=admin, spending=spending, alerts=BudgetAlertStore(db), settings=settings
        ),
        tools=ToolService(engine=engine, jobs=jobs, storage=tool_storage),
    )


def cluster_of(db: Database, tunables: Tunables) -> Cluster | None:
    """On PostgreSQL several processes may share the database: the one holding the engine
    lease runs the engine, the others wait as standbys (see `storage/lease.py`). None on
    SQLite, where the process runs the engine alone."""
    return cluster_parts(
        db,
        retry=tunables.cluster.lease_retry,
        check=tunables.cluster.lease_check,
        holder=f"{socket.gethostname()}:{os.getpid()}",
    )


async def _started(engine: JobEngine) -> None:
    """Until the engine runs, or its lease task died (the launcher hears of that too)."""
    started = asyncio.ensure_future(engine.started.wait())
    died = asyncio.ensure_future(engine.first_death())
    await asyncio.wait({started, died}, return_when=asyncio.FIRST_COMPLETED)
    for waiter in (started, died):
        waiter.cancel()
    await asyncio.gather(started, died, return_exceptions=True)


@asynccontextmanager
async def open_runtime(
    environment: Environment, *, start_engine: bool = True
) -> AsyncIterator[Runtime]:
    """Everything opened here is closed here, in reverse order, whatever happens."""
    async with (
        aiohttp.ClientSession(trust_env=True) as session,
        # One process per SQLite database: a second bot or CLI on it is refused, not let
        # in to resume (and submit) the first one's jobs.
        open_locked_database(environment.database) as db,
    ):
        tunables = environment.tunables
        settings = ServerSettingsStore(db, tunables)
        cluster = cluster_of(db, tunables)
        sync = None
        if cluster is not None:
            # Listening before the settings are read: a change made meanwhile is heard.
            sync = SettingsSync(settings, listener=cluster.listener, signals=cluster.signals)
            sync.start()
        engine = build_engine(
            session=session,
            db=db,
            credentials=environment.credentials(),
            endpoint=environment.mps_endpoint,
            region=environment.region,
            tunables=tunables,
            results_dir=results_dir(environment),
            rules=server_rules(db, tunables, settings),
        )
        await settings.load()
        # Blocks and blocked words are rules every front end obeys; incidents are recorded
        # from the engine's events.
        moderation = Moderation(ModerationStore(db), settings)
        moderation.attach(engine)
        if cluster is None or not start_engine:
            await moderation.catch_up(engine.store)
        await engine.learn_from_history(tools=tuple(tool.value for tool in Tool))
        if start_engine and cluster is not None:
            free = await cluster.lease.try_once()
            engine.lead(cluster.lease, cluster.signals)
            assert engine.cluster is not None
            # What a stopped process left unrecorded is recorded once: by the holder.
            engine.cluster.starting.append(partial(moderation.catch_up, engine.store))
            if free:
                # The only process so far: its engine runs before Discord connects, as a
                # single process's does (a standby's starts whenever it takes over).
                await _started(engine)
        elif start_engine:
            await engine.start()
        services = build_services(
            engine=engine,
            moderation=moderation,
            settings=settings,
            session=session,
            tool_storage=environment.tool_storage,
        )
        try:
            yield Runtime(
                environment,
                session,
                db,
                engine.store,
                engine.client,
                engine,
                moderation,
                settings,
                services,
            )
        finally:
            await engine.close()
            await moderation.close()
            if sync is not None:
                await sync.close()
