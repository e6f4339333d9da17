"""``python -m bench --profile cluster``: three bot processes on one PostgreSQL database, one
MPS emulator and the fake Discord with sharding (each process runs one of three shards);
the engine holder is killed with SIGKILL mid-run, and started again as a supervisor would.

Reported: how long until a standby held the engine lease (and until the next Create), every
job delivered exactly once (on its own message, by one edit), Creates per job, MPS's
RequestLimitExceeded answers, Discord's 429s (the edit budget, now held by whichever process
runs the engine), throughput against the slot bound, and fairness across servers.

The emulator and the fake run in this process on one monotonic clock.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from statistics import fmean
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bot.storage.base import Database
from bot.storage.database import open_database
from bot.storage.lease import lease_holder
from mps_emulator import EmulatorConfig, MpsEmulator
from tests.bot_stack import BotProcess, Stack
from tests.fakes.discord import FakeDiscord, FakeInteraction
from tests.fakes.discord.models import FakeChannel, FakeGuild, FakeMember, FakeUser
from tests.fakes.discord.sharding import guild_id_on_shard

from .metrics import jain
from .storage_run import _admin, _shown, server_url

FAILOVER_TARGET_S = 15.0
FINAL = ("delivered", "failed")


@dataclass(frozen=True)
class ClusterProfile:
    name: str
    jobs: int
    guilds: int
    processes: int = 3
    users_per_guild: int = 4
    arrival_seconds: float = 4.0
    image_wait: tuple[float, float] = (1.0, 2.0)
    image_run: tuple[float, float] = (3.0, 5.0)
    running_per_guild: int = 4
    kill_at: float = 0.4  # the share of jobs delivered when the holder is killed
    lease_retry: float = 2.0  # the tunables' defaults: the failover an operator gets
    lease_check: float = 2.0
    progress_interval: float = 2.0
    timeout: float = 600.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def scaled(self, *, jobs: int | None = None, guilds: int | None = None) -> ClusterProfile:
        return replace(self, jobs=jobs or self.jobs, guilds=guilds or self.guilds)

    def slots(self) -> int:
        """Tasks that may run at once: every server's running limit."""
        return self.guilds * self.running_per_guild

    def bot_config(self) -> dict[str, Any]:
        low = self.image_wait[0] + self.image_run[0]
        high = self.image_wait[1] + self.image_run[1]
        return {
            "polling": {
                "image_expected": [low, high],
                "target_interval": 0.5,
                "max_interval": 3.0,
                "timeout_seconds": self.timeout,
            },
            "limits": {
                "running_per_guild": self.running_per_guild,
                "running_per_user": self.running_per_guild,
                "queued_per_user": self.jobs,
            },
            "create_backoff": [0.5, 5.0],
            "cluster": {"lease_retry": self.lease_retry, "lease_check": self.lease_check},
            "discord": {"progress_interval": self.progress_interval, "resume_spread": 2.0},
        }


PROFILES: dict[str, ClusterProfile] = {
    "cluster": ClusterProfile(name="cluster", jobs=240, guilds=6),
    # The same shape in seconds, for the test suite.
    "cluster-tiny": ClusterProfile(
        name="cluster-tiny",
        jobs=24,
        guilds=3,
        arrival_seconds=1.0,
        image_wait=(0.2, 0.4),
        image_run=(1.0, 1.5),
        lease_retry=0.3,
        lease_check=0.5,
        progress_interval=0.5,
        timeout=90.0,
    ),
}


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def make_guilds(profile: ClusterProfile) -> list[FakeGuild]:
    """Servers spread evenly over the shards (one shard per process)."""
    guilds = []
    for n in range(profile.guilds):
        users = [FakeUser(f"u{n}-{i}") for i in range(profile.users_per_guild)]
        shard = n % profile.processes
        guild = FakeGuild(
            name=f"server{n}",
            owner_id=users[0].id,
            id=guild_id_on_shard(shard, profile.processes),
            channels=[FakeChannel("general")],
        )
        guild.members = [FakeMember(u) for u in users]
        guilds.append(guild)
    return guilds


async def engine_holder(db: Database) -> int | None:
    """The pid of the process holding this bot's engine lease, as PostgreSQL shows it."""
    holder = await lease_holder(db)
    return int(holder.rsplit(":", 1)[1]) if holder else None


async def _until(check, within: float, poll: float = 0.05):
    async with asyncio.timeout(within):
        while not (found := await check()):  # noqa: ASYNC110 - other processes change it
            await asyncio.sleep(poll)
    return found


def _delivered(interactions: list[FakeInteraction]) -> int:
    return sum(1 for i in interactions if i.original is not None and i.original.attachments)


async def run_cluster(profile: ClusterProfile, *, seed: int, home: Path, database: str) -> dict:
    guilds = make_guilds(profile)
    emulator = MpsEmulator(
        EmulatorConfig(
            image_wait=profile.image_wait,
            image_run=profile.image_run,
            shared_images=True,
            seed=seed,
        )
    )
    await emulator.start()
    fake = FakeDiscord(guilds=guilds, shards=profile.processes, rate_limits=True)
    await fake.start()
    stack = Stack(fake, emulator, home, profile.bot_config(), database_url=database)
    shards = {"SHARD_COUNT": str(profile.processes)}
    db: Database | None = None
    try:
        code, out = await stack.run_cli("sync")
        if code != 0:
            raise RuntimeError(f"sync failed:\n{out}")
        bots: dict[int, BotProcess] = {0: await stack.start_bot(**shards, SHARD_IDS="0")}
        # The first process has made the tables and holds the lease: watch it from here on.
        db = watcher = await open_database(database)
        await _until(lambda: engine_holder(watcher), 30)
        for shard in range(1, profile.processes):
            bots[shard] = await stack.start_bot(**shards, SHARD_IDS=str(shard))
        start = time.monotonic()
        interactions = await _send_all(fake, profile, guilds, seed)
        await fake.wait_for(
            lambda: _delivered(interactions) >= profile.kill_at * profile.jobs,
            profile.timeout,
            "the share of jobs delivered before the kill",
        )
        holder_pid = await engine_holder(watcher)
        holder_shard = next(s for s, b in bots.items() if b.proc.pid == holder_pid)
        victim = bots[holder_shard]
        before_kill = emulator.stats()["tasks_created"]
        kill_emulator_time = emulator.now()
        victim.proc.kill()
        killed = time.monotonic()
        await victim.proc.wait()
        new_holder = await _until(
            lambda: _other_holder(watcher, holder_pid), profile.lease_retry * 5 + 30, 0.02
        )
        failover = time.monotonic() - killed
        say(f"[bench] engine holder (shard {holder_shard}) killed; failover {failover:.2f} s")
        # A supervisor starts it again: it comes back as a standby for its shard.
        bots[holder_shard] = await stack.start_bot(**shards, SHARD_IDS=str(holder_shard))
        await fake.wait_for(
            lambda: _delivered(interactions) == profile.jobs, profile.timeout, "every delivery"
        )
        seconds = time.monotonic() - start

        async def recorded() -> bool:
            rows = await stack.rows("SELECT COUNT(*) FROM jobs WHERE state IN (?, ?)", *FINAL)
            return rows[0][0] == profile.jobs

        # The results are out; the last holder records the last of them (a takeover
        # finds a result posted but not recorded, and records it without posting again).
        await _until(recorded, profile.timeout)
        stats = emulator.stats()
        jobs = await stack.rows("SELECT id, guild_id, state, error_code FROM jobs")
        return _figures(
            profile,
            interactions=interactions,
            guilds=guilds,
            jobs=jobs,
            stats=stats,
            fake=fake,
            seconds=seconds,
            failover=failover,
            creates_before_kill=before_kill,
            kill_emulator_time=kill_emulator_time,
            holders=(holder_pid, new_holder),
            tracebacks=sum(b.output().count("Traceback") for b in stack.bots),
        )
    finally:
        if db is not None:
            await db.close()
        for bot in stack.bots:
            if bot.proc.returncode is None:
                bot.proc.kill()
                await bot.proc.wait()
        await fake.stop()
        await emulator.stop()


async def _other_holder(db: Database, old: int | None) -> int | None:
    holder = await engine_holder(db)
    return holder if holder is not None and holder != old else None


async def _send_all(
    fake: FakeDiscord, profile: ClusterProfile, guilds: list[FakeGuild], seed: int
) -> list[FakeInteraction]:
    """Every server gets the same number of asks, spread over the arrival time."""
    import random

    rng = random.Random(seed)
    start = time.monotonic()

    async def one(index: int) -> FakeInteraction:
        guild = guilds[index % len(guilds)]
        await asyncio.sleep(
            max(0.0, start + rng.uniform(0, profile.arrival_seconds) - time.monotonic())
        )
        user = guild.members[index % len(guild.members)].user
        return await fake.slash_command(
            guild.id, guild.channels[0].id, user.id, "imagine", options={"prompt": f"job {index}"}
        )

    return list(await asyncio.gather(*(one(i) for i in range(profile.jobs))))


def _figures(
    profile: ClusterProfile,
    *,
    interactions: list[FakeInteraction],
    guilds: list[FakeGuild],
    jobs: list[tuple],
    stats: dict[str, Any],
    fake: FakeDiscord,
    seconds: float,
    failover: float,
    creates_before_kill: int,
    kill_emulator_time: float,
    holders: tuple[int | None, int | None],
    tracebacks: int,
) -> dict[str, Any]:
    n = profile.jobs
    posted = [m for m in fake.messages.values() if m.attachments]
    originals = {i.response_message_id for i in interactions}
    once = sum(
        1 for m in posted if m.id in originals and len([r for r in m.history if r.attachments]) == 1
    )
    import sys as _s

    for m in posted:
        if m.id not in originals:
            print(
                "EXTRA",
                m.id,
                m.content,
                m.interaction_id,
                m.flags,
                [r.via for r in m.history],
                file=_s.stderr,
            )
    tasks = list(stats["tasks"].values())
    after_kill = [t["created_at"] for t in tasks if t["created_at"] > kill_emulator_time]
    durations = [t["final_at"] - t["created_at"] for t in tasks if t.get("final_at") is not None]
    mean_task = fmean(durations) if durations else None
    bound = profile.slots() / mean_task if mean_task else None
    throughput = n / seconds
    # Fairness: each server's mean time from its ask to its result (the same asks each).
    waits: dict[int, list[float]] = {g.id: [] for g in guilds}
    for i in interactions:
        message = i.original
        posted_at = message.first_attached.at if message and message.first_attached else None
        if posted_at is not None:
            waits[i.guild_id].append(posted_at - i.dispatched_at)
    guild_means = [fmean(v) for v in waits.values() if v]
    rate_limited = sum(a["rate_limited"] for a in stats["actions"].values())
    states: dict[str, int] = {}
    for _, _, state, _ in jobs:
        states[state] = states.get(state, 0) + 1
    return {
        "jobs": n,
        "processes": profile.processes,
        "seconds": seconds,
        "failover_s": failover,
        "first_create_after_kill_s": (min(after_kill) - kill_emulator_time if after_kill else None),
        "holders": {"killed": holders[0], "took_over": holders[1]},
        "creates_before_kill": creates_before_kill,
        "delivered": len(posted),
        # Results posted on a new message as well (a second delivery).
        "posted_elsewhere": len([m for m in posted if m.id not in originals]),
        "delivered_once": once,
        "lost": n - once,
        "job_states": states,
        "creates": stats["tasks_created"],
        "creates_per_job": stats["tasks_created"] / n,
        "second_creates": stats["tasks_created"] - n,
        "request_limit_exceeded": rate_limited,
        "discord_429": fake.rate_limited_count,
        "throughput_jobs_per_s": throughput,
        "slot_bound_jobs_per_s": bound,
        "throughput_vs_bound": throughput / bound if bound else None,
        "mean_task_s": mean_task,
        "fairness_jain": jain(guild_means),
        "guild_mean_wait_s": guild_means,
        "tracebacks": tracebacks,
    }


def judge(figures: dict[str, Any]) -> dict[str, bool]:
    return {
        "failover under 15 s": figures["failover_s"] < FAILOVER_TARGET_S,
        "0 lost": figures["lost"] == 0 and figures["posted_elsewhere"] == 0,
        "0 second Creates": figures["second_creates"] == 0,
        "0 RequestLimitExceeded": figures["request_limit_exceeded"] == 0,
    }


def render(result: dict[str, Any]) -> str:
    f = result["figures"]

    def num(value: Any, fmt: str = ".2f") -> str:
        return "n/a" if value is None else format(value, fmt)

    rows = [
        ("processes (one shard each), jobs", f"{f['processes']}, {f['jobs']}"),
        ("failover: SIGKILL to the lease held elsewhere", f"{num(f['failover_s'])} s"),
        ("SIGKILL to the next Create", f"{num(f['first_create_after_kill_s'])} s"),
        (
            "jobs delivered exactly once / lost / posted twice",
            f"{f['delivered_once']} / {f['lost']} / {f['posted_elsewhere']}",
        ),
        (
            "Creates per job (second Creates)",
            f"{num(f['creates_per_job'])} ({f['second_creates']})",
        ),
        ("RequestLimitExceeded", str(f["request_limit_exceeded"])),
        ("Discord 429s", str(f["discord_429"])),
        (
            "throughput / slot bound",
            f"{num(f['throughput_jobs_per_s'])} / {num(f['slot_bound_jobs_per_s'])} jobs/s"
            f" ({num(f['throughput_vs_bound'], '.0%')})",
        ),
        ("fairness (Jain, servers' mean wait)", num(f["fairness_jain"], ".3f")),
    ]
    width = max(len(r[0]) for r in rows)
    lines = [f"cluster profile {result['profile']['name']} (seed {result['seed']})"]
    lines += [f"  {label.ljust(width)}  {value}" for label, value in rows]
    lines += [
        f"  target {name}: {'met' if ok else 'MISSED'}" for name, ok in result["targets"].items()
    ]
    return "\n".join(lines)


async def _with_database(args: Any, profile: ClusterProfile, home: Path) -> dict[str, Any]:
    server = server_url(getattr(args, "database_url", None))
    name = f"imagine_cluster_{os.getpid()}"
    await _admin(server, f'CREATE DATABASE "{name}"')
    try:
        parts = urlsplit(server)
        target = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
        say(f"[bench] {profile.name}: {profile.jobs} jobs, PostgreSQL at {_shown(target)}")
        return await run_cluster(profile, seed=args.seed, home=home, database=target)
    finally:
        await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(args: Any, profile: ClusterProfile) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        figures = asyncio.run(_with_database(args, profile, Path(tmp)))
    result = {"profile": profile.to_json(), "seed": args.seed, "figures": figures}
    result["targets"] = judge(figures)
    return result


def main_cluster(args: Any) -> int:
    """`python -m bench --profile cluster` (--jobs, --guilds, --seed, --database-url, --json)."""
    try:
        profile = PROFILES[args.profile].scaled(jobs=args.jobs, guilds=args.guilds)
    except ValueError as exc:
        say(f"error: {exc}")
        return 2
    result = run(args, profile)
    print(render(result), flush=True)
    path = Path(args.json)
    if path.parent != Path():
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2), encoding="utf-8")
    say(f"[bench] figures written to {path}")
    return 0
