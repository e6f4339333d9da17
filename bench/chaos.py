"""``python -m bench.chaos``: crash and fault runs of the real bot process.

Examples::

    python -m bench.chaos --kills 50                  # both runs, full size
    python -m bench.chaos --run crash --kills 10      # only the crash run
    python -m bench.chaos --run faults --jobs 60 --json out/chaos.json

Crash: the real bot (`python -m bot`, against the fake Discord and the MPS emulator) is
killed with SIGKILL at random moments while jobs are queued, submitting, running,
downloading and delivering, then started again. Members also press the image tools
(Upscale ×2, Zoom out, Remove background) on results already posted, so ProcessImage jobs
are among those killed. At the end every accepted job (a row in
the database) must be delivered exactly once (one message with attachments) or clearly
failed, and the emulator must never have created a second task for a job that has a TaskId.
It reports billed-but-undelivered tasks per 1,000 accepted jobs: tasks MPS created (each
billed) whose job was not delivered, split into those whose Create was still on the wire
when the process was killed (no client can know of them: MPS has no idempotency key) and
those answered before the kill whose TaskId was not stored in time (the window the bot
itself can close; the target is below 2 per 1,000 under 50 kills).

Faults: about 30 % of MPS calls fail (InternalError, HTTP 500, dropped connections, slow
answers), result downloads serve garbage or fail, and Discord answers 429 and 5xx, resets
connections and refuses an upload. Every user must still get a final answer within a
bounded time and a bounded number of calls.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bot.mps.client import MpsClient
from bot.mps.models import ImageTaskRequest, TaskKind
from mps_emulator import EmulatorConfig
from mps_emulator.tool_config import ToolConfig
from tests.bot_stack import Stack, bot_stack

CREATE = "CreateAigcImageTask"
DESCRIBE = "DescribeAigcImageTask"
PROCESS = "ProcessImage"
TOOL_DESCRIBE = "DescribeImageTaskDetail"
# The tools pressed on results (Upscale ×4 is left out: it refuses large pictures for free).
TOOL_BUTTONS = ("tool:upscale2:", "tool:zoomout:", "tool:cutout:")
# The image tools write to this (emulated) bucket.
TOOLS_ON = {"MPS_OUTPUT_COS_BUCKET": "chaos-1250000000", "MPS_OUTPUT_COS_REGION": "ap-guangzhou"}
# A job's id, as every job's message shows it in its footer ("Job #12 · …").
_FOOTER_JOB = re.compile(r"#(\d+)")
USERS = ("alice", "bob", "carol")
CHANNELS = ("general", "images")  # the fake server's text channels
FINAL = ("delivered", "failed", "cancelled")
# The colour of a failure on a job's message (render.COLOUR_FAILED, as Discord gets it).
FAILED_COLOUR = 0xE74C3C

CHAOS_CONFIG: dict[str, Any] = {
    "limits": {"running_per_guild": 4, "running_per_user": 2, "queued_per_user": 50},
    "discord": {"delivery_backoff": [0.2, 2.0], "resume_spread": 1.0},
}


# A job's state when the process died, in the words of the issue.
_STEP = {"ready": "delivering"}


@dataclass
class Verdict:
    """What a run checks; `problems` is empty when nothing was lost."""

    run: str
    jobs: int = 0
    delivered: int = 0
    failed: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    creates_accepted: int = 0
    task_ids: int = 0
    kills_at: list[float] = field(default_factory=list)  # the emulator's clock at each kill
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["failed"] = dict(self.failed)
        out["ok"] = self.ok
        return out


_COLUMNS = ("id", "kind", "state", "prompt", "task_id", "error_category", "error_code")


async def _rows(stack: Stack) -> list[dict[str, Any]]:
    """The bot's jobs (on SQLite or PostgreSQL), read beside the running bot."""
    rows = await stack.rows(f"SELECT {', '.join(_COLUMNS)} FROM jobs ORDER BY id")
    return [dict(zip(_COLUMNS, row, strict=True)) for row in rows]


async def _all_final(stack: Stack, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if all(r["state"] in FINAL for r in await _rows(stack)):
            return True
        await asyncio.sleep(0.2)  # the database belongs to another process: poll it
    return False


async def _all_told(stack: Stack, within: float) -> bool:
    """Every failure shown to its member (recorded by the bot once its message says so)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        untold = await stack.rows(
            "SELECT COUNT(*) FROM jobs j WHERE j.state = 'failed' AND NOT EXISTS"
            " (SELECT 1 FROM job_notices n WHERE n.job_id = j.id)"
        )
        if untold[0][0] == 0:
            return True
        await asyncio.sleep(0.2)  # the database belongs to another process: poll it
    return False


async def _ask(stack: Stack, prompt: str, rng: random.Random, channels: int = 1) -> None:
    fake = stack.fake
    # A channel takes about one result a second (Discord's 5 edits per 5 s): a bigger run
    # spreads its asks over the server's channels.
    channel = rng.choice(CHANNELS[:channels])
    await fake.slash_command(
        fake.guild.id, channel, rng.choice(USERS), "imagine", options={"prompt": prompt}
    )


async def _use_tool(stack: Stack, rng: random.Random) -> bool:
    """A member presses an image tool on a result already posted (if there is one)."""
    fake = stack.fake
    offered = [
        (message.id, custom)
        for message in list(fake.messages.values())
        if message.attachments and not message.deleted
        for custom in message.custom_ids()
        if custom.startswith(TOOL_BUTTONS)
    ]
    if not offered:
        return False
    message_id, custom = rng.choice(offered)
    await fake.press_button(message_id, custom, rng.choice(USERS))
    return True


async def _press_tools(stack: Stack, rng: random.Random, times: int) -> int:
    """Press an image tool `times` times on posted results, once the first is posted (a
    run whose every result failed presses none)."""
    try:
        await stack.fake.wait_for_message(
            lambda m: any(c.startswith(TOOL_BUTTONS) for c in m.custom_ids()), timeout=60
        )
    except TimeoutError:
        return 0
    pressed = 0
    for _ in range(times):
        pressed += await _use_tool(stack, rng)
        await asyncio.sleep(rng.uniform(0.0, 0.3))
    return pressed


def _posted_job(message: Any) -> int | None:
    footer = (message.embeds[0].get("footer") or {}).get("text") or ""
    found = _FOOTER_JOB.search(footer)
    return int(found.group(1)) if found else None


async def judge(stack: Stack, verdict: Verdict) -> Verdict:
    """Every job final; delivered ones posted exactly once; no second Create for a job."""
    rows = await _rows(stack)
    verdict.jobs = len(rows)
    posted = Counter()
    shown_failed: set[int | None] = set()
    for message in list(stack.fake.messages.values()):
        if message.attachments and message.embeds:
            posted[_posted_job(message)] += 1
        elif message.embeds and message.embeds[0].get("color") == FAILED_COLOUR:
            shown_failed.add(_posted_job(message))
    unknown = 0
    for row in rows:
        state, job_id = row["state"], row["id"]
        if state == "delivered":
            verdict.delivered += 1
            if posted[job_id] != 1:
                verdict.problems.append(f"job {job_id} posted {posted[job_id]} times")
        elif state == "failed":
            verdict.failed[f"{row['error_category']}/{row['error_code']}"] += 1
            unknown += row["error_category"] == "unknown_outcome" and not row["task_id"]
            if not row["error_category"] or not row["error_code"]:
                verdict.problems.append(f"job {row['id']} failed without a reason")
            if posted[job_id]:
                verdict.problems.append(f"job {row['id']} failed but was posted")
            elif job_id not in shown_failed:
                verdict.problems.append(f"job {row['id']} failed and its member was never told")
            else:
                verdict.extra["failures_shown"] = verdict.extra.get("failures_shown", 0) + 1
        elif state != "cancelled":
            verdict.problems.append(f"job {row['id']} never ended ({state})")
    stats = stack.emulator.stats()
    verdict.creates_accepted = sum(
        stats["actions"].get(action, {}).get("accepted", 0) for action in (CREATE, PROCESS)
    )
    stored = {r["task_id"] for r in rows if r["task_id"]}
    verdict.task_ids = len(stored)
    created = set(stats["tasks"]) | set(stack.emulator.service.tools.tasks)
    verdict.extra["tool_jobs"] = sum(1 for r in rows if r["kind"] == "tool")
    if not stored <= created:
        verdict.problems.append("a stored TaskId the emulator never created")
    orphans = len(created - stored)
    verdict.extra["tasks_without_a_job"] = orphans
    delivered_tasks = {r["task_id"] for r in rows if r["state"] == "delivered" and r["task_id"]}
    # The tool tasks too (when each was created; their answers' times are not noted).
    tool_tasks = {
        task_id: {"created_at": task.created_at}
        for task_id, task in stack.emulator.service.tools.tasks.items()
    }
    billed_undelivered(verdict, {**stats["tasks"], **tool_tasks}, stored, delivered_tasks)
    # A task nobody stored can only come from a Create whose outcome is unknown (the
    # process died, or the connection dropped, while it was on the wire): at most one each.
    if orphans > unknown:
        verdict.problems.append(
            f"{orphans} tasks created for jobs that did not report an unknown outcome ({unknown})"
        )
    return verdict


def billed_undelivered(
    verdict: Verdict, tasks: dict[str, dict], stored: set[str], delivered: set[str]
) -> None:
    """Tasks MPS created whose job was not delivered, per 1,000 accepted jobs, and why."""
    lost = {task_id: task for task_id, task in tasks.items() if task_id not in delivered}
    on_the_wire = answered_not_stored = failed_after = 0
    for task_id, task in lost.items():
        if task_id in stored:
            failed_after += 1  # known to the bot, and still not delivered
            continue
        kill = next((k for k in verdict.kills_at if k >= task["created_at"]), None)
        answered = task.get("answered_at")
        if kill is not None and answered is not None and answered < kill:
            answered_not_stored += 1
        else:
            on_the_wire += 1
    per_1000 = 1000 / max(1, verdict.jobs)
    verdict.extra["billed_undelivered_per_1000_jobs"] = round(len(lost) * per_1000, 2)
    verdict.extra["billed_undelivered"] = {
        "create_on_the_wire_at_a_kill": on_the_wire,
        "answered_before_a_kill_not_stored": answered_not_stored,
        "task_id_stored_not_delivered": failed_after,
    }
    verdict.extra["answered_not_stored_per_1000_jobs"] = round(answered_not_stored * per_1000, 2)


@asynccontextmanager
async def _reporting(verdict: Verdict) -> AsyncIterator[None]:
    """bot_stack fails on a traceback in the bot's log: a run reports it instead."""
    try:
        yield
    except AssertionError as exc:
        verdict.problems.append(str(exc)[:2000])


# -- crash ------------------------------------------------------------------------------------


async def crash_run(
    home: Path,
    *,
    kills: int,
    jobs_per_kill: int = 3,
    seed: int = 1,
    stretch_creates: bool = True,
    channels: int = 1,
) -> Verdict:
    await asyncio.to_thread(home.mkdir, parents=True, exist_ok=True)
    rng = random.Random(seed)
    tools = ToolConfig(wait=(0.2, 1.0), run=(0.3, 2.0))
    emulator = EmulatorConfig(image_wait=(0.2, 1.0), image_run=(0.3, 2.0), seed=seed, tools=tools)
    verdict = Verdict("crash")
    seen_at_kill: Counter = Counter()
    interrupted: set[int] = set()
    tools_interrupted: set[int] = set()
    prompts = tools_pressed = 0
    async with (
        _reporting(verdict),
        bot_stack(home, config=CHAOS_CONFIG, emulator_config=emulator, environ=TOOLS_ON) as stack,
    ):
        # One result posted before the first kill, so the tools have a picture from the start.
        prompts += 1
        await _ask(stack, f"chaos {prompts}", rng)
        await stack.fake.wait_for_message(
            lambda m: any(c.startswith(TOOL_BUTTONS) for c in m.custom_ids()), timeout=30
        )
        for _ in range(kills):
            # Stretch one step or another now and then, so kills also land while a Create
            # is on the wire, while results download and while they are posted.
            stretch = rng.choice(("none", "create", "process", "download", "deliver"))
            if stretch in ("create", "process") and not stretch_creates:
                stretch = "none"
            if stretch in ("create", "process"):
                action = CREATE if stretch == "create" else PROCESS
                stack.emulator.inject_fault("slow", action, delay=1.0)
            elif stretch == "download":
                stack.emulator.inject_fault("slow", "Download", delay=1.0)
            elif stretch == "deliver":
                stack.fake.fail_next("PATCH", r"/messages/", status=429, retry_after=1.0)
            for _ in range(rng.randint(1, jobs_per_kill)):
                prompts += 1
                await _ask(stack, f"chaos {prompts}", rng, channels)
            # Tools on what was posted before, so tool jobs are killed too.
            tools_pressed += await _use_tool(stack, rng)
            await asyncio.sleep(rng.uniform(0.1, 2.5))
            verdict.kills_at.append(stack.emulator.now())
            await stack.bots[-1].stop(signal.SIGKILL)
            for row in await _rows(stack):
                if row["state"] not in FINAL:
                    seen_at_kill[_STEP.get(row["state"], row["state"])] += 1
                    interrupted.add(row["id"])
                    if row["kind"] == "tool":
                        tools_interrupted.add(row["id"])
            await stack.start_bot()
        finished = await _all_final(stack, within=120) and await _all_told(stack, within=30)
        await judge(stack, verdict)
        if not finished:
            verdict.problems.append("jobs unfinished (or untold) 120 s after the last restart")
        delivered = {r["id"] for r in await _rows(stack) if r["state"] == "delivered"}
        verdict.extra.update(
            kills=kills,
            restarts=len(stack.bots) - 1,
            unfinished_jobs_at_kills=dict(seen_at_kill),
            jobs_interrupted=len(interrupted),
            interrupted_then_delivered=len(interrupted & delivered),
            asked=prompts,
            tools_pressed=tools_pressed,
            tool_jobs_interrupted=len(tools_interrupted),
            tool_jobs_interrupted_then_delivered=len(tools_interrupted & delivered),
        )
        # Close the bot cleanly: bot_stack checks its logs for tracebacks.
        await stack.bots[-1].stop(signal.SIGTERM)
    return verdict


async def create_window(samples: int = 50) -> dict[str, float]:
    """How long a Create is on the wire (against the local emulator): the one window in
    which a crash leaves a job's outcome unknown."""
    from mps_emulator import MpsEmulator

    emu = MpsEmulator(EmulatorConfig(seed=1, rate_limits={CREATE: 10_000}))
    await emu.start()
    try:
        async with aiohttp.ClientSession() as session:
            client = MpsClient(session, emu.credentials, endpoint=emu.url)
            request = ImageTaskRequest(model_name="Hunyuan", model_version="3.0", prompt="x")
            took = []
            for _ in range(samples):
                started = time.perf_counter()
                await client.create_task(TaskKind.IMAGE, request)
                took.append((time.perf_counter() - started) * 1000)
    finally:
        await emu.stop()
    took.sort()
    return {
        "samples": samples,
        "p50_ms": statistics.median(took),
        "p99_ms": took[min(len(took) - 1, int(len(took) * 0.99))],
    }


# -- faults -----------------------------------------------------------------------------------

API_FAULTS = ("internal_error", "http_500", "drop", "slow")
DOWNLOAD_FAULTS = ("garbage", "truncated_png", "http_500", "drop")


async def _feed_mps_faults(stack: Stack, share: float, rng: random.Random, tally: Counter) -> None:
    """Keep about `share` of each action's calls failing, spread over the run."""
    emu = stack.emulator
    while True:
        actions = emu.stats()["actions"]
        for action in (CREATE, DESCRIBE, PROCESS, TOOL_DESCRIBE):
            asked = actions.get(action, {}).get("requests", 0)
            if tally[action] < share * (asked + 1) and not emu.stats()["pending_faults"]:
                kind = rng.choice(API_FAULTS)
                emu.inject_fault(kind, action, delay=2.0 if kind == "slow" else None)
                tally[action] += 1
                tally[kind] += 1
        served = emu.stats()["downloads"]["served"]
        if tally["Download"] < share * (served + 1) and not emu.stats()["pending_faults"]:
            emu.inject_fault(rng.choice(DOWNLOAD_FAULTS), "Download")
            tally["Download"] += 1
        await asyncio.sleep(0.05)


async def _feed_discord_faults(stack: Stack, rng: random.Random, tally: Counter) -> None:
    fake = stack.fake
    edits = r"/messages/"
    while True:
        await asyncio.sleep(rng.uniform(0.3, 1.0))
        pick = rng.random()
        if pick < 0.35:
            fake.fail_next("PATCH", edits, status=429, retry_after=0.2)
            tally["discord_429"] += 1
        elif pick < 0.65:
            fake.fail_next("PATCH", edits, status=rng.choice((500, 502, 503)))
            tally["discord_5xx"] += 1
        elif pick < 0.9:
            fake.drop_next("PATCH", edits)
            tally["discord_reset"] += 1
        else:
            fake.fail_next("PATCH", edits, status=413)  # an upload refused as too large
            tally["discord_413"] += 1


async def fault_run(home: Path, *, jobs: int, share: float = 0.3, seed: int = 1) -> Verdict:
    await asyncio.to_thread(home.mkdir, parents=True, exist_ok=True)
    rng = random.Random(seed)
    tools = ToolConfig(wait=(0.2, 0.6), run=(0.3, 1.5))
    emulator = EmulatorConfig(image_wait=(0.2, 0.6), image_run=(0.3, 1.5), seed=seed, tools=tools)
    polling = {"timeout_seconds": 90, "target_interval": 0.2, "tool_expected": [0.5, 2.0]}
    config = {**CHAOS_CONFIG, "polling": polling}
    verdict = Verdict("faults")
    tally: Counter = Counter()
    started = time.monotonic()
    async with (
        _reporting(verdict),
        bot_stack(home, config=config, emulator_config=emulator, environ=TOOLS_ON) as stack,
    ):
        feeders = [
            asyncio.create_task(_feed_mps_faults(stack, share, rng, tally)),
            asyncio.create_task(_feed_discord_faults(stack, rng, tally)),
        ]
        try:
            for i in range(jobs):
                await _ask(stack, f"fault {i + 1}", rng)
                await asyncio.sleep(rng.uniform(0.0, 0.3))
            # Image tools on what was posted: ProcessImage and its Describe fail too.
            tools_pressed = await _press_tools(stack, rng, max(1, jobs // 4))
            finished = await _all_final(stack, within=180)
        finally:
            for feeder in feeders:
                feeder.cancel()
        # The last notices may still be waiting for Discord to take them: it has recovered.
        finished = finished and await _all_told(stack, within=60)
        await judge(stack, verdict)
        if not finished:
            verdict.problems.append("jobs still unfinished (or untold) 180 s after the last ask")
        stats = stack.emulator.stats()
        calls = {a: s.get("requests", 0) for a, s in stats["actions"].items()}
        describes = [t["describe_calls"] for t in stats["tasks"].values()]
        # Nothing spins: Creates at most 4 tries per job, Describes bounded per task.
        creates = calls.get(CREATE, 0) + calls.get(PROCESS, 0)
        if creates > 4 * verdict.jobs:
            verdict.problems.append(
                f"{creates} Create and ProcessImage calls for {verdict.jobs} jobs"
            )
        if describes and max(describes) > 600:
            verdict.problems.append(f"a task was described {max(describes)} times")
        verdict.extra.update(
            faults_injected=dict(tally),
            calls=calls,
            max_describes_per_task=max(describes, default=0),
            seconds=round(time.monotonic() - started, 1),
            discord_faulted=sum(1 for c in stack.fake.calls if c.injected),
            tools_pressed=tools_pressed,
        )
        await stack.bots[-1].stop(signal.SIGTERM)
    return verdict


# -- command line -----------------------------------------------------------------------------


def table(verdicts: list[Verdict]) -> str:
    lines = [
        f"{'run':<8}{'jobs':>6}{'delivered':>11}{'failed':>8}{'creates':>9}{'taskids':>9}  result",
    ]
    for v in verdicts:
        lines.append(
            f"{v.run:<8}{v.jobs:>6}{v.delivered:>11}{sum(v.failed.values()):>8}"
            f"{v.creates_accepted:>9}{v.task_ids:>9}  {'OK' if v.ok else 'PROBLEMS'}"
        )
        if v.failed:
            lines.append(f"{'':8}failed by category: {dict(v.failed)}")
        for key, value in v.extra.items():
            lines.append(f"{'':8}{key}: {value}")
        lines += [f"{'':8}! {p}" for p in v.problems]
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> list[Verdict]:
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="chaos-") as tmp:
        if args.run in ("crash", "all"):
            verdict = await crash_run(
                Path(tmp) / "crash",
                kills=args.kills,
                jobs_per_kill=args.jobs_per_kill,
                seed=args.seed,
                stretch_creates=not args.no_create_stretch,
                channels=args.channels,
            )
            verdict.extra["create_window"] = await create_window()
            verdicts.append(verdict)
        if args.run in ("faults", "all"):
            verdicts.append(await fault_run(Path(tmp) / "faults", jobs=args.jobs, seed=args.seed))
    return verdicts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.chaos",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--run", choices=("crash", "faults", "all"), default="all")
    p.add_argument("--kills", type=int, default=50)
    p.add_argument("--jobs", type=int, default=60, help="jobs in the fault run")
    p.add_argument(
        "--jobs-per-kill", type=int, default=3, help="crash run: at most this many asks per kill"
    )
    p.add_argument(
        "--channels", type=int, choices=(1, 2), default=1, help="crash run: channels asked in"
    )
    p.add_argument(
        "--no-create-stretch",
        action="store_true",
        help="crash run: never hold a Create's answer 1 s (kills then meet Creates on the "
        "wire only as often as their real round trip allows)",
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", default="chaos-results.json", metavar="PATH")
    args = p.parse_args(argv)
    verdicts = asyncio.run(main_async(args))
    print(table(verdicts))
    Path(args.json).write_text(json.dumps([v.as_dict() for v in verdicts], indent=2) + "\n")
    return 0 if all(v.ok for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
