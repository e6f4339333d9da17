"""Load profiles, the fixed duration model, and time compression.

Every time in a profile is in real (uncompressed) seconds. A run compresses time uniformly by
a factor k: task durations, polling intervals, backoffs and timeouts are divided by k, rate
limits multiplied by k. Results are converted back (times x k, rates / k) before reporting,
so figures compare across values of k.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.config.tunables import Limits, Polling, Rates, Tunables

# The benchmark's fixed duration model (real seconds): a task's total time is uniform in the
# range, split into WAIT then RUN. It is what the emulator draws from; the engine is never
# told (it starts from its own documented priors and learns), and no figure is tuned to it.
IMAGE_TOTAL = (60.0, 180.0)
VIDEO_TOTAL = (180.0, 300.0)
WAIT_FRACTION = 0.1

# What the seed guide does: one loop per task, a Describe every 5 seconds.
BASELINE_INTERVAL = 5.0


@dataclass(frozen=True)
class Profile:
    name: str
    jobs: int
    guilds: int
    users: int  # in all, spread evenly over the guilds
    k: float  # default time compression
    # "together": every job arrives at t=0 (users with more jobs than their queue allows
    # send the next one when one of theirs starts); "poisson": arrivals at `rate` jobs/s;
    # "bursts": `bursts` bursts of equal size, `burst_every` seconds apart, each spread
    # over `burst_spread` seconds.
    arrival: str = "together"
    rate: float = 0.0
    bursts: int = 1
    burst_every: float = 0.0
    burst_spread: float = 0.0
    # Share of jobs that are video tasks (the rest are images).
    video_share: float = 0.0
    # The waiting-jobs check: this many jobs held in the queue for this many seconds.
    hold_jobs: int = 2000
    hold_seconds: float = 10.0
    description: str = ""
    # What the emulator draws image task times from (real seconds). The engine's prior stays
    # the product's 60-180 s: profiles with other times measure how fast it learns.
    image_total: tuple[float, float] = IMAGE_TOTAL
    # Also run the oracle: the same engine told the true duration model from the start.
    oracle: bool = False

    def scaled(self, *, jobs: int | None, guilds: int | None, users: int | None) -> Profile:
        changes = {}
        if jobs is not None:
            changes["jobs"] = jobs
        if guilds is not None:
            changes["guilds"] = guilds
        if users is not None:
            changes["users"] = users
        profile = replace(self, **changes)
        if profile.users < profile.guilds:
            raise ValueError("need at least one user per guild")
        return profile


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            name="default",
            jobs=2000,
            guilds=100,
            users=1000,
            k=10,
            description="2,000 jobs at once over 100 guilds x 10 users (saturated)",
        ),
        Profile(
            name="small",
            jobs=200,
            guilds=20,
            users=100,
            k=25,
            arrival="poisson",
            rate=1 / 15,
            description="200 jobs arriving one per 15 s on average (about 8 in flight)",
        ),
        Profile(
            name="bursty",
            jobs=1000,
            guilds=50,
            users=500,
            k=10,
            arrival="bursts",
            bursts=4,
            burst_every=300,
            burst_spread=10,
            video_share=0.1,
            description="4 bursts of 250 jobs (within 10 s), 5 min apart, 10 % video",
        ),
        Profile(
            name="fast",
            jobs=150,
            guilds=15,
            users=75,
            k=10,
            image_total=(6.0, 18.0),
            oracle=True,
            description="150 jobs at once over 15 guilds; tasks take 6-18 s, 5-10x under the prior",
        ),
        Profile(
            name="slow",
            jobs=150,
            guilds=15,
            users=75,
            k=25,
            image_total=(150.0, 450.0),
            oracle=True,
            description="150 jobs at once over 15 guilds; tasks take 150-450 s, 2-3x over "
            "the prior",
        ),
        Profile(
            name="tiny",
            jobs=20,
            guilds=10,
            users=20,
            k=60,
            hold_jobs=200,
            hold_seconds=1.0,
            description="20 jobs, for the smoke test",
        ),
    )
}


def running_slots(profile: Profile, limits: Limits) -> int:
    """Tasks that may run at once under the running-job limits, given who asks."""
    total = 0
    for guild in range(profile.guilds):
        users = len(users_of_guild(profile, guild))
        total += min(limits.running_per_guild, users * limits.running_per_user)
    if limits.running_total is not None:
        total = min(total, limits.running_total)
    return total


def users_of_guild(profile: Profile, guild: int) -> range:
    """Users are numbered 0..users-1 and dealt out to guilds in contiguous blocks."""
    base, extra = divmod(profile.users, profile.guilds)
    start = guild * base + min(guild, extra)
    return range(start, start + base + (1 if guild < extra else 0))


def model_mean_duration(profile: Profile) -> float:
    image = sum(profile.image_total) / 2
    video = sum(VIDEO_TOTAL) / 2
    return (1 - profile.video_share) * image + profile.video_share * video


def scaled_tunables(k: float, base: Tunables | None = None) -> Tunables:
    """The product's defaults with every time divided by k and every rate multiplied by k."""
    base = base or Tunables()
    p = base.polling
    polling = Polling(
        timeout_seconds=p.timeout_seconds / k,
        image_expected=(p.image_expected[0] / k, p.image_expected[1] / k),
        video_expected=(p.video_expected[0] / k, p.video_expected[1] / k),
        target_interval=p.target_interval / k,
        max_interval=p.max_interval / k,
        prior_weight=p.prior_weight,
    )
    r = base.rates
    rates = Rates(
        create_image=r.create_image * k,
        describe_image=r.describe_image * k,
        create_video=r.create_video * k,
        describe_video=r.describe_video * k,
    )
    low, high = base.create_backoff
    return replace(base, polling=polling, rates=rates, create_backoff=(low / k, high / k))


def emulator_limits(k: float, base: Rates | None = None) -> dict[str, int]:
    """The account's per-second limits, multiplied by k (what the emulator enforces)."""
    rates = (base or Rates()).by_action()
    return {action: round(rate * k) for action, rate in rates.items()}


# What the oracle's prior is worth, in tasks: so much that no observation moves it.
ORACLE_PRIOR_WEIGHT = 1e6


def oracle_tunables(tunables: Tunables, k: float, image_total: tuple[float, float]) -> Tunables:
    """`tunables` (already compressed by k) with the true image duration model as the prior,
    worth so many tasks that the engine starts as if it had learnt it already."""
    polling = replace(
        tunables.polling,
        image_expected=(image_total[0] / k, image_total[1] / k),
        prior_weight=ORACLE_PRIOR_WEIGHT,
    )
    return replace(tunables, polling=polling)
