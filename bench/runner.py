"""Orchestration: a fresh emulator per variant, each variant in its own child process, then the
waiting-jobs check, then figures and targets."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bot.config.tunables import Tunables

from .common import ROOT, RunSpec, child_env
from .emulator_proc import EmulatorProcess, fetch_stats, reset_stats
from .load import LoadJob, build_load
from .metrics import bootstrap_difference, variant_metrics
from .profiles import (
    VIDEO_TOTAL,
    WAIT_FRACTION,
    Profile,
    emulator_limits,
    model_mean_duration,
    running_slots,
)
from .report import judge

# Never contacted: the waiting-jobs check starts no job.
UNUSED_ENDPOINT = "http://127.0.0.1:9"
# Real seconds without a single job ending, while jobs are in flight, that count as a stall
# (the seed approach livelocks once its polling outruns the Describe quota).
STALL_SECONDS = 600.0


@dataclass
class Options:
    profile: Profile
    k: float
    endpoint: str | None  # None: start our own emulator per variant
    seed: int = 1
    baseline: bool = True
    hold: bool = True
    raw: bool = False  # keep every job's record and the emulator's task table in the JSON


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_child(spec: RunSpec, tmp: Path) -> dict[str, Any]:
    spec_path = tmp / f"{spec.variant}-spec.json"
    out_path = tmp / f"{spec.variant}-out.json"
    log_path = tmp / f"{spec.variant}.log"
    spec_path.write_text(json.dumps(spec.to_json()), encoding="utf-8")
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.run(
            [sys.executable, "-m", "bench.child", str(spec_path), str(out_path)],
            cwd=ROOT,
            env=child_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=spec.deadline + spec.hold_seconds + 120,
            check=False,
        )
    if proc.returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        raise RuntimeError(f"the {spec.variant} run failed ({proc.returncode}):\n{tail}")
    return json.loads(out_path.read_text(encoding="utf-8"))


def planned_seconds(profile: Profile, load: list[LoadJob]) -> float:
    """A rough real-time length of the run, only to size timeouts."""
    per_guild = Counter(job.guild for job in load)
    limits = Tunables().limits
    waves = max(math.ceil(n / limits.running_per_guild) for n in per_guild.values())
    longest = max(profile.image_total[1], VIDEO_TOTAL[1] if profile.video_share else 0.0)
    return max(job.arrival for job in load) + waves * model_mean_duration(profile) + longest


def hold_load(profile: Profile) -> list[LoadJob]:
    """The waiting jobs: spread so no user passes the queued-per-user limit."""
    per_user = Tunables().limits.queued_per_user
    users = max(profile.users, math.ceil(profile.hold_jobs / min(2, per_user)))
    guilds = min(profile.guilds, users)
    shape = Profile(name="hold", jobs=profile.hold_jobs, guilds=guilds, users=users, k=1)
    return build_load(shape)


def run(options: Options) -> dict[str, Any]:
    profile, k = options.profile, options.k
    load = build_load(profile, options.seed)
    tunables = Tunables()
    slots = running_slots(profile, tunables.limits)
    limits = emulator_limits(k)
    planned = planned_seconds(profile, load)
    result: dict[str, Any] = {
        "profile": asdict(profile),
        "k": k,
        "seed": options.seed,
        "endpoint": options.endpoint or "own emulator (python -m mps_emulator)",
        "duration_model": {
            "image_total_s": profile.image_total,
            "video_total_s": VIDEO_TOTAL,
            "wait_fraction": WAIT_FRACTION,
        },
        "limits_per_window": limits,
        "limits_per_real_s": tunables.rates.by_action(),
        "target_interval_s": tunables.polling.target_interval,
        "emulator_cpu_seconds": {},
        "stall_seconds": STALL_SECONDS,
    }
    outputs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="mps-bench-") as tmp_name:
        tmp = Path(tmp_name)
        variants = ["engine"]
        if profile.oracle:
            variants.append("oracle")
        if options.baseline:
            variants.append("baseline")
        for variant in variants:
            deadline = 3 * planned / k + 60
            if variant == "baseline" and "engine" in outputs:
                # The seed approach can stall under rate limits; it gets twice the engine's time.
                deadline = max(2 * outputs["engine"]["elapsed"], planned / k) + 5
            emulator = None
            if options.endpoint is None:
                emulator = EmulatorProcess(
                    k, options.seed, tmp / f"emulator-{variant}.log", profile.image_total
                )
                endpoint = emulator.start()
            else:
                endpoint = options.endpoint
                reset_stats(endpoint)
            say(f"[bench] {variant}: {len(load):,} jobs against {endpoint} (k={k:g}) ...")
            try:
                work = tmp / variant
                work.mkdir()
                spec = RunSpec(
                    variant,
                    endpoint,
                    k,
                    str(work),
                    load,
                    deadline,
                    stall_after=STALL_SECONDS / k,
                    true_image_total=profile.image_total if variant == "oracle" else None,
                )
                outputs[variant] = run_child(spec, tmp)
                stats = fetch_stats(endpoint)
                if emulator is not None:
                    result["emulator_cpu_seconds"][variant] = emulator.cpu_seconds()
            finally:
                if emulator is not None:
                    emulator.stop()
            result[variant] = variant_metrics(
                outputs[variant],
                stats,
                k,
                slots,
                model_mean_duration(profile),
                tunables.rates.describe_image,
                saturated=profile.arrival == "together",
                create_rate=tunables.rates.create_image,
            )
            if options.raw:
                result.setdefault("raw", {})[variant] = {
                    "jobs": outputs[variant]["jobs"],
                    "emulator": stats,
                }
            say(f"[bench] {variant}: done in {outputs[variant]['elapsed']:.1f} s of wall time")
        if "engine" in outputs:
            result["engine_learned"] = outputs["engine"].get("learned")
        if options.hold:
            jobs = hold_load(profile)
            say(f"[bench] waiting jobs: {len(jobs):,} held for {profile.hold_seconds:g} s ...")
            work = tmp / "hold"
            work.mkdir()
            spec = RunSpec(
                "hold", UNUSED_ENDPOINT, 1.0, str(work), jobs, 60.0, profile.hold_seconds
            )
            result["hold"] = run_child(spec, tmp)
    if "engine" in result and "baseline" in result:
        interval = bootstrap_difference(
            result["engine"]["detection_delay_s"]["samples"],
            result["baseline"]["detection_delay_s"]["samples"],
            0.95,
        )
        result["p95_delay_difference_ci95_s"] = list(interval) if interval else None
    for variant in ("engine", "oracle", "baseline"):
        if variant in result and not options.raw:
            del result[variant]["detection_delay_s"]["samples"]
    result["targets"] = judge(result)
    return result
