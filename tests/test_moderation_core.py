"""The moderation core without Discord: incidents from the engine, rules, auto-block,
one server's records kept from another, and text escaping."""

from __future__ import annotations

import pytest

from bot.config.tunables import Tunables
from bot.moderation.models import IncidentStatus
from bot.moderation.service import Blocked, Moderation
from bot.moderation.store import ModerationStore
from bot.refusal import Refusal
from bot.rules.rulebook import Ask
from bot.rules.server_settings_store import ServerSettingsStore
from bot.storage.database import open_database
from bot.text.formatting import plain
from tests.conftest import engine_harness, fast_emulator_config, running_emulator
from tests.databases import test_database


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def core(both_databases):
    # The moderation store on SQLite and on PostgreSQL.
    db = await open_database(both_databases)
    clock = Clock()
    try:
        yield (
            Moderation(ModerationStore(db, clock), ServerSettingsStore(db, Tunables()), clock),
            clock,
        )
    finally:
        await db.close()


async def test_output_blocked_task_becomes_an_incident_with_everything_asked(tmp_path) -> None:
    config = fast_emulator_config(banned_output_words=("lighthouse",))
    async with (
        running_emulator(config) as emu,
        engine_harness(emu, tmp_path / "db.sqlite3") as h,
    ):
        moderation = Moderation(ModerationStore(h.store.db), h.engine.rules.settings)
        moderation.attach(h.engine)
        blocked = await h.submit(guild=7, user=3, prompt="a lighthouse", negative_prompt="fog")
        fine = await h.submit(guild=7, user=4, prompt="a cat")
        await h.wait_until(lambda: h.terminal(blocked) and h.terminal(fine))
        await moderation.settled()
        (incident,) = await moderation.store.incidents(7)
        assert (incident.job_id, incident.user_id, incident.code) == (blocked, 3, "OutputBlocked")
        assert (incident.prompt, incident.negative_prompt, incident.model) == (
            "a lighthouse",
            "fog",
            "Hunyuan",
        )
        assert incident.status is IncidentStatus.OPEN


async def test_blocked_words_and_blocks_are_rules(core) -> None:
    moderation, clock = core
    seen = []
    moderation.add_listener(seen.append)
    await moderation.settings.set(1, {"blocked_words": ("Dragon",)})
    with pytest.raises(Refusal) as caught:
        await moderation.words.check(Ask(1, 5, prompt="ok", negative_prompt="a DRAGON", model="M"))
    assert caught.value.key == "moderation.blocked_word"
    (incident,) = seen
    assert (incident.code, incident.negative_prompt, incident.model) == (
        "BlockedWord",
        "a DRAGON",
        "M",
    )
    await moderation.words.check(Ask(2, 5, prompt="a dragon"))  # another server's words

    block = await moderation.block(1, 5, 99, "24h", "spam")
    with pytest.raises(Blocked) as refused:
        await moderation.check_block(Ask(1, 5))
    assert refused.value.block == block
    await moderation.check_block(Ask(2, 5))  # blocked here only
    clock.now += 86400
    await moderation.check_block(Ask(1, 5))  # the block ended


async def test_auto_block_after_n_incidents_within_d_days(core) -> None:
    moderation, clock = core
    fields = dict(
        guild_id=1,
        user_id=5,
        channel_id=None,
        job_id=None,
        prompt="x",
        negative_prompt=None,
        model=None,
        reference=None,
        code="BlockedWord",
        message=None,
    )
    await moderation.record(**fields)
    await moderation.record(**fields)
    assert await moderation.store.active_block(1, 5) is None  # off by default
    await moderation.settings.set(1, {"auto_block_count": 3, "auto_block_days": 1})
    clock.now += 2 * 86400  # the first two are too old now
    await moderation.record(**fields)
    await moderation.record(**fields)
    assert await moderation.store.active_block(1, 5) is None
    await moderation.record(**fields)
    block = await moderation.store.active_block(1, 5)
    assert block is not None and block.created_by is None and block.until is None
    (entry,) = await moderation.store.audit_for(1, 5)
    assert (entry.action, entry.actor_id) == ("auto_block", None)


async def test_one_servers_records_are_invisible_from_another(core) -> None:
    moderation, _ = core
    incident = await moderation.record(
        guild_id=1,
        user_id=5,
        channel_id=2,
        job_id=None,
        prompt="x",
        negative_prompt=None,
        model=None,
        reference=None,
        code="BlockedWord",
        message=None,
    )
    assert await moderation.store.incident(2, incident.id) is None
    assert await moderation.store.incidents(2) == []
    with pytest.raises(Refusal):
        await moderation.decide(2, incident.id, "block:perm", 99)
    decision = await moderation.decide(1, incident.id, "warn", 99)
    assert decision.incident.status is IncidentStatus.WARNED
    with pytest.raises(Refusal):  # one decision per incident
        await moderation.decide(1, incident.id, "dismiss", 98)
    block = await moderation.block(1, 5, 99, "perm", "r")
    with pytest.raises(Refusal):
        await moderation.appeals.appeal(2, block.id, 5)
    appealed = await moderation.appeals.appeal(1, block.id, 5)
    assert appealed.new
    again = await moderation.appeals.appeal(1, block.id, 5)  # one appeal per block
    assert (again.new, again.appeal) == (False, appealed.appeal)
    with pytest.raises(Refusal):
        await moderation.appeals.decide(2, appealed.appeal.id, 99, accept=True)
    assert await moderation.store.audit_for(2, 5) == []
    await moderation.appeals.decide(1, appealed.appeal.id, 99, accept=False)
    with pytest.raises(Refusal) as decided:
        await moderation.appeals.appeal(1, block.id, 5)
    assert decided.value.key == "moderation.appeal_twice"


async def test_a_decision_is_checked_whole_before_anything_changes(core) -> None:
    moderation, clock = core
    incident = await moderation.record(
        guild_id=1,
        user_id=5,
        channel_id=2,
        job_id=None,
        prompt="x",
        negative_prompt=None,
        model=None,
        reference=None,
        code="BlockedWord",
        message=None,
    )
    refusals = {}
    for action in ("block", "block:", "block:2y", "ban", "warn:24h", "dismiss:x"):
        with pytest.raises(Refusal) as refused:
            await moderation.decide(1, incident.id, action, 99)
        refusals[action] = refused.value.key
    assert refusals == {
        "block": "moderation.block_needs_duration",
        "block:": "moderation.block_needs_duration",
        "block:2y": "moderation.bad_duration",
        "ban": "moderation.bad_decision",
        "warn:24h": "moderation.bad_decision",
        "dismiss:x": "moderation.bad_decision",
    }
    # Nothing changed: still open, nobody blocked, nothing in the audit log.
    assert (await moderation.store.incident(1, incident.id)).status is IncidentStatus.OPEN
    assert await moderation.store.active_block(1, 5) is None
    assert await moderation.store.audit_for(1, 5) == []
    decision = await moderation.decide(1, incident.id, "block:1h", 99)
    assert decision.block is not None and decision.block.until == clock.now + 3600
    assert decision.incident.status is IncidentStatus.BLOCKED


def test_user_text_renders_as_plain_text() -> None:
    shown = plain("[Verify your account](https://evil.example) @here <@&12> **b** `c`")
    assert shown == (
        "\\[Verify your account\\]\\(https://evil.example\\) @\u200bhere \\<@&\u200b12\\>"
        " \\*\\*b\\*\\* \\`c\\`"
    )
    assert plain("# title\n> quote") == "\\# title\n\\> quote"
    short = plain("*" * 300, 100)
    assert len(short) <= 100 and short.endswith("…") and not short.endswith("\\…")


def test_moderation_strings_exist_in_both_languages_with_the_same_placeholders() -> None:
    import json
    import string
    from pathlib import Path

    from bot.moderation.models import AuditAction

    folder = Path(__file__).resolve().parent.parent / "bot" / "text" / "locales"
    english, chinese = (
        json.loads((folder / loc / "moderation.json").read_text(encoding="utf-8"))
        for loc in ("en-US", "zh-CN")
    )
    assert english.keys() == chinese.keys()

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    assert all(fields(english[k]) == fields(chinese[k]) for k in english)
    used = {f"moderation.action.{a.value}" for a in AuditAction} | {
        f"moderation.decided.{d}"
        for d in ("dismiss", "warn", "block_24h", "block_7d", "block_perm", "lift", "keep")
    }
    assert used <= english.keys()


async def test_an_incident_lost_to_a_stop_is_recorded_at_the_next_start(tmp_path) -> None:
    from bot.engine.events import ErrorCategory
    from bot.mps.models import TaskKind
    from bot.storage.jobs import JobState, JobStore

    db = await open_database(test_database(tmp_path / "db.sqlite3"))
    try:
        jobs = JobStore(db)
        moderation = Moderation(ModerationStore(db), ServerSettingsStore(db, Tunables()))
        # The engine failed this job for content, and the process stopped before the
        # incident was written; another job failed for something else.
        blocked = await jobs.create(
            kind=TaskKind.IMAGE,
            guild_id=5,
            user_id=9,
            model="Hunyuan",
            prompt="a forbidden thing",
            request={"ModelName": "Hunyuan", "Prompt": "a forbidden thing"},
        )
        await jobs.update(
            blocked.id,
            state=JobState.FAILED,
            error_category=ErrorCategory.CONTENT_VIOLATION.value,
            error_code="OutputBlocked",
            error_message="blocked by content moderation",
        )
        other = await jobs.create(
            kind=TaskKind.IMAGE, guild_id=5, user_id=9, model="Hunyuan", prompt="x", request={}
        )
        await jobs.update(other.id, state=JobState.FAILED, error_category="timeout")

        assert await moderation.catch_up(jobs) == 1
        (incident,) = await moderation.store.incidents(5)
        assert (incident.job_id, incident.code, incident.prompt) == (
            blocked.id,
            "OutputBlocked",
            "a forbidden thing",
        )
        # Once recorded, a second start finds nothing to catch up.
        assert await moderation.catch_up(jobs) == 0
        assert len(await moderation.store.incidents(5)) == 1
    finally:
        await db.close()


async def test_concurrent_attempts_are_grouped_and_held_to_the_cooldown(core) -> None:
    import asyncio

    moderation, clock = core
    seen = []
    moderation.add_listener(seen.append)
    await moderation.settings.set(1, {"blocked_words": ("dragon",)})

    async def outcome(prompt: str, user: int = 5) -> str:
        try:
            await moderation.words.check(Ask(1, user, prompt=prompt))
        except Refusal as refused:
            return refused.key
        return "allowed"

    # No cooldown: five at once are five attempts of one incident, told as they come.
    results = await asyncio.gather(*(outcome(f"dragon {n}") for n in range(5)))
    assert results == ["moderation.blocked_word"] * 5
    (incident,) = await moderation.store.incidents(1)
    assert incident.attempts == 5 and [i.attempts for i in seen] == [1, 2, 3, 4, 5]
    assert (await moderation.store.latest_attempt(incident.id)).prompt == "dragon 4"
    # An hour of quiet ends the group.
    clock.now += 3601
    assert await outcome("dragon again") == "moderation.blocked_word"
    assert len(await moderation.store.incidents(1)) == 2

    # With a cooldown, of three at once one is looked at; the others wait it out, and so
    # does the member's next clean ask. Another member is not held back.
    await moderation.settings.set(1, {"cooldown_seconds": 60})
    clock.now += 3601
    results = await asyncio.gather(*(outcome(f"dragon {n}", user=6) for n in range(3)))
    assert sorted(results) == [
        "admin.refused.cooldown",
        "admin.refused.cooldown",
        "moderation.blocked_word",
    ]
    assert await outcome("a kitten", user=6) == "admin.refused.cooldown"
    assert await outcome("a kitten", user=7) == "allowed"
    clock.now += 61
    assert await outcome("a kitten", user=6) == "allowed"
    assert [i.attempts for i in await moderation.store.incidents(1, user_id=6)] == [1]


async def test_each_repeated_attempt_counts_toward_the_automatic_block(core) -> None:
    moderation, _ = core
    await moderation.settings.set(
        1, {"blocked_words": ("dragon",), "auto_block_count": 3, "auto_block_days": 1}
    )
    for _ in range(2):
        with pytest.raises(Refusal):
            await moderation.words.check(Ask(1, 5, prompt="a dragon"))
    assert await moderation.store.active_block(1, 5) is None
    with pytest.raises(Refusal):
        await moderation.words.check(Ask(1, 5, prompt="a dragon"))
    assert (await moderation.store.active_block(1, 5)) is not None
    assert len(await moderation.store.incidents(1)) == 1  # one incident, three attempts


async def test_a_blocked_word_meets_the_queue_limit_and_the_jobs_cooldown_first(tmp_path) -> None:
    from bot.config.tunables import Limits
    from tests.conftest import fast_tunables

    # Nothing may run: every job stays queued.
    tunables = fast_tunables(
        limits=Limits(running_per_guild=0, running_per_user=1, queued_per_user=2)
    )
    async with (
        running_emulator(fast_emulator_config()) as emu,
        engine_harness(emu, tmp_path / "db.sqlite3", tunables) as h,
    ):
        engine = h.engine
        moderation = Moderation(ModerationStore(h.store.db), engine.rules.settings)
        moderation.attach(engine)
        await engine.rules.settings.set(1, {"blocked_words": ("dragon",)})
        for _ in range(2):
            await h.submit(guild=1, user=7)
        with pytest.raises(Refusal) as full:
            await engine.admit(Ask(1, 7, prompt="a dragon"))
        assert full.value.key == "error.queue_full"
        # A job of the member started the cooldown: the attempt waits it out, unrecorded.
        await engine.rules.settings.set(1, {"cooldown_seconds": 60})
        await h.submit(guild=1, user=8)
        with pytest.raises(Refusal) as waiting:
            await engine.admit(Ask(1, 8, prompt="a dragon"))
        assert waiting.value.key == "admin.refused.cooldown"
        assert await moderation.store.incidents(1) == []
        with pytest.raises(Refusal) as recorded:
            await engine.admit(Ask(1, 9, prompt="a dragon"))
        assert recorded.value.key == "moderation.blocked_word"
        assert len(await moderation.store.incidents(1)) == 1


async def test_appeals_are_listed_by_page_and_status(core) -> None:
    from bot.moderation.models import AppealStatus
    from bot.services.members import Member
    from bot.services.moderation import APPEALS_PAGE_SIZE, ModerationService

    moderation, _ = core
    service = ModerationService(moderation=moderation, settings=moderation.settings)
    moderator = Member(guild_id=1, user_id=99, manage_messages=True)
    appeals = []
    for user in range(10, 16):
        block = await moderation.block(1, user, 99, "perm", f"reason {user}")
        appeals.append((await moderation.appeals.appeal(1, block.id, user)).appeal)
    await moderation.appeals.decide(1, appeals[0].id, 99, accept=True)
    first = await service.appeals(moderator, 0, None)
    assert (first.page, first.pages, first.total) == (0, 2, 6)
    assert [a.id for a, _ in first.appeals] == [a.id for a in appeals[::-1][:APPEALS_PAGE_SIZE]]
    last = await service.appeals(moderator, 9, None)  # past the end: the last page
    assert last.page == 1 and [a.id for a, _ in last.appeals][-1] == appeals[0].id
    lifted = await service.appeals(moderator, 0, "accepted")
    assert [(a.id, a.status, b.lifted_by) for a, b in lifted.appeals] == [
        (appeals[0].id, AppealStatus.ACCEPTED, 99)
    ]
    assert (await service.appeals(moderator, 0, "open")).total == 5
    with pytest.raises(Refusal):
        await service.appeals(Member(guild_id=1, user_id=10), 0, None)
