"""Run the real bot process (`python -m bot`) against the fake Discord and the emulator."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mps_emulator import EmulatorConfig, MpsEmulator
from tests.databases import read_rows, test_database
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord.models import FakeGuild

ROOT = Path(__file__).resolve().parent.parent

FAST_CONFIG: dict[str, Any] = {
    "polling": {
        "image_expected": [0.2, 0.8],
        "tool_expected": [0.1, 0.5],
        "target_interval": 0.1,
        "max_interval": 1.0,
        "timeout_seconds": 60,
    },
    "create_backoff": [0.1, 1.0],
    "discord": {"progress_interval": 0.3},
}


def _merge(base: dict, changes: dict) -> dict:
    out = dict(base)
    for key, value in changes.items():
        out[key] = _merge(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


@dataclass
class BotProcess:
    proc: asyncio.subprocess.Process
    log: Path

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.returncode is None:
            self.proc.send_signal(sig)
        return await asyncio.wait_for(self.proc.wait(), 30)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Stack:
    fake: FakeDiscord
    emulator: MpsEmulator
    home: Path
    config: dict[str, Any]
    bots: list[BotProcess] = field(default_factory=list)
    # A PostgreSQL URL every process of this stack uses, whatever the run's database.
    database_url: str | None = None
    # Environment variables of the bot beside the stack's own (the tools' bucket, say).
    environ: dict[str, str] = field(default_factory=dict)

    @property
    def db_path(self) -> Path:
        return self.home / "bot.sqlite3"

    @property
    def database(self) -> Path | str:
        """The bot's database: the SQLite file, or its PostgreSQL schema's URL."""
        return self.database_url or test_database(self.db_path)

    async def rows(self, sql: str, *params: object) -> list[tuple]:
        """Rows of the bot's database, read beside the running bot."""
        return await read_rows(self.database, sql, params)

    def env(self) -> dict[str, str]:
        config_path = self.home / "config.json"
        config_path.write_text(json.dumps(self.config))
        creds = self.emulator.credentials
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        env.update(self.fake.env())
        env.update(
            TENCENTCLOUD_SECRET_ID=creds.secret_id,
            TENCENTCLOUD_SECRET_KEY=creds.secret_key,
            MPS_ENDPOINT=self.emulator.url,
            DATABASE_PATH=str(self.db_path),
            BOT_CONFIG=str(config_path),
            LOG_LEVEL="INFO",
            PYTHONPATH=str(ROOT),
        )
        env.pop("DATABASE_URL", None)
        if isinstance(self.database, str):
            env["DATABASE_URL"] = self.database
        for name in [n for n in env if n.startswith("MPS_OUTPUT_COS_")]:
            del env[name]  # the tools are off unless a test turns them on
        env.update(self.environ)
        return env

    async def run_cli(self, *args: str) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            *args,
            env=self.env(),
            cwd=self.home,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), 60)
        return proc.returncode, out.decode()

    async def sync(self) -> None:
        for guild in self.fake.guilds:
            code, out = await self.run_cli("sync", "--guild", str(guild.id))
            assert code == 0, out

    async def start_bot(self, **env: str) -> BotProcess:
        """Start one more bot process (`env`: variables of its own, e.g. SHARD_IDS) and
        wait for its gateway session."""
        log = self.home / f"bot-{len(self.bots)}.log"
        with log.open("wb") as sink:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                env={**self.env(), **env},
                cwd=self.home,
                stdout=sink,
                stderr=asyncio.subprocess.STDOUT,
            )
        bot = BotProcess(proc, log)
        self.bots.append(bot)
        waiter = asyncio.create_task(self.fake.wait_for_session(len(self.bots), timeout=30))
        exited = asyncio.create_task(proc.wait())
        done, _ = await asyncio.wait({waiter, exited}, return_when=asyncio.FIRST_COMPLETED)
        if exited in done:
            waiter.cancel()
            raise AssertionError(f"the bot exited early:\n{bot.output()}")
        exited.cancel()
        await waiter
        return bot


@asynccontextmanager
async def bot_stack(
    home: Path,
    *,
    emulator_config: EmulatorConfig | None = None,
    guilds: list[FakeGuild] | None = None,
    config: dict[str, Any] | None = None,
    start: bool = True,
    database_url: str | None = None,
    environ: dict[str, str] | None = None,
    **fake_options: Any,
) -> AsyncIterator[Stack]:
    emulator = MpsEmulator(
        emulator_config or EmulatorConfig(image_wait=(0.2, 0.3), image_run=(0.5, 0.8), seed=3)
    )
    await emulator.start()
    fake = FakeDiscord(**({"guilds": guilds} if guilds else {}), **fake_options)
    await fake.start()
    stack = Stack(fake, emulator, home, _merge(FAST_CONFIG, config or {}), environ=environ or {})
    stack.database_url = database_url
    try:
        await stack.sync()
        if start:
            await stack.start_bot()
        yield stack
    finally:
        for bot in stack.bots:
            if bot.proc.returncode is None:
                bot.proc.kill()
                await bot.proc.wait()
        await fake.stop()
        await emulator.stop()
        errors = [b.output() for b in stack.bots if "Traceback" in b.output()]
        assert not errors, "the bot logged a traceback:\n" + "\n".join(errors)
        assert not fake.internal_errors, fake.internal_errors
