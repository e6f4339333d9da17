"""The targets, judged, and the table printed at the end of a run."""

from __future__ import annotations

from typing import Any

from .metrics import CREATE_ACTIONS, DESCRIBE_ACTIONS

SHORT = {
    "CreateAigcImageTask": "Create image",
    "DescribeAigcImageTask": "Describe image",
    "CreateAigcVideoTask": "Create video",
    "DescribeAigcVideoTask": "Describe video",
}


def judge(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target: name, the figures it compares, and PASS/FAIL (None: not measurable)."""
    profile = result["profile"]["name"]
    engine = result["engine"]
    baseline = result.get("baseline")
    hold = result.get("hold")
    limits = result["limits_per_window"]
    out = []

    def add(name: str, ok: bool | None, detail: str) -> None:
        out.append({"target": name, "pass": ok, "detail": detail})

    rle = engine["rate_limited"]["server"]
    source = "emulator"
    if rle is None:
        rle, source = engine["rate_limited"]["client"], "client"
    beside = ""
    if baseline is not None:
        b = baseline["rate_limited"]["server"]
        beside = f"; baseline {b if b is not None else baseline['rate_limited']['client']}"
    add("0 RequestLimitExceeded", rle == 0, f"engine {rle} ({source}){beside}")

    actions = engine["actions"]["server"] or engine["actions"]["client"]
    over = [
        f"{SHORT.get(a, a)} {v['peak_1s']}>{limits[a]}"
        for a, v in actions.items()
        if a in limits and v["peak_1s"] > limits[a]
    ]
    peaks = ", ".join(
        f"{SHORT.get(a, a)} {v['peak_1s']}/{limits[a]}" for a, v in actions.items() if a in limits
    )
    add("peak per 1 s window <= limit", not over, "; ".join(over) or peaks)

    if profile == "small" and baseline is not None:
        e, b = engine["describe_per_job"], baseline["describe_per_job"]
        key = "server" if e["server"] is not None else "client"
        ratio = _ratio(e[key], b[key])
        add(
            "Describe/job <= 60 % of baseline",
            None if ratio is None else ratio <= 0.60,
            f"{_num(e[key])} vs {_num(b[key])} = {_pct(ratio)}",
        )
        add("p95 detection delay <= baseline", *_p95_no_worse(result))
    if profile == "default":
        t = engine["throughput"]
        add(
            "jobs/min >= 90 % of slot bound",
            None if t["ratio"] is None else t["ratio"] >= 0.90,
            f"{_num(t['saturated_per_min'])} vs {_num(t['bound_per_min'])} = {_pct(t['ratio'])}",
        )
        p95 = engine["detection_delay_s"]["p95"]
        bound = engine["fair_share_bound_s"]
        add(
            "p95 detection <= 2 x fair share",
            None if p95 is None else p95 <= 2 * bound,
            f"{_num(p95)} s vs 2 x {_num(bound)} s",
        )
        jain = engine["fairness_jain"]
        add(
            "fairness (Jain) >= 0.95",
            None if jain is None else jain >= 0.95,
            f"{_num(jain, 3)}",
        )
    oracle = result.get("oracle")
    if oracle is not None:
        e, o = engine["after_warmup"], oracle["after_warmup"]
        skip = e["skipped_per_model"]
        p95 = e["detection_delay_s"]["p95"]
        bound = 2 * result["target_interval_s"]
        add(
            f"p95 detection after {skip} jobs <= 2 x interval",
            None if p95 is None else p95 <= bound,
            f"{_num(p95)} s vs {_num(bound)} s",
        )
        ratio = _ratio(e["time_to_result_s"]["p95"], o["time_to_result_s"]["p95"])
        add(
            "time to result p95 <= 1.15 x oracle",
            None if ratio is None else ratio <= 1.15,
            f"{_num(e['time_to_result_s']['p95'])} s vs "
            f"{_num(o['time_to_result_s']['p95'])} s = {_pct(ratio)}",
        )
        ratio = _ratio(e["describe_per_job"], o["describe_per_job"])
        add(
            "Describe/job <= 1.2 x oracle",
            None if ratio is None else ratio <= 1.2,
            f"{_num(e['describe_per_job'], 2)} vs {_num(o['describe_per_job'], 2)} = {_pct(ratio)}",
        )
    if hold is not None:
        add(
            f"{hold['jobs']} waiting jobs < 50 MB",
            hold["rss_growth_mb"] < 50,
            f"+{hold['rss_growth_mb']:.1f} MB RSS",
        )
        add(
            f"{hold['jobs']} waiting jobs < 5 % of a core",
            hold["cpu_share"] < 0.05,
            f"{hold['cpu_share'] * 100:.2f} % over {hold['hold_seconds']:g} s",
        )
    return out


def _p95_no_worse(result: dict[str, Any]) -> tuple[bool | None, str]:
    """No worse: lower or equal, or higher by less than the luck of the draw can explain
    (the 95 % bootstrap interval of the difference reaches zero)."""
    ep = result["engine"]["detection_delay_s"]["p95"]
    bp = result["baseline"]["detection_delay_s"]["p95"]
    if ep is None or bp is None:
        return None, "n/a (needs the emulator's counters)"
    detail = f"{ep:.2f} s vs {bp:.2f} s"
    ci = result.get("p95_delay_difference_ci95_s")
    if ci is not None:
        detail += f" (difference 95 % interval {ci[0]:+.2f}..{ci[1]:+.2f} s)"
    if ep <= bp:
        return True, detail
    if ci is not None and ci[0] <= 0:
        return True, detail + ": within sampling noise"
    return False, detail


def _num(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f} %"


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def render(result: dict[str, Any]) -> str:
    p = result["profile"]
    k = result["k"]
    engine = result["engine"]
    baseline = result.get("baseline") or {}
    lines = [
        f"MPS benchmark, profile {p['name']}: {p['jobs']:,} jobs over {p['guilds']} guilds "
        f"and {p['users']:,} users ({p['description']})",
        f"time compressed by k = {k:g}: durations and intervals / {k:g}, rate limits x {k:g}; "
        "figures below are in real (uncompressed) units",
        f"endpoint: {result['endpoint']}   running slots: {engine['throughput']['slots']}",
        "",
        f"{'':38}{'engine':>16}{'baseline':>16}{'engine/base':>13}",
    ]

    def row(label: str, e: Any, b: Any, ratio: float | None = None) -> None:
        lines.append(f"{label:38}{e:>16}{b:>16}{_pct(ratio) if ratio is not None else '':>13}")

    def both(getter, digits: int = 1, with_ratio: bool = False) -> tuple[str, str, Any]:
        e = _get(engine, getter)
        b = _get(baseline, getter)
        return _num(e, digits), _num(b, digits), (_ratio(e, b) if with_ratio else None)

    row(
        "jobs completed / failed",
        f"{engine['completed']:,} / {engine['failed']:,}",
        f"{baseline['completed']:,} / {baseline['failed']:,}" if baseline else "-",
    )
    row("run time (s)", *both(lambda m: m["elapsed_s"], 0))
    row("jobs started at MPS", *both(lambda m: m["started"], 0))
    row(
        "run ended",
        engine.get("outcome") or "-",
        baseline.get("outcome") or "-" if baseline else "-",
    )
    row("RequestLimitExceeded (emulator)", *_ints(engine, baseline, "server"))
    row("RequestLimitExceeded (client)", *_ints(engine, baseline, "client"))
    limits = result["limits_per_window"]
    for action in (*CREATE_ACTIONS, *DESCRIBE_ACTIONS):
        if action not in _actions(engine) and action not in _actions(baseline):
            continue
        e = _actions(engine).get(action, {}).get("peak_1s")
        b = _actions(baseline).get(action, {}).get("peak_1s")
        row(
            f"peak 1 s {SHORT[action]} (limit {limits[action]})",
            "n/a" if e is None else str(e),
            "n/a" if b is None else str(b),
        )
    row("Describe calls in all", *both(_describes, 0, True))
    row("Describe calls per completed job", *both(_per_job, 2, True))
    for q in ("p50", "p95", "max"):
        row(
            f"detection delay {q} (s)",
            *both(lambda m, q=q: m["detection_delay_s"][q], 1, True),
        )
    unnoticed = _get(baseline, lambda m: m["detection_delay_s"]["unnoticed"])
    if unnoticed:
        row("  DONE but never noticed", "0", str(unnoticed))
    row("jobs/min while saturated", *both(lambda m: m["throughput"]["saturated_per_min"], 1, True))
    row("jobs/min bound (slots / mean task)", *both(lambda m: m["throughput"]["bound_per_min"]))
    row("jobs/min over the whole run", *both(lambda m: m["throughput"]["overall_per_min"], 1, True))
    row("wait to start p50 / p95 (s)", _waits(engine), _waits(baseline))
    for q in ("p50", "p95"):
        row(
            f"time to result {q} (s)",
            *both(lambda m, q=q: m["time_to_result_s"][q], 1, True),
        )
    row("fairness, Jain over guild mean wait", *both(lambda m: m["fairness_jain"], 3))
    row("CPU seconds (variant process)", *both(lambda m: m["cpu_seconds"], 1, True))
    row("  CPU ms per completed job", *both(_cpu_per_job, 1, True))
    row("peak RSS (MB)", *both(lambda m: m["peak_rss_mb"], 1, True))
    emu_cpu = result.get("emulator_cpu_seconds") or {}
    row(
        "CPU seconds (emulator process)",
        _num(emu_cpu.get("engine")),
        _num(emu_cpu.get("baseline")),
    )
    for name, m in (("engine", engine), ("baseline", baseline)):
        if m and m.get("outcome") == "stalled":
            lines.append(
                f"  {name} stalled: no job ended for {result['stall_seconds']:.0f} s while jobs "
                "were in flight (stopped there; figures cover what it finished)"
            )
        elif m and m.get("outcome") == "deadline":
            lines.append(f"  {name} stopped at its time limit before every job ended")
    oracle = result.get("oracle")
    if oracle:
        lines += _oracle_rows(engine, oracle)
    hold = result.get("hold")
    if hold:
        lines += [
            "",
            f"waiting jobs: {hold['waiting']:,} held in the queue; RSS "
            f"{hold['rss_before_mb']:.1f} -> {hold['rss_after_wait_mb']:.1f} MB "
            f"(+{hold['rss_growth_mb']:.1f} MB); CPU while waiting {hold['cpu_share'] * 100:.2f} % "
            f"of a core over {hold['hold_seconds']:g} s; submitting them took "
            f"{hold['submit_seconds']:.1f} s",
        ]
    lines += ["", "targets:"]
    for t in result["targets"]:
        verdict = {True: "PASS", False: "FAIL", None: "n/a "}[t["pass"]]
        lines.append(f"  {verdict}  {t['target']:36} {t['detail']}")
    return "\n".join(lines)


def _get(metrics: dict[str, Any], getter) -> Any:
    if not metrics:
        return None
    try:
        return getter(metrics)
    except (KeyError, TypeError):
        return None


def _per_job(m: dict[str, Any]) -> float | None:
    per_job = m["describe_per_job"]
    return per_job["server"] if per_job["server"] is not None else per_job["client"]


def _describes(m: dict[str, Any]) -> float | None:
    actions = _actions(m)
    if not actions:
        return None
    return sum(actions.get(a, {}).get("requests", 0) for a in DESCRIBE_ACTIONS)


def _cpu_per_job(m: dict[str, Any]) -> float | None:
    return m["cpu_seconds"] * 1000 / m["completed"] if m["completed"] else None


def _actions(m: dict[str, Any]) -> dict[str, Any]:
    if not m:
        return {}
    return m["actions"]["server"] or m["actions"]["client"] or {}


def _ints(engine: dict[str, Any], baseline: dict[str, Any], key: str) -> tuple[str, str]:
    def one(m: dict[str, Any]) -> str:
        if not m:
            return "-"
        value = m["rate_limited"][key]
        return "n/a" if value is None else f"{value:,}"

    return one(engine), one(baseline)


def _waits(m: dict[str, Any]) -> str:
    if not m:
        return "-"
    return f"{_num(m['wait_s']['p50'])} / {_num(m['wait_s']['p95'])}"


def _oracle_rows(engine: dict[str, Any], oracle: dict[str, Any]) -> list[str]:
    """The engine beside the oracle (the same engine told the true durations), over each
    model's jobs after the first ones, and over the whole run."""
    e, o = engine["after_warmup"], oracle["after_warmup"]
    title = f"after each model's first {e['skipped_per_model']} jobs"
    lines = ["", f"{title:38}{'engine':>16}{'oracle':>16}{'engine/oracle':>15}"]

    def row(label: str, a: float | None, b: float | None, digits: int = 1) -> None:
        ratio = _ratio(a, b)
        lines.append(
            f"{label:38}{_num(a, digits):>16}{_num(b, digits):>16}"
            f"{_pct(ratio) if ratio is not None else '':>15}"
        )

    for q in ("p50", "p95"):
        row(f"time to result {q} (s)", e["time_to_result_s"][q], o["time_to_result_s"][q])
    for q in ("p50", "p95"):
        row(f"detection delay {q} (s)", e["detection_delay_s"][q], o["detection_delay_s"][q])
    row("Describe calls per job", e["describe_per_job"], o["describe_per_job"], 2)
    lines.append(f"{'whole run':38}")
    for q in ("p50", "p95"):
        row(
            f"time to result {q} (s)",
            engine["time_to_result_s"][q],
            oracle["time_to_result_s"][q],
        )
    row("Describe calls per completed job", _per_job(engine), _per_job(oracle), 2)
    row("run time (s)", engine["elapsed_s"], oracle["elapsed_s"], 0)
    return lines
