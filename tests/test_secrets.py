"""The whole flow at LOG_LEVEL=DEBUG: no secret in the log, the database or any message."""

from __future__ import annotations

import json

from .bot_stack import bot_stack


def button(message, prefix: str) -> str:
    return next(i for i in message.custom_ids() if i.startswith(prefix))


async def delivered(fake, interaction):
    return await fake.wait_for_message(
        lambda m: m.id == interaction.response_message_id and m.attachments, timeout=30
    )


async def test_no_secret_anywhere_at_debug_level(tmp_path) -> None:
    async with bot_stack(tmp_path, start=False) as stack:
        fake, emu = stack.fake, stack.emulator
        plain_env = stack.env
        stack.env = lambda: {**plain_env(), "LOG_LEVEL": "DEBUG"}
        bot = await stack.start_bot()
        first = await fake.slash_command(
            fake.guild.id, "general", "alice", "imagine", options={"prompt": "a quiet harbour"}
        )
        result = await delivered(fake, first)
        reroll = await fake.press_button(result.id, button(result, "imagine:reroll:"), "bob")
        await delivered(fake, reroll)
        queue = await fake.invoke("queue", user="alice")
        await queue.wait_for_response()
        # An expired token too: the bot then edits with its own token and says so in the log.
        late = await fake.slash_command(
            fake.guild.id, "general", "carol", "imagine", options={"prompt": "late"}
        )
        await late.wait_for_original(lambda m: m.embeds)
        fake.expire_token(late.token)
        await delivered(fake, late)
        assert await bot.stop() == 0

        secrets = {
            "Tencent secret key": emu.credentials.secret_key,
            "bot token": fake.token,
            **{f"interaction token {i.id}": i.token for i in fake.interactions.values()},
        }
        assert len(secrets) >= 6
        places = {f"log {b.log.name}": b.log.read_bytes() for b in stack.bots}
        assert b"DEBUG" in places["log bot-0.log"]  # the level really was DEBUG
        for path in stack.home.glob("bot.sqlite3*"):
            places[f"database {path.name}"] = path.read_bytes()
        if isinstance(stack.database, str):  # on PostgreSQL: every row of every table
            tables = await stack.rows(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema()"
            )
            for (table,) in tables:
                rows = await stack.rows(f"SELECT * FROM {table}")
                places[f"database table {table}"] = repr(rows).encode()
            assert any(name.startswith("database table jobs") for name in places)
        for n, call in enumerate(fake.calls):
            body = json.dumps(call.json, ensure_ascii=False).encode()
            places[f"message {n} {call.method} {call.route}"] = body + b"".join(
                f.data for f in call.files
            )
        hits = [
            f"{what} in {where}"
            for what, secret in secrets.items()
            for where, data in places.items()
            if secret.encode() in data
        ]
        assert hits == []
