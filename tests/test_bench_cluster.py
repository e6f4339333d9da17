"""The cluster benchmark (`python -m bench --profile cluster`), in miniature: three bot
processes on one PostgreSQL, each on its own shard; the engine holder is killed with
SIGKILL once part of the jobs are delivered, and started again."""

from __future__ import annotations

from pathlib import Path

from bench.cluster_run import PROFILES, judge, make_guilds, render, run_cluster
from tests.fakes.discord.sharding import shard_of

from .databases import postgresql_url

TINY = PROFILES["cluster-tiny"]


def test_servers_are_spread_over_the_shards() -> None:
    guilds = make_guilds(PROFILES["cluster"])
    shards = [shard_of(g.id, 3) for g in guilds]
    assert sorted(shards) == [0, 0, 1, 1, 2, 2]


async def test_tiny_profile_survives_the_kill_of_the_engine_holder(tmp_path: Path) -> None:
    figures = await run_cluster(TINY, seed=3, home=tmp_path, database=postgresql_url())
    assert figures["holders"]["killed"] != figures["holders"]["took_over"]
    assert figures["delivered_once"] == TINY.jobs and figures["lost"] == 0
    assert figures["posted_elsewhere"] == 0
    assert figures["job_states"] == {"delivered": TINY.jobs}
    assert figures["creates"] == TINY.jobs and figures["second_creates"] == 0
    assert figures["request_limit_exceeded"] == 0
    assert figures["discord_429"] == 0
    assert figures["tracebacks"] == 0
    result = {"profile": TINY.to_json(), "seed": 3, "figures": figures}
    result["targets"] = judge(figures)
    assert all(result["targets"].values()), result["targets"]
    table = render(result)
    assert "jobs delivered exactly once / lost / posted twice" in table
