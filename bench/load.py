"""The job set: who asks for what, and when. Deterministic from the profile and a seed, and
the same for the engine and the baseline."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any

from bot.mps.models import ImageTaskRequest, TaskKind, VideoTaskRequest

from .profiles import Profile, users_of_guild

# Small outputs keep the emulator's picture drawing cheap; the engine's work does not depend
# on the picture's size.
IMAGE_SIZE = "512x512"


@dataclass(frozen=True)
class LoadJob:
    index: int
    guild: int
    user: int
    arrival: float  # real seconds after the start
    kind: str  # "image" or "video"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoadJob:
        return cls(**data)


def build_load(profile: Profile, seed: int = 1) -> list[LoadJob]:
    """Guilds are asked equally (round-robin), users of a guild in turn; arrival times follow
    the profile. Jobs are listed in arrival order."""
    rng = random.Random(seed)
    arrivals = _arrivals(profile, rng)
    per_guild_seen: dict[int, int] = {}
    jobs = []
    for index, arrival in enumerate(arrivals):
        guild = index % profile.guilds
        users = users_of_guild(profile, guild)
        turn = per_guild_seen.get(guild, 0)
        per_guild_seen[guild] = turn + 1
        user = users[turn % len(users)]
        kind = "video" if rng.random() < profile.video_share else "image"
        jobs.append(LoadJob(index, guild, user, arrival, kind))
    return jobs


def _arrivals(profile: Profile, rng: random.Random) -> list[float]:
    n = profile.jobs
    if profile.arrival == "together":
        return [0.0] * n
    if profile.arrival == "poisson":
        out, t = [], 0.0
        for _ in range(n):
            out.append(t)
            t += rng.expovariate(profile.rate)
        return out
    if profile.arrival == "bursts":
        out = []
        for index in range(n):
            burst = index * profile.bursts // n
            start = burst * profile.burst_every
            out.append(start + rng.uniform(0, profile.burst_spread))
        return sorted(out)
    raise ValueError(f"unknown arrival pattern {profile.arrival!r}")


def api_request(job: LoadJob) -> dict[str, Any]:
    """The MPS Create body for a job (what a front end would have validated)."""
    prompt = f"benchmark job {job.index}: a lighthouse at dusk"
    if job.kind == TaskKind.VIDEO.value:
        return VideoTaskRequest(
            model_name="Hunyuan", model_version="1.5", prompt=prompt, duration=5
        ).to_api()
    return ImageTaskRequest(
        model_name="Hunyuan",
        model_version="3.0",
        prompt=prompt,
        additional_parameters={"size": IMAGE_SIZE},
    ).to_api()
