"""The poll schedule and the duration model, on simulated time: no engine, no emulator."""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field

import pytest

from bot.engine.polling import DurationModel, DurationPrior, PollSchedule

PRIOR = DurationPrior(60.0, 180.0)  # the product's image prior: "1-3 minutes"
INTERVAL = 5.0

# -- the schedule -----------------------------------------------------------------------------


def test_schedule_serves_the_most_overdue_first() -> None:
    schedule = PollSchedule()
    schedule.set(1, 30.0)
    schedule.set(2, 10.0)
    schedule.set(3, 20.0)
    assert len(schedule) == 3 and schedule.next_due() == 10.0
    assert schedule.pop_due(5.0) is None  # nothing due yet
    assert [schedule.pop_due(100.0) for _ in range(4)] == [2, 3, 1, None]
    assert len(schedule) == 0 and schedule.next_due() is None


def test_schedule_keeps_one_entry_per_job() -> None:
    schedule = PollSchedule()
    schedule.set(1, 10.0)
    schedule.set(1, 40.0)  # moved later: the entry at 10 is stale
    schedule.set(2, 20.0)
    assert len(schedule) == 2 and schedule.due_of(1) == 40.0
    assert schedule.pop_due(30.0) == 2
    assert schedule.pop_due(30.0) is None
    schedule.set(1, 5.0)  # moved earlier
    assert schedule.pop_due(6.0) == 1
    assert schedule.pop_due(100.0) is None  # neither old entry comes back


def test_discarded_jobs_are_never_served() -> None:
    schedule = PollSchedule()
    schedule.set(1, 1.0)
    schedule.set(2, 2.0)
    schedule.discard(1)
    schedule.discard(99)  # unknown: ignored
    assert len(schedule) == 1 and schedule.due_of(1) is None
    assert schedule.next_due() == 2.0
    assert schedule.pop_due(10.0) == 2
    assert schedule.due_of(2) is None  # under way: no longer scheduled


# -- a simulated poller -----------------------------------------------------------------------


@dataclass
class Run:
    """What happened to each task, in submission order."""

    delays: list[float] = field(default_factory=list)  # done -> first seen done
    looks: list[int] = field(default_factory=list)
    ends: list[float] = field(default_factory=list)  # submit of the first -> seen done

    def after(self, skip: int) -> Run:
        return Run(self.delays[skip:], self.looks[skip:], self.ends[skip:])

    def p95_delay(self) -> float:
        return sorted(self.delays)[int(0.95 * (len(self.delays) - 1))]

    def looks_per_task(self) -> float:
        return sum(self.looks) / len(self.looks)


def simulate(
    model: DurationModel, durations: list[float], slots: int = 30, interval: float = INTERVAL
) -> Run:
    """The engine's polling in miniature: `slots` tasks at a time, each first looked at when
    the model says, then every `interval`; a task seen done frees its slot for the next."""
    events: list[tuple[float, int, int, int]] = []  # (time, order, task, generation)
    generation: dict[int, int] = {}
    seen_unfinished: dict[int, float | None] = {}
    looks = [0] * len(durations)
    ends: dict[int, float] = {}
    start: dict[int, float] = {}
    order = 0

    def push(at: float, task: int) -> None:
        nonlocal order
        heapq.heappush(events, (at, order, task, generation.get(task, 0)))
        order += 1

    def submit(task: int, now: float) -> None:
        start[task] = now
        seen_unfinished[task] = None
        push(model.first_look(task, now), task)

    queued = iter(range(len(durations)))
    for _ in range(min(slots, len(durations))):
        submit(next(queued), 0.0)
    while events:
        now, _, task, gen = heapq.heappop(events)
        if gen != generation.get(task, 0) or task in ends:
            continue
        looks[task] += 1
        elapsed = now - start[task]
        if elapsed < durations[task]:
            seen_unfinished[task] = elapsed
            model.observe(elapsed, None, task=task)
            push(now + interval, task)
            continue
        ends[task] = now
        for other, due in model.observe(seen_unfinished[task], elapsed, task=task):
            if looks[other] == 0:
                generation[other] = generation.get(other, 0) + 1
                push(due, other)
        following = next(queued, None)
        if following is not None:
            submit(following, now)
    n = len(durations)
    return Run(
        delays=[ends[t] - start[t] - durations[t] for t in range(n)],
        looks=looks,
        ends=[ends[t] for t in range(n)],
    )


def uniform(low: float, high: float, n: int = 150, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [rng.uniform(low, high) for _ in range(n)]


def oracle(low: float, high: float) -> DurationModel:
    return DurationModel(DurationPrior(low, high, weight=1e6))


# -- the duration model -----------------------------------------------------------------------


def test_the_prior_rules_until_there_is_evidence() -> None:
    model = DurationModel(PRIOR)
    assert not model.learned and model.count == 0
    assert model.earliest() == pytest.approx(60 + 0.02 * 120)
    assert model.typical() == pytest.approx(120)
    assert model.latest() == pytest.approx(180 - 0.02 * 120)
    # Evidence that agrees with the prior moves it only by its weight.
    model.observe(118.0, 122.0)
    assert model.prior_weight == PRIOR.weight
    assert model.typical() == pytest.approx(120, abs=1)


def test_a_prior_worth_many_tasks_counts_as_learned() -> None:
    model = oracle(6.0, 18.0)
    assert model.learned
    model.observe(None, 3.0)  # a contradiction halves a million: still the prior
    assert model.earliest() == pytest.approx(6.24, abs=0.01)


def test_a_few_tasks_done_far_before_the_prior_overturn_it() -> None:
    model = DurationModel(PRIOR)
    for task in range(3):
        model.observe(None, 10.0, task=task)
    assert model.contradictions == 3
    assert model.earliest() <= 10.0
    assert model.typical() < 60.0
    # Done by 10 s with nothing seen below: no claim of more speed than that.
    assert model.earliest() == pytest.approx(10.0)


def test_tasks_running_past_the_prior_overturn_it_once_each() -> None:
    model = DurationModel(PRIOR)
    for _ in range(5):
        model.observe(200.0, None, task="a")  # one slow task looked at five times
    assert model.prior_weight == PRIOR.weight / 2
    for task in ("b", "c", "d"):
        model.observe(190.0, None, task=task)
    assert model.prior_weight == PRIOR.weight / 16
    for lower in (300.0, 350.0, 420.0):
        model.observe(lower, lower + INTERVAL)
    assert model.typical() > 250.0
    assert model.earliest() > 150.0


def test_left_censored_tasks_spread_over_what_is_known_below_them() -> None:
    model = DurationModel(DurationPrior(100.0, 200.0, weight=0.0))
    for task in range(4):
        model.observe(10.0, 20.0, task=("bracket", task))
        model.observe(None, 30.0, task=("done at first look", task))
    # Done by 30 s, and tasks are known to end between 10 and 20: that is where these did.
    assert model.typical() == pytest.approx(15.0)
    assert model.latest() <= 20.0


def test_exact_durations_from_history() -> None:
    model = DurationModel(DurationPrior(60.0, 180.0, weight=0.0))
    for seconds in range(1, 101):
        model.add(float(seconds))
    assert model.learned
    assert model.typical() == pytest.approx(50.5, abs=1)
    assert model.earliest() == pytest.approx(3.0, abs=1)
    assert model.latest() == pytest.approx(98.0, abs=1)


def test_most_first_looks_are_near_the_low_quantile_and_a_share_probes_early() -> None:
    model = oracle(6.0, 18.0)
    earliest = model.earliest()
    delays = [model.first_look(task, 100.0) - 100.0 for task in range(2000)]
    probes = [d for d in delays if d < earliest - 1e-9]
    assert all(d == pytest.approx(earliest) for d in delays if d >= earliest - 1e-9)
    assert 0.07 <= len(probes) / len(delays) <= 0.13
    assert all(0.5 * earliest <= d <= 0.8 * earliest for d in probes)
    # Deterministic for a given generator.
    again = DurationModel(DurationPrior(6.0, 18.0, weight=1e6), rng=random.Random(0))
    assert [again.first_look(t, 100.0) - 100.0 for t in range(50)] == delays[:50]


def test_an_unproven_prior_is_explored_harder() -> None:
    model = DurationModel(PRIOR, rng=random.Random(3))
    earliest = model.earliest()
    delays = [model.first_look(task, 0.0) for task in range(1000)]
    probes = [d for d in delays if d < earliest - 1e-9]
    assert 0.25 <= len(probes) / len(delays) <= 0.35
    assert min(probes) >= 0.1 * earliest


def test_first_looks_still_waiting_are_pulled_forward() -> None:
    model = DurationModel(PRIOR, rng=random.Random(1))
    dues = {task: model.first_look(task, 0.0) for task in range(10)}
    model.observe(30.0, None, task=0)  # looked at and unfinished: no longer waiting
    moved = dict(model.observe(None, 8.0, task=1))  # done by 8 s: far faster than believed
    assert moved, "waiting first looks should move earlier"
    assert 0 not in moved and 1 not in moved
    for task, due in moved.items():
        assert due < dues[task] and due <= 8.0
    # Nothing moves twice for the same belief.
    assert model.observe(None, 8.0, task=2) == []


def test_a_much_faster_reality_is_found_within_twenty_tasks() -> None:
    durations = uniform(6.0, 18.0)  # 5-10 times faster than the prior
    model = DurationModel(PRIOR)
    run = simulate(model, durations)
    best = simulate(oracle(6.0, 18.0), durations)
    after, best_after = run.after(20), best.after(20)
    assert after.p95_delay() <= 2 * INTERVAL
    assert model.earliest() == pytest.approx(6.0, abs=2.0)
    assert 9.0 <= model.typical() <= 15.0
    assert after.looks_per_task() <= 1.2 * best_after.looks_per_task()
    assert max(after.ends) <= 1.15 * max(best_after.ends)
    # Without early probes, every task would wait out the prior's minute.
    assert max(run.delays[20:]) < 30.0


def test_a_much_slower_reality_is_found() -> None:
    durations = uniform(150.0, 450.0)  # 2-3 times slower
    model = DurationModel(PRIOR)
    run = simulate(model, durations)
    best = simulate(oracle(150.0, 450.0), durations)
    after, best_after = run.after(20), best.after(20)
    assert model.prior_weight < 1.0
    assert after.p95_delay() <= 2 * INTERVAL
    assert 140.0 <= model.earliest() <= 170.0
    assert 250.0 <= model.typical() <= 350.0
    assert after.looks_per_task() <= 1.2 * best_after.looks_per_task()


def test_when_the_prior_is_right_little_is_wasted() -> None:
    durations = uniform(60.0, 180.0)
    run = simulate(DurationModel(PRIOR), durations).after(20)
    best = simulate(oracle(60.0, 180.0), durations).after(20)
    assert run.p95_delay() <= INTERVAL
    assert run.looks_per_task() <= 1.1 * best.looks_per_task()
