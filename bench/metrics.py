"""Figures from what a variant recorded and what the emulator counted, in real units.

Compressed times are multiplied by k, compressed rates divided by k, so every figure reads as
if the run had taken real time. Figures only the emulator can know (detection delay, server
peaks) are None when the endpoint is not an emulator.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from statistics import fmean
from typing import Any

CREATE_ACTIONS = ("CreateAigcImageTask", "CreateAigcVideoTask")
DESCRIBE_ACTIONS = ("DescribeAigcImageTask", "DescribeAigcVideoTask")


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def jain(values: list[float]) -> float | None:
    """Jain's fairness index: 1 when all equal, 1/n when one takes everything."""
    if not values:
        return None
    square_sum = sum(v * v for v in values)
    if square_sum == 0:
        return 1.0
    return sum(values) ** 2 / (len(values) * square_sum)


def bootstrap_difference(
    a: list[float], b: list[float], q: float, rounds: int = 2000, seed: int = 1
) -> tuple[float, float] | None:
    """95 % interval of quantile(a) - quantile(b) by resampling both (percentile bootstrap):
    how far apart the two figures may be by the luck of which tasks ran."""
    if len(a) < 10 or len(b) < 10:
        return None
    rng = random.Random(seed)
    diffs = sorted(
        percentile(rng.choices(a, k=len(a)), q) - percentile(rng.choices(b, k=len(b)), q)
        for _ in range(rounds)
    )
    return diffs[int(0.025 * rounds)], diffs[int(0.975 * rounds) - 1]


def _delays(stats: dict[str, Any] | None, k: float) -> dict[str, Any]:
    if stats is None:
        return {
            "p50": None,
            "p95": None,
            "max": None,
            "mean": None,
            "count": 0,
            "unnoticed": None,
            "samples": [],
        }
    tasks = stats.get("tasks", {}).values()
    noticed = [t["detection_delay"] * k for t in tasks if t.get("detection_delay") is not None]
    now = stats.get("now", math.inf)
    unnoticed = sum(
        1 for t in tasks if t.get("detection_delay") is None and t.get("final_at", now) <= now
    )
    return {
        "p50": percentile(noticed, 0.50),
        "p95": percentile(noticed, 0.95),
        "max": max(noticed) if noticed else None,
        "mean": fmean(noticed) if noticed else None,
        "count": len(noticed),
        "unnoticed": unnoticed,
        "samples": noticed,
    }


def _saturated_window(jobs: list[dict[str, Any]]) -> tuple[float, float] | None:
    """From the first completion until the first guild ran out of queued work (its last job
    was submitted): while every guild still had jobs waiting, every slot was in demand."""
    completions = [j["completed"] for j in jobs if j["completed"] is not None]
    last_submit: dict[int, float] = {}
    for job in jobs:
        if job["submitted"] is None:
            continue
        last_submit[job["guild"]] = max(last_submit.get(job["guild"], 0.0), job["submitted"])
    if not completions or not last_submit:
        return None
    start = min(completions)
    unsubmitted = {j["guild"] for j in jobs if j["submitted"] is None}
    ends = [t for g, t in last_submit.items() if g not in unsubmitted]
    end = min(ends) if ends else max(j["ended"] or 0.0 for j in jobs)
    return (start, end) if end > start else None


def variant_metrics(
    out: dict[str, Any],
    stats: dict[str, Any] | None,
    k: float,
    slots: int,
    mean_duration_model: float,
    describe_rate: float,
    saturated: bool = True,
    create_rate: float = 20.0,
) -> dict[str, Any]:
    jobs = out["jobs"]
    completed = [j for j in jobs if j["completed"] is not None]
    failed = [j for j in jobs if j["failed"] is not None]
    client_actions = out["calls"]["actions"]

    server: dict[str, Any] | None = None
    if stats is not None:
        server = {
            name: {
                "requests": a["requests"],
                "rate_limited": a["rate_limited"],
                "peak_1s": a["peak_1s"],
            }
            for name, a in stats["actions"].items()
        }
    client = dict(client_actions)
    rle_server = None if server is None else sum(a["rate_limited"] for a in server.values())
    rle_client = out["calls"]["rate_limited"]

    def describes(source: dict[str, Any] | None) -> int | None:
        if source is None:
            return None
        return sum(source.get(a, {}).get("requests", 0) for a in DESCRIBE_ACTIONS)

    per_job = {
        "server": None if server is None or not completed else describes(server) / len(completed),
        "client": describes(client) / len(completed) if completed else None,
    }

    # Mean task duration as the service ran them (emulator), else the model's.
    mean_duration = mean_duration_model
    if stats is not None and stats.get("tasks"):
        durations = [(t["final_at"] - t["created_at"]) * k for t in stats["tasks"].values()]
        mean_duration = fmean(durations)
    bound = slots / mean_duration * 60
    # The per-second quotas allow far more (each job needs one Create and at least one
    # Describe), so the running-job slots are what binds; kept for the record.
    quota_bounds = {
        "slots": bound,
        "create_quota": create_rate * 60,
        "describe_quota": describe_rate * 60,
    }

    window = _saturated_window(jobs) if saturated else None
    throughput = None
    if window is not None:
        start, end = window
        inside = sum(1 for j in completed if start < j["completed"] <= end)
        throughput = inside / ((end - start) * k) * 60
    arrivals = [j["arrival"] for j in jobs]
    last = max((j["completed"] for j in completed), default=None)
    overall = None
    if last is not None and last > min(arrivals):
        overall = len(completed) / ((last - min(arrivals)) * k) * 60

    waits_by_guild: dict[int, list[float]] = defaultdict(list)
    waits = []
    for job in jobs:
        if job["submitted"] is not None:
            wait = (job["submitted"] - job["arrival"]) * k
            waits_by_guild[job["guild"]].append(wait)
            waits.append(wait)
    guild_means = [fmean(w) for w in waits_by_guild.values()]

    results = [(j["completed"] - j["arrival"]) * k for j in completed]
    return {
        "jobs": len(jobs),
        "started": sum(1 for j in jobs if j["submitted"] is not None),
        "time_to_result_s": {
            "p50": percentile(results, 0.5),
            "p95": percentile(results, 0.95),
        },
        "after_warmup": after_warmup(jobs, stats, k),
        "completed": len(completed),
        "failed": len(failed),
        "failures": _count(j["failed"] for j in failed),
        "finished_all": out["finished"],
        "outcome": out.get("outcome"),
        "elapsed_s": out["elapsed"] * k,
        "rate_limited": {"server": rle_server, "client": rle_client},
        "actions": {"server": server, "client": client},
        "describe_per_job": per_job,
        "detection_delay_s": _delays(stats, k),
        "throughput": {
            "saturated_per_min": throughput,
            "window_s": None if window is None else [window[0] * k, window[1] * k],
            "overall_per_min": overall,
            "bound_per_min": min(quota_bounds.values()),
            "bounds_per_min": quota_bounds,
            "slots": slots,
            "mean_task_s": mean_duration,
            "ratio": None if throughput is None else throughput / bound,
        },
        "fair_share_bound_s": slots / describe_rate,
        "wait_s": {
            "p50": percentile(waits, 0.5),
            "p95": percentile(waits, 0.95),
            "max": max(waits) if waits else None,
        },
        "fairness_jain": jain(guild_means),
        "cpu_seconds": out["cpu_seconds"],
        "cpu_seconds_during_run": out.get("cpu_seconds_run"),
        "peak_rss_mb": out["peak_rss_mb"],
        "rss_start_mb": out.get("rss_start_mb"),
    }


def _count(values) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for value in values:
        out[value] += 1
    return dict(out)


# Jobs of a model that are allowed to teach the engine before it is judged on that model.
WARMUP_JOBS = 20


def after_warmup(
    jobs: list[dict[str, Any]], stats: dict[str, Any] | None, k: float, skip: int = WARMUP_JOBS
) -> dict[str, Any]:
    """Figures over each model's jobs after its first `skip` by submission order: how the
    engine does once it has had the chance to learn. Jobs are grouped by kind (the bench
    sends one model per kind); the emulator's tasks by model, in the order they were
    created."""
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for job in sorted(
        (j for j in jobs if j["submitted"] is not None), key=lambda j: j["submitted"]
    ):
        by_kind[job["kind"]].append(job)
    kept = [j for group in by_kind.values() for j in group[skip:]]
    results = [(j["completed"] - j["arrival"]) * k for j in kept if j["completed"] is not None]
    out: dict[str, Any] = {
        "skipped_per_model": skip,
        "jobs": len(kept),
        "time_to_result_s": {
            "p50": percentile(results, 0.5),
            "p95": percentile(results, 0.95),
        },
        "detection_delay_s": {"p50": None, "p95": None},
        "describe_per_job": None,
    }
    if stats is None or not stats.get("tasks"):
        return out
    by_model: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for task in sorted(stats["tasks"].values(), key=lambda t: t["created_at"]):
        by_model[task["model"]].append(task)
    tasks = [t for group in by_model.values() for t in group[skip:]]
    delays = [t["detection_delay"] * k for t in tasks if t.get("detection_delay") is not None]
    out["detection_delay_s"] = {"p50": percentile(delays, 0.5), "p95": percentile(delays, 0.95)}
    if tasks:
        out["describe_per_job"] = sum(t["describe_calls"] for t in tasks) / len(tasks)
    return out
