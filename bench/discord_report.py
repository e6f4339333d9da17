"""Figures of one Discord-side run, the targets judged, and the table printed at the end."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from tests.fakes.discord import FakeInteraction, RecordedCall

from .discord_profile import Command

# Discord answers an interaction within 3 s or never; these are the targets.
INITIAL_P99_S = 0.5
DONE_TO_POSTED_P95_S = 3.0
RATE_LIMITED_PER_1000 = 1.0

WEBHOOK_EDIT = "/webhooks/{application_id}/{token}/messages/{message_id}"
CHANNEL_EDIT = "/channels/{channel_id}/messages/{message_id}"
CHANNEL_POST = "/channels/{channel_id}/messages"


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _spread(values: Sequence[float]) -> dict[str, float | None]:
    return {
        "count": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": max(values) if values else None,
    }


def variant_metrics(
    *,
    commands: list[Command],
    interactions: list[FakeInteraction],
    jobs: dict[str, dict[str, Any]],
    tasks: dict[str, dict[str, Any]],
    clock_offset: float,
    calls: list[RecordedCall],
    rate_limited: int,
    rate_limited_by_route: dict[str, int],
    peak_rss_mb: float | None,
    seconds: float,
    tracebacks: int,
) -> dict[str, Any]:
    """`clock_offset` turns emulator times into the fake's (fake = emulator + offset)."""
    n = len(commands)
    initial = [i.response_delay for i in interactions if i.response_delay is not None]
    done_to_posted: list[float] = []
    busy_done_to_posted: list[float] = []
    per_job = []
    delivered = via_bot_token = 0
    for command, interaction in zip(commands, interactions, strict=True):
        job = jobs.get(command.prompt) or {}
        task = tasks.get(job.get("task_id") or "") or {}
        message = interaction.original
        posted = message.first_attached if message is not None else None
        done_at = task.get("done_at")
        delay = None
        if posted is not None and done_at is not None:
            delay = posted.at - (done_at + clock_offset)
            done_to_posted.append(delay)
            if command.busy:
                busy_done_to_posted.append(delay)
        if posted is not None and job.get("state") == "delivered":
            delivered += 1
        if posted is not None and posted.via == "channel":
            via_bot_token += 1
        per_job.append(
            {
                "prompt": command.prompt,
                "busy": command.busy,
                "initial_s": interaction.response_delay,
                "done_to_posted_s": delay,
                "state": job.get("state"),
                "posted_via": posted.via if posted is not None else None,
            }
        )
    webhook_edits = sum(1 for c in calls if c.method == "PATCH" and c.route == WEBHOOK_EDIT)
    channel_edits = sum(1 for c in calls if c.method == "PATCH" and c.route == CHANNEL_EDIT)
    channel_posts = sum(1 for c in calls if c.method == "POST" and c.route == CHANNEL_POST)
    return {
        "jobs": n,
        "delivered": delivered,
        "answered": len(initial),
        "seconds": seconds,
        "initial_response_s": _spread(initial),
        "done_to_posted_s": _spread(done_to_posted),
        "busy_done_to_posted_s": _spread(busy_done_to_posted),
        "posted_with_bot_token": via_bot_token,
        "rate_limited": rate_limited,
        "rate_limited_per_1000_jobs": rate_limited * 1000 / n if n else None,
        "rate_limited_by_route": rate_limited_by_route,
        "requests": len(calls),
        "edits": {
            "token": webhook_edits,
            "channel": channel_edits,
            "channel_posts": channel_posts,
            "per_job": (webhook_edits + channel_edits) / n if n else None,
        },
        "peak_rss_mb": peak_rss_mb,
        "tracebacks": tracebacks,
        "per_job": per_job,
    }


def _figures(m: dict[str, Any]) -> dict[str, float | None]:
    return {
        "initial_response_p50_s": m["initial_response_s"]["p50"],
        "initial_response_p99_s": m["initial_response_s"]["p99"],
        "done_to_posted_p50_s": m["done_to_posted_s"]["p50"],
        "done_to_posted_p95_s": m["done_to_posted_s"]["p95"],
        "rate_limited_per_1000_jobs": m["rate_limited_per_1000_jobs"],
        "edits_per_job": m["edits"]["per_job"],
        "peak_rss_mb": m["peak_rss_mb"],
    }


def ratios(budget: dict[str, Any], baseline: dict[str, Any]) -> dict[str, float | None]:
    """Each figure of the budgeted bot divided by the baseline's (None: not comparable)."""
    a, b = _figures(budget), _figures(baseline)
    return {k: (a[k] / b[k] if a[k] is not None and b[k] else None) for k in a}


def judge(result: dict[str, Any]) -> list[dict[str, Any]]:
    m = result["budget"]
    out: list[dict[str, Any]] = []

    def add(name: str, ok: bool | None, detail: str) -> None:
        out.append({"target": name, "pass": ok, "detail": detail})

    p99 = m["initial_response_s"]["p99"]
    add(
        f"initial response p99 < {INITIAL_P99_S:g} s",
        None if p99 is None else p99 < INITIAL_P99_S,
        f"{_s(p99)} ({m['answered']}/{m['jobs']} answered)",
    )
    p95 = m["done_to_posted_s"]["p95"]
    add(
        f"done to posted p95 < {DONE_TO_POSTED_P95_S:g} s",
        None if p95 is None else p95 < DONE_TO_POSTED_P95_S,
        _s(p95),
    )
    per_1000 = m["rate_limited_per_1000_jobs"]
    beside = ""
    if "baseline" in result:
        beside = f"; baseline {_n(result['baseline']['rate_limited_per_1000_jobs'])}"
    add(
        f"429 answers < {RATE_LIMITED_PER_1000:g} per 1,000 jobs",
        None if per_1000 is None else per_1000 < RATE_LIMITED_PER_1000,
        f"{_n(per_1000)} ({m['rate_limited']} answers){beside}",
    )
    add(
        "every job delivered",
        m["delivered"] == m["jobs"],
        f"{m['delivered']}/{m['jobs']}",
    )
    return out


def _s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def _n(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def render(result: dict[str, Any]) -> str:
    p = result["profile"]
    budget = result["budget"]
    baseline = result.get("baseline")
    rows: list[tuple[str, str, str, str]] = []

    def row(name: str, get, fmt) -> None:
        b = baseline and get(baseline)
        r = result.get("ratios", {})
        rows.append(
            (name, fmt(get(budget)), fmt(b) if baseline else "-", _ratio_text(get, budget, b, r))
        )

    row("initial response p50", lambda m: m["initial_response_s"]["p50"], _s)
    row("initial response p99", lambda m: m["initial_response_s"]["p99"], _s)
    row("done to posted p50", lambda m: m["done_to_posted_s"]["p50"], _s)
    row("done to posted p95", lambda m: m["done_to_posted_s"]["p95"], _s)
    row("  busy channels p95", lambda m: m["busy_done_to_posted_s"]["p95"], _s)
    row("429 answers / 1,000 jobs", lambda m: m["rate_limited_per_1000_jobs"], _n)
    row("edits / job", lambda m: m["edits"]["per_job"], lambda v: _n(v, 2))
    row("  of which bot token", lambda m: m["edits"]["channel"], lambda v: f"{v:,}")
    row("results posted with bot token", lambda m: m["posted_with_bot_token"], lambda v: f"{v:,}")
    row("delivered", lambda m: m["delivered"], lambda v: f"{v:,}")
    row("peak memory (bot)", lambda m: m["peak_rss_mb"], lambda v: f"{_n(v)} MB")
    row("run time", lambda m: m["seconds"], lambda v: f"{v:.0f} s")

    head = (
        f"profile {p['name']}: {p['jobs']:,} jobs, {p['guilds']} servers, "
        f"{p['busy_channels']} channels with {p['busy_jobs']} jobs at once, "
        f"token life {p['token_lifetime']:g} s"
    )
    widths = [
        max(len(r[i]) for r in [("", "edit budget", "baseline", "ratio"), *rows]) for i in range(4)
    ]
    lines = [head, ""]
    for r in [("", "edit budget", "baseline", "ratio"), *rows]:
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    lines.append("")
    for t in result["targets"]:
        verdict = {True: "PASS", False: "FAIL", None: "n/a "}[t["pass"]]
        lines.append(f"  {verdict}  {t['target']}: {t['detail']}")
    return "\n".join(lines)


def _ratio_text(get, budget: dict[str, Any], b: Any, _: dict[str, Any]) -> str:
    a = get(budget)
    if b is None or a is None or not isinstance(a, int | float) or not b:
        return "-"
    return _x(a / b)
