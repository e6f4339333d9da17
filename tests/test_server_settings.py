"""One server's settings: the merged store (and the migration that merged it), and every
change through the admin service, checked before anything is written."""

from __future__ import annotations

import random
import sqlite3

import discord
import pytest

from bot.config.tunables import Tunables
from bot.moderation.store import ModerationStore
from bot.refusal import Refusal
from bot.rules.server_settings import ServerSettings
from bot.rules.server_settings_store import ServerSettingsStore
from bot.services.admin import ServerAdmin
from bot.services.members import Member
from bot.storage.database import migrations, open_database
from bot.text.formatting import escape_markdown

GUILD = 10
ADMIN = Member(GUILD, 1, manage_guild=True)
MEMBER = Member(GUILD, 2)


def version_4_database(path) -> None:
    """A database as the release before the merge left it, with moderation settings."""
    with sqlite3.connect(path) as db:
        for number, script in enumerate(migrations()[:4], start=1):
            code = "\n".join(
                line for line in script.splitlines() if not line.lstrip().startswith("--")
            )
            for statement in (s for s in code.split(";") if s.strip()):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")
        db.execute(
            "INSERT INTO moderation_settings (guild_id, log_channel_id, moderator_role_id,"
            " blocked_words, warning_text, auto_block_count, auto_block_days, updated_at)"
            ' VALUES (10, 555, NULL, \'["dragon", "龙"]\', \'Be "nice"\', 3, 2, 1.0),'
            " (20, NULL, 777, '[]', NULL, 0, 7, 1.0), (30, NULL, NULL, '[]', NULL, 0, 7, 1.0)"
        )
        db.execute(
            "INSERT INTO guild_settings (guild_id, name, value_json, updated_at)"
            " VALUES (10, 'daily_per_user', '4', 1.0)"
        )


async def test_migration_moves_moderation_settings_into_the_servers_settings(tmp_path):
    path = tmp_path / "db.sqlite3"
    version_4_database(path)
    db = await open_database(path)
    try:
        store = ServerSettingsStore(db, Tunables())
        await store.load()
        first = store.get(10)
        assert (first.log_channel_id, first.blocked_words, first.warning_text) == (
            555,
            ("dragon", "龙"),
            'Be "nice"',
        )
        assert (first.auto_block_count, first.auto_block_days, first.daily_per_user) == (3, 2, 4)
        assert first.source("log_channel_id") == "server"
        second = store.get(20)
        assert second.moderator_role_id == 777 and second.is_moderator(False, (777,))
        # Defaults are not copied: a server that set nothing reads the defaults.
        assert store.get(30).chosen == frozenset()
        assert store.get(30).auto_block_days == 7
        async with db.execute(
            "SELECT name FROM sqlite_master WHERE name = 'moderation_settings'"
        ) as cur:
            assert await cur.fetchall() == []
        async with db.execute("SELECT COUNT(*) FROM guild_settings WHERE guild_id = 30") as cur:
            assert (await cur.fetchone())[0] == 0
    finally:
        await db.close()


@pytest.fixture
async def admin(both_databases):
    # The server settings store on SQLite and on PostgreSQL.
    db = await open_database(both_databases)
    try:
        store = ServerSettingsStore(db, Tunables())
        yield ServerAdmin(settings=store, audit=ModerationStore(db), tunables=Tunables())
    finally:
        await db.close()


async def refused(awaitable) -> Refusal:
    with pytest.raises(Refusal) as caught:
        await awaitable
    return caught.value


async def test_only_members_who_manage_the_server_change_it(admin: ServerAdmin):
    for change in (
        admin.change(MEMBER, {"timezone": "Asia/Shanghai"}),
        admin.set_limits(MEMBER, {"daily_per_user": 3}),
        admin.set_role_limit(MEMBER, 5, GUILD, 3, remove=False),
        admin.set_user_limit(MEMBER, 5, 3, remove=False),
        admin.set_channel(MEMBER, 5, GUILD, allowed=True),
        admin.set_models(MEMBER, "Qwen", None, None),
        admin.set_moderation(MEMBER, {"warning_text": "hi"}, None),
    ):
        assert (await refused(change)).key == "admin.refused.manage_guild"
    with pytest.raises(Refusal):
        admin.show(MEMBER)
    assert admin.settings.get(GUILD) == ServerSettings.defaults(GUILD, Tunables())


async def test_every_value_is_checked_before_anything_is_written(admin: ServerAdmin):
    bad = await refused(admin.set_limits(ADMIN, {"daily_per_user": 3, "daily_server": -1}))
    assert (bad.key, bad.params["name"]) == ("admin.refused.range", "daily_server")
    assert admin.settings.get(GUILD).chosen == frozenset()  # not even daily_per_user
    assert await admin.set_limits(ADMIN, {"daily_per_user": None}) is None  # nothing given
    foreign = await refused(admin.set_role_limit(ADMIN, 5, GUILD + 1, 3, remove=False))
    assert foreign.key == "admin.refused.foreign_role"
    foreign = await refused(admin.set_channel(ADMIN, 5, GUILD + 1, allowed=True))
    assert foreign.key == "admin.refused.foreign_channel"
    assert (await refused(admin.set_user_limit(ADMIN, 5, None, remove=False))).key == (
        "admin.refused.limit_or_remove"
    )
    zone = await refused(admin.change(ADMIN, {"timezone": "Mars/`Base`"}))
    assert zone.params == {"timezone": "Mars/'Base'"}


async def test_models_default_model_and_size(admin: ServerAdmin):
    unknown = await refused(admin.set_models(ADMIN, "Qwen, *Dall-E*", None, None))
    assert unknown.key == "admin.refused.unknown_model"
    assert unknown.params["model"] == "\\*Dall-E\\*"  # stripped, markdown escaped
    outside = await refused(admin.set_models(ADMIN, "qwen", None, None))
    assert (outside.key, outside.params) == (
        "admin.refused.default_not_allowed",
        {"model": "Hunyuan"},
    )
    server = await admin.set_models(ADMIN, "qwen, KLING", "kling", None)
    assert (server.models, server.default_model) == (("Kling", "Qwen"), "Kling")
    size = await refused(admin.set_models(ADMIN, None, "Qwen", "1024x1024_"))
    assert size.key == "admin.refused.unknown_size" and size.params["size"] == "1024x1024\\_"
    server = await admin.set_models(ADMIN, "all", "Qwen", "1328x1328")
    assert (server.models, server.default_size, server.source("models")) == (
        (),
        "1328x1328",
        "default",
    )
    server = await admin.set_models(ADMIN, None, None, "model")
    assert server.default_size is None and server.source("default_size") == "default"
    assert await admin.set_models(ADMIN, None, None, None) is None


async def test_moderation_settings_are_audited_and_cleared(admin: ServerAdmin):
    server = await admin.set_moderation(
        ADMIN, {"blocked_words": "dragon, 龙,, dragon", "auto_block_count": 3}, None
    )
    assert server.blocked_words == ("dragon", "龙") and server.auto_block_count == 3
    # A channel or role of another server (or one the front end could not place) is refused.
    for elsewhere in (GUILD + 1, None):
        foreign = await refused(
            admin.set_moderation(
                ADMIN, {"log_channel_id": 555}, None, log_channel_guild_id=elsewhere
            )
        )
        assert foreign.key == "admin.refused.foreign_channel"
        foreign = await refused(
            admin.set_moderation(
                ADMIN, {"moderator_role_id": 7}, None, moderator_role_guild_id=elsewhere
            )
        )
        assert foreign.key == "admin.refused.foreign_role"
    server = await admin.set_moderation(
        ADMIN, {"log_channel_id": 555}, "blocked_words", log_channel_guild_id=GUILD
    )
    assert server.blocked_words == () and server.log_channel_id == 555
    assert server.source("blocked_words") == "default"
    bad = await refused(admin.set_moderation(ADMIN, {"auto_block_days": 0}, None))
    assert bad.key == "admin.refused.between"
    unchanged = await admin.set_moderation(ADMIN, {}, None)
    assert unchanged.log_channel_id == 555
    async with admin.audit.db.execute(
        "SELECT actor_id, action, reason FROM moderation_audit ORDER BY id"
    ) as cur:
        rows = [tuple(r) for r in await cur.fetchall()]
    assert rows == [
        (ADMIN.user_id, "settings", "auto_block_count, blocked_words"),
        (ADMIN.user_id, "settings", "blocked_words, log_channel_id"),
    ]


def test_escaping_matches_discord() -> None:
    rng = random.Random(15)
    alphabet = "ab _*`~|>#-[]()\\:/.htps<>\n"
    samples = ["see https://a.b/c_d ok", "> quote", "### h", "- item", "[x](http://y)"]
    samples += [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(3000)
    ]
    assert [s for s in samples if escape_markdown(s) != discord.utils.escape_markdown(s)] == []


async def test_video_models_are_set_apart_from_image_models(admin: ServerAdmin):
    server = await admin.set_models(ADMIN, "Hunyuan, Qwen", None, None)
    assert server.models == ("Hunyuan", "Qwen") and server.video_models == ()
    # A plain /animate (the video default) is allowed whatever the image list says.
    assert server.allows_model("Kling", video=True) and not server.allows_model("Kling")
    unknown = await refused(admin.set_models(ADMIN, None, None, None, "hailuo, Sora"))
    assert (unknown.key, unknown.params["model"]) == ("admin.refused.unknown_video_model", "Sora")
    outside = await refused(admin.set_models(ADMIN, None, None, None, "Hailuo, PixVerse"))
    assert (outside.key, outside.params) == (
        "admin.refused.default_not_allowed",
        {"model": "Kling"},
    )
    server = await admin.set_models(ADMIN, None, None, None, "hailuo, pixverse", "Hailuo")
    assert (server.video_models, server.video_default_model) == (("Hailuo", "PixVerse"), "Hailuo")
    assert server.allows_model("Hailuo", video=True) and not server.allows_model("Kling", True)
    assert server.models == ("Hunyuan", "Qwen")  # untouched
    mark = await admin.set_ai_mark(ADMIN, True)
    assert mark.ai_mark and mark.source("ai_mark") == "server"
    assert (await refused(admin.set_ai_mark(MEMBER, False))).key == "admin.refused.manage_guild"


async def test_probation_needs_a_log_channel_and_this_servers_role(admin: ServerAdmin):
    # Without a log channel held results would have nowhere to wait: refused, unchanged.
    for change, role_guild in (({"probation_days": 3}, None), ({"probation_role_id": 9}, GUILD)):
        needs = await refused(
            admin.set_moderation(ADMIN, change, None, probation_role_guild_id=role_guild)
        )
        assert needs.key == "admin.refused.probation_needs_log"
    assert not admin.settings.get(GUILD).probation
    for elsewhere in (GUILD + 1, None):
        foreign = await refused(
            admin.set_moderation(
                ADMIN,
                {"log_channel_id": 555, "probation_role_id": 9},
                None,
                log_channel_guild_id=GUILD,
                probation_role_guild_id=elsewhere,
            )
        )
        assert foreign.key == "admin.refused.foreign_role"
    bad = await refused(admin.set_moderation(ADMIN, {"probation_days": 366}, None))
    assert bad.key == "admin.refused.between"
    # In one command with the log channel, it is taken.
    server = await admin.set_moderation(
        ADMIN,
        {"log_channel_id": 555, "probation_role_id": 9, "probation_days": 3},
        None,
        log_channel_guild_id=GUILD,
        probation_role_guild_id=GUILD,
    )
    assert (server.probation_role_id, server.probation_days) == (9, 3)
    # The log channel cannot go while probation is on; probation can, then the channel.
    kept = await refused(admin.set_moderation(ADMIN, {}, "log_channel"))
    assert kept.key == "admin.refused.probation_needs_log"
    assert admin.settings.get(GUILD).log_channel_id == 555
    server = await admin.set_moderation(ADMIN, {}, "probation")
    assert (server.probation_role_id, server.probation_days, server.probation) == (None, 0, False)
    server = await admin.set_moderation(ADMIN, {}, "log_channel")
    assert server.log_channel_id is None


def test_who_is_on_probation() -> None:
    now = 1_000_000.0
    day = 86400.0
    server = ServerSettings(GUILD, probation_role_id=9, probation_days=7, moderator_role_id=4)
    assert server.on_probation((9,), now - 100 * day, now)  # the role, whenever they joined
    assert server.on_probation((), now - 6.9 * day, now)  # joined less than 7 days ago
    assert not server.on_probation((), now - 7.1 * day, now)
    assert not server.on_probation((), None, now)  # unknown join date, no role
    # Moderators are never held: they would approve their own results.
    assert not server.on_probation((9,), now, now, manage_messages=True)
    assert not server.on_probation((9, 4), now, now)
    nobody = ServerSettings(GUILD)
    assert not nobody.probation and not nobody.on_probation((9,), now, now)
