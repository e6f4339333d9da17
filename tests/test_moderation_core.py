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
        await moderation.check_words(Ask(1, 5, prompt="ok", negative_prompt="a DRAGON", model="M"))
    assert caught.value.key == "moderation.blocked_word"
    (incident,) = seen
    assert (incident.code, incident.negative_prompt, incident.model) == (
        "BlockedWord",
        "a DRAGON",
        "M",
    )
    await moderation.check_words(Ask(2, 5, prompt="a dragon"))  # another server's words

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
        await moderation.appeal(2, block.id, 5)
    appeal = await moderation.appeal(1, block.id, 5)
    with pytest.raises(Refusal):
        await moderation.appeal(1, block.id, 5)  # one appeal per block
    with pytest.raises(Refusal):
        await moderation.decide_appeal(2, appeal.id, 99, accept=True)
    assert await moderation.store.audit_for(2, 5) == []


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
