"""The Discord-side benchmark (`python -m bench --profile discord`), in miniature: the real
bot against the fake Discord with rate limits on, busy channels, tokens that run out."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bench.discord_profile import BUSY, PROFILES, make_guilds, plan
from bench.discord_report import judge, percentile, render
from bench.discord_run import run_variant
from tests.fakes.discord import FakeMessage, MessageRevision, StoredAttachment

TINY = PROFILES["discord-tiny"]


def test_the_plan_fills_busy_channels_at_once() -> None:
    profile = PROFILES["discord"]
    commands = plan(profile, seed=1)
    assert len(commands) == 1000
    assert len({c.prompt for c in commands}) == 1000
    bursts = Counter((c.guild, c.at) for c in commands if c.channel == BUSY)
    assert sorted(bursts.values()) == [40] * 5
    assert len({c.guild for c in commands}) == 50
    guilds = make_guilds(profile)
    assert [len(g.channels) for g in guilds[:6]] == [2, 2, 2, 2, 2, 1]


def test_first_attached_is_the_revision_that_posted_files() -> None:
    files = [StoredAttachment(1, 5, "a.png", "image/png", b"x")]

    def revision(at: float, attachments: list, via: str) -> MessageRevision:
        return MessageRevision(at, "", [], [], attachments, 0, via)

    message = FakeMessage(1, 5, 9, 2, 0, 0.0)
    assert message.first_attached is None
    message.history = [revision(1.0, [], "callback"), revision(2.0, files, "channel")]
    message.history.append(revision(3.0, files, "channel"))
    assert message.first_attached is message.history[1]


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile(list(range(1, 101)), 99) == 99


async def test_tiny_profile_delivers_everything_without_429s(tmp_path: Path) -> None:
    figures = await run_variant(TINY, seed=2, edit_budget=True, home=tmp_path)
    assert figures["delivered"] == figures["jobs"] == TINY.jobs
    assert figures["rate_limited"] == 0, figures["rate_limited_by_route"]
    assert figures["tracebacks"] == 0
    # Jobs in the busy channel outlived their token: their results went through the channel.
    assert figures["posted_with_bot_token"] > 0 and figures["edits"]["channel"] > 0
    assert figures["initial_response_s"]["max"] < 3.0
    result = {"profile": TINY.to_json(), "budget": figures}
    result["targets"] = judge(result)
    verdicts = {t["target"]: t["pass"] for t in result["targets"]}
    assert verdicts["every job delivered"] and verdicts["429 answers < 1 per 1,000 jobs"]
    table = render(result)
    assert "done to posted p95" in table and "PASS  every job delivered" in table
