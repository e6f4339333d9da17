"""The benchmark (`python -m bench`), the emulator options it relies on, and the engine
behaviour it led to (poll schedule and duration learning)."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from bench.emulator_proc import EmulatorProcess
from bench.instrument import peak_in_window
from bench.load import build_load
from bench.metrics import after_warmup, jain, percentile, variant_metrics
from bench.profiles import (
    ORACLE_PRIOR_WEIGHT,
    PROFILES,
    oracle_tunables,
    running_slots,
    scaled_tunables,
)
from bench.report import judge, render
from bot.config.tunables import Limits, Polling, Tunables
from bot.mps.models import TaskKind
from mps_emulator import EmulatorConfig, MpsEmulator
from mps_emulator.__main__ import build_config, parse_args

from .conftest import engine_harness, fast_tunables, running_emulator
from .emulator_helpers import HUNYUAN, call_api, wait_for_status

ROOT = Path(__file__).resolve().parent.parent
DESCRIBE = "DescribeAigcImageTask"


# -- end to end -------------------------------------------------------------------------------


def test_tiny_profile_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if "PROXY" not in k.upper()}
    env["PYTHONPATH"] = str(ROOT)
    env.pop("MPS_ENDPOINT", None)
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--profile", "tiny", "--json", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "k = 60" in proc.stdout and "PASS" in proc.stdout
    result = json.loads(out.read_text())
    engine, baseline = result["engine"], result["baseline"]
    jobs = PROFILES["tiny"].jobs
    assert engine["completed"] == jobs and baseline["completed"] == jobs
    assert engine["rate_limited"] == {"server": 0, "client": 0}
    for name in ("CreateAigcImageTask", DESCRIBE):
        assert engine["actions"]["server"][name]["peak_1s"] <= result["limits_per_window"][name]
    for metrics in (engine, baseline):
        assert metrics["describe_per_job"]["server"] > 0
        delay = metrics["detection_delay_s"]
        assert delay["count"] == jobs and 0 <= delay["p50"] <= delay["p95"] <= delay["max"]
        assert 0 < metrics["fairness_jain"] <= 1
        assert metrics["cpu_seconds"] > 0 and metrics["peak_rss_mb"] > 0
        assert metrics["throughput"]["bound_per_min"] > 0
    # The engine asks about a task less often than a 5-second loop does.
    assert engine["describe_per_job"]["server"] < baseline["describe_per_job"]["server"]
    hold = result["hold"]
    assert hold["waiting"] == hold["jobs"] and hold["creates_sent"] == 0
    targets = {t["target"]: t["pass"] for t in result["targets"]}
    assert targets["0 RequestLimitExceeded"] is True
    assert targets["peak per 1 s window <= limit"] is True


def test_fast_profile_with_its_oracle_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if "PROXY" not in k.upper()}
    env["PYTHONPATH"] = str(ROOT)
    env.pop("MPS_ENDPOINT", None)
    args = ["--profile", "fast", "--jobs", "30", "--guilds", "5", "--users", "10", "--k", "20"]
    proc = subprocess.run(
        [sys.executable, "-m", "bench", *args, "--no-baseline", "--no-hold", "--json", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "oracle" in proc.stdout and "time to result p95" in proc.stdout
    result = json.loads(out.read_text())
    assert result["duration_model"]["image_total_s"] == [6.0, 18.0]
    for variant in ("engine", "oracle"):
        metrics = result[variant]
        assert metrics["completed"] == 30 and metrics["rate_limited"]["server"] == 0
        warm = metrics["after_warmup"]
        assert warm["jobs"] == 10 and warm["describe_per_job"] >= 1
        assert 0 < warm["time_to_result_s"]["p50"] <= warm["time_to_result_s"]["p95"]
    # The oracle was told the truth: it starts from it and has nothing to unlearn.
    learned = result["engine_learned"]["image/Hunyuan"]
    assert learned["earliest"] < 20.0  # well under the prior's 60 s
    targets = {t["target"]: t["pass"] for t in result["targets"]}
    assert "Describe/job <= 1.2 x oracle" in targets
    assert targets["0 RequestLimitExceeded"] is True


# -- pieces of the benchmark ------------------------------------------------------------------


def test_learning_profiles_draw_times_off_the_prior() -> None:
    low, high = Tunables().polling.image_expected
    fast, slow = PROFILES["fast"], PROFILES["slow"]
    assert fast.oracle and slow.oracle
    assert all(5 <= p / f <= 10 for p, f in zip((low, high), fast.image_total, strict=True))
    assert all(2 <= s / p <= 3 for p, s in zip((low, high), slow.image_total, strict=True))
    command = EmulatorProcess(10, 1, Path("unused.log"), fast.image_total).command()
    at = command.index("--total")
    assert command[at + 1 : at + 3] == ["0.600000", "1.800000"]


def test_the_oracle_is_the_engine_told_the_truth() -> None:
    scaled = scaled_tunables(10)
    told = oracle_tunables(scaled, 10, (6.0, 18.0))
    assert told.polling.image_expected == pytest.approx((0.6, 1.8))
    assert told.polling.prior_weight == ORACLE_PRIOR_WEIGHT
    assert (
        replace(
            told.polling,
            image_expected=scaled.polling.image_expected,
            prior_weight=scaled.polling.prior_weight,
        )
        == scaled.polling
    )
    assert told.rates == scaled.rates and told.limits == scaled.limits


def test_after_warmup_skips_each_model_first_jobs_by_submission() -> None:
    jobs = [
        {"kind": "image", "arrival": 0.0, "submitted": float(30 - i), "completed": 40.0 + i}
        for i in range(30)
    ]
    tasks = {
        f"t{i}": {
            "model": "Hunyuan",
            "created_at": float(i),
            "detection_delay": 0.1 if i >= 20 else 5.0,
            "describe_calls": 2 if i >= 20 else 9,
        }
        for i in range(30)
    }
    out = after_warmup(jobs, {"tasks": tasks}, k=10)
    assert out["jobs"] == 10
    # Submitted last are jobs 0..9 (completed at 40..49): those are the ones kept.
    assert out["time_to_result_s"]["p50"] == pytest.approx(445.0)
    assert out["detection_delay_s"]["p95"] == pytest.approx(1.0)
    assert out["describe_per_job"] == 2
    assert after_warmup(jobs, None, k=10)["describe_per_job"] is None


def test_oracle_targets_are_judged() -> None:
    def warm(result: float, delay: float, describes: float) -> dict:
        return {
            "skipped_per_model": 20,
            "time_to_result_s": {"p50": result / 2, "p95": result},
            "detection_delay_s": {"p50": delay / 2, "p95": delay},
            "describe_per_job": describes,
        }

    k = 10.0
    engine = variant_metrics(_fake_output(), None, k, 2, 120.0, 20.0)
    oracle = variant_metrics(_fake_output(), None, k, 2, 120.0, 20.0)
    result = {
        "profile": {**vars(PROFILES["fast"])},
        "k": k,
        "endpoint": "own emulator",
        "limits_per_window": {"CreateAigcImageTask": 200, DESCRIBE: 200},
        "target_interval_s": 5.0,
        "stall_seconds": 600.0,
        "engine": {**engine, "after_warmup": warm(110.0, 9.0, 3.0)},
        "oracle": {**oracle, "after_warmup": warm(100.0, 4.0, 2.4)},
    }
    verdicts = {t["target"]: t["pass"] for t in judge(result)}
    assert verdicts["p95 detection after 20 jobs <= 2 x interval"] is True
    assert verdicts["time to result p95 <= 1.15 x oracle"] is True
    assert verdicts["Describe/job <= 1.2 x oracle"] is False  # 3.0 vs 2.4 = 125 %
    result["engine"]["after_warmup"] = warm(120.0, 11.0, 2.8)
    verdicts = {t["target"]: t["pass"] for t in judge(result)}
    assert verdicts["p95 detection after 20 jobs <= 2 x interval"] is False
    assert verdicts["time to result p95 <= 1.15 x oracle"] is False
    assert verdicts["Describe/job <= 1.2 x oracle"] is True
    assert "engine/oracle" in render({**result, "targets": judge(result)})


def test_peak_in_window_counts_the_busiest_rolling_second() -> None:
    assert peak_in_window([]) == 0
    # Windows are (t - 1, t]: 0.0 and 1.0 never share one.
    assert peak_in_window([0.0, 0.5, 0.99, 1.0, 1.5]) == 3
    assert peak_in_window([0.0, 1.0, 2.0]) == 1
    assert peak_in_window([0.1] * 5 + [3.0]) == 5


def test_jain_and_percentile() -> None:
    assert jain([3.0, 3.0, 3.0]) == pytest.approx(1.0)
    assert jain([1.0, 0.0, 0.0, 0.0]) == pytest.approx(0.25)
    assert percentile([1, 2, 3, 4, 5], 0.5) == 3
    assert percentile([0.0, 10.0], 0.95) == pytest.approx(9.5)
    assert percentile([], 0.5) is None


def test_default_load_is_equal_per_guild_and_fits_the_queue_limit() -> None:
    profile = PROFILES["default"]
    load = build_load(profile)
    assert len(load) == 2000 and load == build_load(profile)
    per_guild: dict[int, int] = {}
    per_user: dict[int, int] = {}
    for job in load:
        per_guild[job.guild] = per_guild.get(job.guild, 0) + 1
        per_user[job.user] = per_user.get(job.user, 0) + 1
    assert set(per_guild.values()) == {20}
    assert max(per_user.values()) <= Tunables().limits.queued_per_user
    assert running_slots(profile, Tunables().limits) == 200


def test_time_compression_scales_times_down_and_rates_up() -> None:
    base = Tunables()
    scaled = scaled_tunables(10)
    assert scaled.polling.target_interval == base.polling.target_interval / 10
    assert scaled.polling.image_expected == (6.0, 18.0)
    assert scaled.rates.describe_image == base.rates.describe_image * 10
    assert scaled.create_backoff == (base.create_backoff[0] / 10, base.create_backoff[1] / 10)
    assert scaled.limits == base.limits


def _fake_output(stall: bool = False) -> dict:
    jobs = [
        {
            "index": i,
            "guild": i % 2,
            "user": i,
            "kind": "image",
            "arrival": 0.0,
            "queued": 0.0,
            "submitted": 0.1 * i,
            "completed": None if stall else 5.0 + i,
            "failed": None,
            "ended": None if stall else 5.0 + i,
            "extra": {},
        }
        for i in range(4)
    ]
    calls = {
        "actions": {
            "CreateAigcImageTask": {"requests": 4, "rate_limited": 0, "peak_1s": 4},
            DESCRIBE: {"requests": 20, "rate_limited": 0, "peak_1s": 3},
        },
        "rate_limited": 0,
        "errors": {},
    }
    return {
        "jobs": jobs,
        "calls": calls,
        "finished": not stall,
        "outcome": "stalled" if stall else "finished",
        "elapsed": 9.0,
        "cpu_seconds": 1.0,
        "peak_rss_mb": 40.0,
    }


def test_report_without_emulator_counters_says_n_a() -> None:
    """Against an endpoint that is not our emulator, client-side figures still come out."""
    k = 10.0
    result = {
        "profile": {**vars(PROFILES["small"])},
        "k": k,
        "endpoint": "http://mps.example",
        "limits_per_window": {"CreateAigcImageTask": 200, DESCRIBE: 200},
        "stall_seconds": 600.0,
        "engine": variant_metrics(_fake_output(), None, k, 2, 120.0, 20.0),
        "baseline": variant_metrics(_fake_output(stall=True), None, k, 2, 120.0, 20.0),
    }
    assert result["engine"]["describe_per_job"] == {"server": None, "client": 5.0}
    assert result["engine"]["rate_limited"] == {"server": None, "client": 0}
    assert result["engine"]["detection_delay_s"]["p95"] is None
    result["targets"] = judge(result)
    verdicts = {t["target"]: t["pass"] for t in result["targets"]}
    assert verdicts["0 RequestLimitExceeded"] is True
    assert verdicts["p95 detection delay <= baseline"] is None
    text = render(result)
    assert "n/a" in text and "baseline stalled" in text


# -- the emulator options the benchmark added -------------------------------------------------


async def test_total_duration_model_splits_wait_then_run() -> None:
    config = EmulatorConfig(image_total=(1.0, 3.0), wait_fraction=0.25, seed=3)
    async with MpsEmulator(config) as emu, aiohttp.ClientSession() as session:
        for _ in range(20):
            reply = await call_api(session, emu.url, "CreateAigcImageTask", HUNYUAN)
            task = emu.task(reply.response["TaskId"])
            total = task.wait_s + task.run_s
            assert 1.0 <= total <= 3.0
            assert task.wait_s == pytest.approx(0.25 * total)
    with pytest.raises(ValueError):
        EmulatorConfig(image_total=(2.0, 1.0))
    with pytest.raises(ValueError):
        EmulatorConfig(wait_fraction=1.5)


async def test_total_duration_model_keeps_task_ids_of_a_seeded_run() -> None:
    ids = []
    for config in (EmulatorConfig(seed=5), EmulatorConfig(seed=5, image_total=(1.0, 2.0))):
        async with MpsEmulator(config) as emu, aiohttp.ClientSession() as session:
            replies = [
                await call_api(session, emu.url, "CreateAigcImageTask", HUNYUAN) for _ in range(3)
            ]
            ids.append([r.response["TaskId"] for r in replies])
    assert ids[0] == ids[1]


async def test_shared_images_serve_one_picture_to_every_task() -> None:
    config = EmulatorConfig(image_total=(0.0, 0.0), wait_fraction=0.0, shared_images=True, seed=1)
    bodies = []
    async with MpsEmulator(config) as emu, aiohttp.ClientSession() as session:
        for _ in range(2):
            created = await call_api(session, emu.url, "CreateAigcImageTask", HUNYUAN)
            done = await wait_for_status(session, emu.url, created.response["TaskId"])
            async with session.get(done.response["ImageUrls"][0]) as resp:
                assert resp.status == 200
                bodies.append(await resp.read())
    assert bodies[0] == bodies[1] and bodies[0].startswith(b"\x89PNG")


def test_emulator_cli_total_options() -> None:
    args = parse_args(
        [
            *("--total", "6", "18", "--video-total", "18", "30"),
            *("--wait-fraction", "0.2", "--shared-images"),
        ]
    )
    config = build_config(args)
    assert config.image_total == (6.0, 18.0) and config.video_total == (18.0, 30.0)
    assert config.wait_fraction == 0.2 and config.shared_images
    assert build_config(parse_args([])).image_total is None


# -- engine behaviour the benchmark led to ----------------------------------------------------


async def test_looks_keep_a_fixed_grid_whatever_the_round_trip(tmp_path) -> None:
    """A slow answer must not stretch the poll interval by its round trip."""
    config = EmulatorConfig(image_wait=(0.0, 0.0), image_run=(1.2, 1.2), seed=1)
    tunables = fast_tunables(
        polling=Polling(
            timeout_seconds=30, image_expected=(0.05, 0.1), target_interval=0.2, max_interval=1
        )
    )
    async with running_emulator(config) as emu:
        emu.inject_fault("slow", DESCRIBE, count=20, delay=0.15)
        async with engine_harness(emu, tmp_path / "db.sqlite3", tunables) as h:
            job_id = await h.submit()
            await h.wait_until(lambda: h.terminal(job_id), within=10)
        arrivals = emu.arrivals(DESCRIBE)
    gaps = sorted(b - a for a, b in itertools.pairwise(arrivals))
    assert len(gaps) >= 3
    assert gaps[len(gaps) // 2] < 0.28  # 0.2 s, not 0.2 s + the 0.15 s answer


async def test_tasks_much_faster_than_the_prior_are_discovered(tmp_path) -> None:
    """Tasks done long before the prior's low: early probes find out, and first looks move
    to where the tasks end, instead of every task waiting out the prior."""
    config = EmulatorConfig(image_wait=(0.0, 0.0), image_run=(0.01, 0.01), seed=1)
    tunables = fast_tunables(
        polling=Polling(
            timeout_seconds=30, image_expected=(0.4, 0.6), target_interval=0.05, max_interval=1
        ),
        limits=Limits(running_per_guild=50, running_per_user=50, queued_per_user=50),
    )
    async with (
        running_emulator(config) as emu,
        engine_harness(emu, tmp_path / "db.sqlite3", tunables) as h,
    ):
        ids = [await h.submit(guild=1, user=1) for _ in range(25)]
        await h.wait_until(lambda: all(h.terminal(i) for i in ids), within=20)
        model = h.engine.durations.model(TaskKind.IMAGE, "Hunyuan")
        assert model.learned
        assert model.earliest() < 0.2  # the prior said no sooner than 0.4 s
        # What the engine decides, not how fast a busy machine carries it out: each new
        # task's first look is planned before the prior's low, where the tasks now end.
        planned: list[float] = []
        plan = model.first_look

        def first_look(task, start: float) -> float:
            due = plan(task, start)
            planned.append(due - start)
            return due

        model.first_look = first_look  # type: ignore[method-assign]
        later = [await h.submit(guild=1, user=1) for _ in range(5)]
        await h.wait_until(lambda: all(h.terminal(i) for i in later), within=20)
        assert len(planned) == 5
        assert max(planned) < 0.4


def test_scaled_priors_are_the_product_defaults() -> None:
    # The benchmark never tells the engine the duration model: priors are Tunables() / k.
    assert scaled_tunables(1).polling == replace(Tunables().polling)
