"""``python -m bench --profile discord``: the real bot process (`python -m bot`) against the
fake Discord (rate limits on) and the MPS emulator, once with the edit budget and once
without it (the baseline), and the figures of both side by side.

Times come from the two loopback services, which run in this process on one monotonic clock:
the fake records when it dispatched each interaction and when the bot answered it, and every
revision of every message; the emulator knows when each task became DONE. The bot's database
links a job's task to its prompt, which names the command.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mps_emulator import MpsEmulator
from tests.bot_stack import Stack
from tests.fakes.discord import FakeDiscord, FakeInteraction

from .discord_profile import Command, DiscordProfile, make_guilds, plan
from .discord_report import judge, ratios, render, variant_metrics

BUDGET, BASELINE = "budget", "baseline"


@dataclass
class DiscordOptions:
    profile: DiscordProfile
    seed: int = 1
    baseline: bool = True
    raw: bool = False
    keep: Path | None = None  # keep the bots' homes (logs, databases) here


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def peak_rss_mb(pid: int) -> float | None:
    """The process' peak resident memory (VmHWM), while it still runs."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


async def _send(fake: FakeDiscord, command: Command, guild_ids: list[int]) -> FakeInteraction:
    guild = fake.guild_by_id(guild_ids[command.guild])
    assert guild is not None
    return await fake.slash_command(
        guild.id,
        command.channel,
        guild.members[command.user].user.id,
        "imagine",
        options={"prompt": command.prompt},
    )


async def _drive(
    fake: FakeDiscord, commands: list[Command], guild_ids: list[int], patience: float
) -> tuple[list[FakeInteraction], float]:
    """Send every command at its moment; wait until every job's message holds its result."""
    start = time.monotonic()

    async def one(command: Command) -> FakeInteraction:
        await asyncio.sleep(max(0.0, start + command.at - time.monotonic()))
        return await _send(fake, command, guild_ids)

    interactions = await asyncio.gather(*(one(c) for c in commands))
    deadline = time.monotonic() + patience
    last_report = 0.0
    while time.monotonic() < deadline:
        done = sum(1 for i in interactions if i.original is not None and i.original.attachments)
        if done == len(interactions):
            break
        if time.monotonic() - last_report > 15:
            last_report = time.monotonic()
            say(f"[bench] {done}/{len(interactions)} delivered")
        await asyncio.sleep(0.5)
    return list(interactions), time.monotonic() - start


async def _jobs_from_db(stack: Stack) -> dict[str, dict[str, Any]]:
    """The bot's jobs by prompt: task id, state."""
    rows = await stack.rows("SELECT prompt, task_id, state FROM jobs")
    return {prompt: {"task_id": task, "state": state} for prompt, task, state in rows}


async def run_variant(
    profile: DiscordProfile, *, seed: int, edit_budget: bool, home: Path
) -> dict[str, Any]:
    guilds = make_guilds(profile)
    emulator = MpsEmulator(profile.emulator_config(seed))
    await emulator.start()
    fake = FakeDiscord(guilds=guilds, token_lifetime=profile.token_lifetime, rate_limits=True)
    await fake.start()
    stack = Stack(fake, emulator, home, profile.bot_config(edit_budget=edit_budget))
    try:
        code, out = await stack.run_cli("sync")
        if code != 0:
            raise RuntimeError(f"sync failed:\n{out}")
        bot = await stack.start_bot()
        calls_before = len(fake.calls)
        limited_before = fake.rate_limited_count
        commands = plan(profile, seed)
        interactions, seconds = await _drive(
            fake, commands, [g.id for g in guilds], profile.timeout
        )
        memory = peak_rss_mb(bot.proc.pid)
        clock_offset = fake.monotonic() - emulator.now()
        stats = emulator.stats()
        await bot.stop()
        jobs = await _jobs_from_db(stack)
        return variant_metrics(
            commands=commands,
            interactions=interactions,
            jobs=jobs,
            tasks=stats["tasks"],
            clock_offset=clock_offset,
            calls=fake.calls[calls_before:],
            rate_limited=fake.rate_limited_count - limited_before,
            rate_limited_by_route=dict(fake.rate_limits.served),
            peak_rss_mb=memory,
            seconds=seconds,
            tracebacks=sum(b.output().count("Traceback") for b in stack.bots),
        )
    finally:
        for bot in stack.bots:
            if bot.proc.returncode is None:
                bot.proc.kill()
                await bot.proc.wait()
        await fake.stop()
        await emulator.stop()


def run(options: DiscordOptions) -> dict[str, Any]:
    profile = options.profile
    result: dict[str, Any] = {"profile": profile.to_json(), "seed": options.seed}
    variants = [(BUDGET, True)] + ([(BASELINE, False)] if options.baseline else [])
    with tempfile.TemporaryDirectory(prefix="bench-discord-") as tmp:
        root = options.keep or Path(tmp)
        for name, budget in variants:
            say(
                f"[bench] {profile.name}: {profile.jobs} jobs, edit budget "
                + ("on" if budget else "off")
            )
            (root / name).mkdir(parents=True, exist_ok=True)
            result[name] = asyncio.run(
                run_variant(profile, seed=options.seed, edit_budget=budget, home=root / name)
            )
            if not options.raw:
                result[name].pop("per_job", None)
    if BASELINE in result:
        result["ratios"] = ratios(result[BUDGET], result[BASELINE])
    result["targets"] = judge(result)
    return result


def main_discord(args: Any) -> int:
    """`python -m bench --profile discord` (--jobs, --guilds, --seed, --no-baseline, --raw,
    --json apply)."""
    from .discord_profile import PROFILES

    try:
        profile = PROFILES[args.profile].scaled(jobs=args.jobs, guilds=args.guilds)
    except ValueError as exc:
        say(f"error: {exc}")
        return 2
    options = DiscordOptions(profile, seed=args.seed, baseline=not args.no_baseline, raw=args.raw)
    result = run(options)
    print(render(result), flush=True)
    path = Path(args.json)
    if path.parent != Path():
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2), encoding="utf-8")
    say(f"[bench] figures written to {path}")
    return 0
