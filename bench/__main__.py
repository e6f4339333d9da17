"""``python -m bench``: the job engine against the seed guide's approach, on an MPS emulator.

Examples::

    python -m bench                      # default profile: 2,000 jobs, 100 guilds
    python -m bench --profile small      # few jobs in flight (unsaturated)
    python -m bench --profile bursty --json out/bursty.json
    python -m bench --profile discord    # the real bot against a fake Discord and the emulator
    python -m bench --profile storage    # a year of history on SQLite and PostgreSQL
    python -m bench --profile cluster    # three processes on PostgreSQL; the engine killed
    MPS_ENDPOINT=http://127.0.0.1:8765 python -m bench --profile small --k 1

Without --endpoint (or MPS_ENDPOINT) the benchmark starts its own emulator per variant with
task durations divided by k and rate limits multiplied by k.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .cluster_run import PROFILES as CLUSTER_PROFILES
from .discord_profile import PROFILES as DISCORD_PROFILES
from .profiles import PROFILES
from .report import render
from .runner import Options, run, say
from .storage_run import PROFILES as STORAGE_PROFILES


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--profile",
        choices=sorted([*PROFILES, *DISCORD_PROFILES, *STORAGE_PROFILES, *CLUSTER_PROFILES]),
        default="default",
    )
    p.add_argument(
        "--json",
        default="bench-results.json",
        metavar="PATH",
        help="where to write every figure (default: bench-results.json)",
    )
    p.add_argument(
        "--k",
        type=float,
        help="time compression factor (default: per profile; "
        "1 against an endpoint that is not our own emulator)",
    )
    p.add_argument("--jobs", type=int, help="override the profile's number of jobs")
    p.add_argument("--guilds", type=int, help="override the profile's number of guilds")
    p.add_argument("--users", type=int, help="override the profile's number of users")
    p.add_argument(
        "--endpoint",
        help="an MPS endpoint to use instead of our own emulator "
        "(default: $MPS_ENDPOINT if set); credentials from TENCENTCLOUD_SECRET_ID/KEY",
    )
    p.add_argument("--seed", type=int, default=1, help="seeds the job set and the emulator")
    p.add_argument("--no-baseline", action="store_true", help="run the engine only")
    p.add_argument("--no-hold", action="store_true", help="skip the waiting-jobs check")
    p.add_argument(
        "--raw", action="store_true", help="also keep per-job and per-task data in the JSON"
    )
    p.add_argument(
        "--database-url",
        help="storage and cluster profiles: the PostgreSQL server to make the benchmark's "
        "database on "
        "(default $BENCH_DATABASE_URL, else $TEST_DATABASE_URL, else 127.0.0.1:5432)",
    )
    p.add_argument("--no-postgresql", action="store_true", help="storage profiles: SQLite only")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.profile in STORAGE_PROFILES:
        from .storage_run import main_storage

        return main_storage(args)
    if args.profile in CLUSTER_PROFILES:
        from .cluster_run import main_cluster

        return main_cluster(args)
    if args.profile in DISCORD_PROFILES:
        from .discord_run import main_discord

        return main_discord(args)
    try:
        profile = PROFILES[args.profile].scaled(
            jobs=args.jobs, guilds=args.guilds, users=args.users
        )
    except ValueError as exc:
        say(f"error: {exc}")
        return 2
    endpoint = args.endpoint or os.environ.get("MPS_ENDPOINT") or None
    k = args.k if args.k is not None else (profile.k if endpoint is None else 1.0)
    if k <= 0:
        say("error: --k must be positive")
        return 2
    if endpoint is not None:
        say(
            f"[bench] using {endpoint}: k={k:g} must match how that service was started; "
            "against Tencent Cloud itself every job is a real, billed task"
        )
    options = Options(
        profile=profile,
        k=k,
        endpoint=endpoint,
        seed=args.seed,
        baseline=not args.no_baseline,
        hold=not args.no_hold,
        raw=args.raw,
    )
    result = run(options)
    print(render(result), flush=True)
    path = Path(args.json)
    if path.parent != Path():
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2), encoding="utf-8")
    say(f"[bench] figures written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
