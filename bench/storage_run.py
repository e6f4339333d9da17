"""``python -m bench --profile storage``: a year of history (1,000,000 jobs, one server
holding a third) on SQLite and on PostgreSQL, and how long each question the bot asks of
it takes, today's way against the baseline (the bot before usage was summed in the
database), with the longest the event loop was held meanwhile.

PostgreSQL: a database of its own is made on the server of `--database-url` (default
$BENCH_DATABASE_URL, else $TEST_DATABASE_URL, else postgresql://127.0.0.1:5432/test) and
dropped at the end; `--no-postgresql` skips it.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from . import storage_questions as q
from .storage_history import BEFORE_UNITS, HistoryShape, at_version, build

PROFILES = {
    "storage": HistoryShape(),
    "storage-tiny": HistoryShape(jobs=6_000, guilds=40, unfinished=30),
}
TARGETS = {  # what the issue asks, in milliseconds
    "admission": 5.0,
    "usage_366": 300.0,
    "loop_block": 50.0,
    "startup": 1000.0,
}


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def server_url(given: str | None) -> str:
    return (
        given
        or os.environ.get("BENCH_DATABASE_URL")
        or os.environ.get("TEST_DATABASE_URL")
        or "postgresql://127.0.0.1:5432/test"
    )


async def _admin(server: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def measure(target: Any, shape: HistoryShape, runs: dict[str, int]) -> dict[str, Any]:
    """Build the history, answer every question the baseline's way on the old schema,
    migrate, and answer them the bot's way."""
    from bot.storage.database import open_database, schema_version

    now = time.time()
    began = time.perf_counter()
    await build(target, shape, now)
    out: dict[str, Any] = {"build_s": round(time.perf_counter() - began, 1)}
    say(f"[bench] history of {shape.jobs:,} jobs written in {out['build_s']} s")

    async with at_version(BEFORE_UNITS):
        db = await open_database(target)
    try:
        out["baseline_schema"] = await schema_version(db)  # the baseline's own schema
        out["baseline"] = {
            "admission": (await q.baseline_admission(db, runs["admission"])).as_dict(),
            "usage_30": (await q.baseline_usage(db, 30, runs["usage_base"], now)).as_dict(),
            "usage_366": (await q.baseline_usage(db, 366, runs["usage_base"], now)).as_dict(),
            "startup": (await q.baseline_startup(db, runs["startup"])).as_dict(),
        }
    finally:
        await db.close()
    say("[bench] baseline measured; migrating to the current schema")

    began = time.perf_counter()
    db = await open_database(target)
    out["migration_s"] = round(time.perf_counter() - began, 1)
    try:
        if db.dialect == "postgresql":
            # What autovacuum does within a minute of the migration's update of every
            # multi-image job: the index-only scans /usage relies on need it.
            began = time.perf_counter()
            await db.write("VACUUM (ANALYZE) jobs")
            out["vacuum_s"] = round(time.perf_counter() - began, 1)
        out["now"] = {
            "admission": (await q.admission_check(db, runs["admission"])).as_dict(),
            "admission_write": (await q.admission_write(db, runs["admission"])).as_dict(),
            "usage_30": (await q.usage(db, 30, runs["usage"], now)).as_dict(),
            "usage_366": (await q.usage(db, 366, runs["usage"], now)).as_dict(),
            "startup": (await q.startup(db, runs["startup"])).as_dict(),
        }
        out["budgets"] = await q.budget_share(db, runs["admission"])
    finally:
        await db.close()
    return out


async def run_all(args: Any, shape: HistoryShape) -> dict[str, Any]:
    tiny = shape.jobs < 100_000
    runs = {
        "admission": 50 if tiny else 200,
        "usage": 3 if tiny else 5,
        "usage_base": 1 if tiny else 2,
        "startup": 3,
    }
    result: dict[str, Any] = {"jobs": shape.jobs, "big_server_share": 1 / 3, "runs": runs}
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as home:
        say("[bench] SQLite")
        result["sqlite"] = await measure(Path(home) / "bench.sqlite3", shape, runs)
    if args.no_postgresql:
        return result
    server = server_url(args.database_url)
    name = f"imagine_bench_{os.getpid()}"
    try:
        await _admin(server, f'CREATE DATABASE "{name}"')
    except Exception as exc:
        say(f"[bench] PostgreSQL skipped: cannot create a database on {_shown(server)} ({exc})")
        result["postgresql"] = {"skipped": str(exc)}
        return result
    try:
        parts = urlsplit(server)
        target = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
        say("[bench] PostgreSQL")
        result["postgresql"] = await measure(target, shape, runs)
    finally:
        await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return result


def _shown(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.hostname or "", parts.path, "", ""))


QUESTIONS = (
    ("admission", "admission: the rules' queries (p95)", "p95_ms"),
    ("admission_write", "admission + job written in one transaction (p95)", "p95_ms"),
    ("usage_30", "/usage days:30, big server (median)", "p50_ms"),
    ("usage_366", "/usage days:366, big server (median)", "p50_ms"),
    ("startup", "start-up scan (median)", "p50_ms"),
)


def render(result: dict[str, Any]) -> str:
    backends = [b for b in ("sqlite", "postgresql") if "now" in result.get(b, {})]
    head = ["question"]
    for b in backends:
        name = "SQLite" if b == "sqlite" else "PostgreSQL"
        head += [f"{name} baseline", f"{name} now", "ratio", "loop block now / baseline"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key, label, stat in QUESTIONS:
        cells = [label]
        for b in backends:
            now = result[b]["now"][key]
            base = result[b]["baseline"].get(key)
            ratio = f"{now[stat] / base[stat]:.3f}x" if base else ""
            block = f"{now['loop_block_ms']:.1f}" + (
                f" / {base['loop_block_ms']:.1f} ms" if base else " ms"
            )
            cells += [f"{base[stat]:,.1f} ms" if base else "", f"{now[stat]:,.1f} ms", ratio, block]
        lines.append("| " + " | ".join(cells) + " |")
    for b in backends:
        lines.append(
            f"\n{b}: history written in {result[b]['build_s']} s; migrations 8-9 (units "
            f"column from the options JSON, usage indexes) took {result[b]['migration_s']} s"
        )
        share = result[b]["budgets"]
        lines.append(
            f"{b}: the rules' queries with money budgets {share['with_ms']} ms, without "
            f"{share['without_ms']} ms (median, taken in turn): {share['ratio']}x"
        )
    return "\n".join(lines)


def judge(result: dict[str, Any]) -> list[str]:
    """Each target, passed or not (empty when every one passes)."""
    misses = []
    for b in ("sqlite", "postgresql"):
        now = result.get(b, {}).get("now")
        if not now:
            continue
        checks = {
            "admission p95": (now["admission"]["p95_ms"], TARGETS["admission"]),
            "admission write p95": (now["admission_write"]["p95_ms"], TARGETS["admission"]),
            "/usage days:366": (now["usage_366"]["p50_ms"], TARGETS["usage_366"]),
            "loop block in /usage days:366": (
                now["usage_366"]["loop_block_ms"],
                TARGETS["loop_block"],
            ),
            "start-up": (now["startup"]["p50_ms"], TARGETS["startup"]),
        }
        misses += [f"{b}: {k} {v:.1f} ms > {t} ms" for k, (v, t) in checks.items() if v > t]
    return misses


def main_storage(args: Any) -> int:
    shape = PROFILES[args.profile]
    if args.jobs:
        shape = HistoryShape(jobs=args.jobs, unfinished=min(shape.unfinished, args.jobs // 10))
    shape = HistoryShape(**{**vars(shape), "seed": args.seed})
    result = asyncio.run(run_all(args, shape))
    result["targets_ms"] = TARGETS
    result["missed"] = judge(result)
    print(render(result), flush=True)
    print("\n" + ("every target met" if not result["missed"] else "\n".join(result["missed"])))
    path = Path(args.json)
    if path.parent != Path():
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2), encoding="utf-8")
    say(f"[bench] figures written to {path}")
    return 0
