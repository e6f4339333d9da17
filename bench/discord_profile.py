"""The Discord-side load profiles: servers, busy channels, and when each command arrives.

MPS task times are compressed (seconds, not minutes) so a run takes a few minutes; Discord's
rate limits are not (the fake enforces its real 5 per 5 s per channel and 5 per 2 s per
interaction token). The interaction token's life is shortened in both the fake and the bot
under test, so jobs that wait in a busy server outlive it and go on with the bot token.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, replace
from typing import Any

from mps_emulator import EmulatorConfig
from mps_emulator.config import IMAGE_CREATE, IMAGE_DESCRIBE
from tests.fakes.discord.models import FakeChannel, FakeGuild, FakeMember, FakeUser

GENERAL = "general"
BUSY = "busy"


@dataclass(frozen=True)
class DiscordProfile:
    name: str
    jobs: int
    guilds: int
    busy_channels: int  # in the first servers, one channel each that gets a burst
    busy_jobs: int  # commands arriving at once in each busy channel
    arrival_seconds: float  # the other commands arrive uniformly over this time
    users_per_guild: int = 8
    image_wait: tuple[float, float] = (1.0, 2.0)
    image_run: tuple[float, float] = (3.0, 6.0)
    # The fake's token life, and the bot's (which switches to the bot token `margin` early).
    token_lifetime: float = 30.0
    token_margin: float = 3.0
    progress_interval: float = 5.0
    running_per_guild: int = 4
    # MPS quotas, scaled up with the compressed task times so MPS is not the bottleneck.
    mps_rate: int = 200
    timeout: float = 600.0  # give up waiting for deliveries after this long

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def scaled(self, *, jobs: int | None = None, guilds: int | None = None) -> DiscordProfile:
        out = replace(self, jobs=jobs or self.jobs, guilds=guilds or self.guilds)
        if out.busy_channels > out.guilds:
            out = replace(out, busy_channels=out.guilds)
        if out.busy_channels * out.busy_jobs > out.jobs:
            raise ValueError(
                f"{out.jobs} jobs cannot fill {out.busy_channels} busy channels "
                f"of {out.busy_jobs} jobs each"
            )
        return out

    def emulator_config(self, seed: int) -> EmulatorConfig:
        limits = {IMAGE_CREATE: self.mps_rate, IMAGE_DESCRIBE: self.mps_rate}
        return EmulatorConfig(
            image_wait=self.image_wait,
            image_run=self.image_run,
            rate_limits=limits,
            shared_images=True,
            seed=seed,
        )

    def bot_config(self, *, edit_budget: bool) -> dict[str, Any]:
        low = self.image_wait[0] + self.image_run[0]
        high = self.image_wait[1] + self.image_run[1]
        rate = self.mps_rate * 3 // 4
        return {
            "polling": {
                "image_expected": [low, high],
                "target_interval": 0.5,
                "max_interval": 3.0,
                "timeout_seconds": self.timeout,
            },
            "rates": {"create_image": rate, "describe_image": rate},
            "limits": {
                "running_per_guild": self.running_per_guild,
                "running_per_user": self.running_per_guild,
                "queued_per_user": self.jobs,
            },
            "create_backoff": [0.5, 5.0],
            "discord": {
                "progress_interval": self.progress_interval,
                "token_lifetime": self.token_lifetime,
                "token_margin": self.token_margin,
                "edit_budget": edit_budget,
            },
        }


PROFILES: dict[str, DiscordProfile] = {
    # 1,000 jobs over 50 servers; 5 channels get 40 commands at once.
    "discord": DiscordProfile(
        name="discord", jobs=1000, guilds=50, busy_channels=5, busy_jobs=40, arrival_seconds=90
    ),
    # The same shape in seconds, for the test suite.
    "discord-tiny": DiscordProfile(
        name="discord-tiny",
        jobs=36,
        guilds=3,
        busy_channels=1,
        busy_jobs=16,
        arrival_seconds=3,
        users_per_guild=4,
        image_wait=(0.2, 0.4),
        image_run=(0.5, 1.0),
        token_lifetime=4.0,
        token_margin=1.0,
        progress_interval=1.0,
        timeout=60.0,
    ),
}


@dataclass(frozen=True)
class Command:
    index: int
    at: float  # seconds after the start
    guild: int  # index into the guild list
    channel: str
    user: int  # index into the guild's members
    busy: bool

    @property
    def prompt(self) -> str:
        return f"bench job {self.index}"


def make_guilds(profile: DiscordProfile) -> list[FakeGuild]:
    guilds = []
    for n in range(profile.guilds):
        users = [
            FakeUser(f"u{n}-{i}", locale="zh-CN" if i % 3 == 0 else "en-US")
            for i in range(profile.users_per_guild)
        ]
        channels = [FakeChannel(GENERAL)] + (
            [FakeChannel(BUSY)] if n < profile.busy_channels else []
        )
        guild = FakeGuild(name=f"server{n}", owner_id=users[0].id, channels=channels)
        guild.members = [FakeMember(u) for u in users]
        guilds.append(guild)
    return guilds


def plan(profile: DiscordProfile, seed: int) -> list[Command]:
    """Every command: the busy channels' bursts spread over the arrival time, the rest at
    uniformly random moments in random servers."""
    rng = random.Random(seed)
    commands: list[Command] = []
    for b in range(profile.busy_channels):
        at = profile.arrival_seconds * (b + 0.5) / max(1, profile.busy_channels) / 2
        for _ in range(profile.busy_jobs):
            user = rng.randrange(profile.users_per_guild)
            commands.append(Command(0, at, b, BUSY, user, True))
    while len(commands) < profile.jobs:
        at = rng.uniform(0, profile.arrival_seconds)
        guild = rng.randrange(profile.guilds)
        commands.append(
            Command(0, at, guild, GENERAL, rng.randrange(profile.users_per_guild), False)
        )
    commands.sort(key=lambda c: c.at)
    return [replace(c, index=i) for i, c in enumerate(commands)]
