"""The fake Discord's direct messages, per-route rate limits and injected faults (5xx, reset
connections, upload refusals), against the unmodified discord.py client of
``test_fake_discord``."""

from __future__ import annotations

import asyncio
import io

import aiohttp
import discord

from tests.test_fake_discord import bot, fake, imagine  # noqa: F401 - fixtures

CREATE = "/channels/{channel_id}/messages"


async def test_direct_messages_are_recorded_and_closed_dms_refused(fake, bot):  # noqa: F811
    refused: list[discord.HTTPException] = []

    async def handler(interaction, prompt, reference):
        await interaction.response.defer(ephemeral=True)
        await interaction.user.send(
            f"your {prompt} is ready", file=discord.File(io.BytesIO(b"x"), "x.txt")
        )
        carol = interaction.guild.get_member(fake.guild.member("carol").user.id)
        try:
            await carol.send("hello")
        except discord.Forbidden as exc:
            refused.append(exc)

    fake.close_dms("carol")
    bot.handler = handler
    await imagine(fake, options={"prompt": "cat"})
    assert await bot.outcome() is None
    (dm,) = fake.dms("bob")
    assert dm.content == "your cat is ready" and dm.guild_id is None
    assert dm.attachment("x.txt").data == b"x"
    assert fake.dm_channel_of("bob").id == dm.channel_id
    assert await fake.wait_for_dm("bob", lambda m: "cat" in m.content) is dm
    assert [(e.status, e.code) for e in refused] == [(403, 50007)]
    assert fake.dms("carol") == [] and fake.dm_channel_of("carol") is not None


async def test_rate_limits_answer_429_with_headers_and_count_them(fake):  # noqa: F811
    fake.enable_rate_limits()
    channel = fake.guild.channel("general").id
    url = f"{fake.api_base}/channels/{channel}/messages"
    auth = {"Authorization": f"Bot {fake.token}"}
    async with aiohttp.ClientSession() as http:
        answers = []
        for n in range(6):
            async with http.post(url, json={"content": str(n)}, headers=auth) as response:
                answers.append((response.status, dict(response.headers), await response.json()))
        _, headers, body = answers[-1]
        assert [a[0] for a in answers] == [200] * 5 + [429]
        assert [a[1]["X-RateLimit-Remaining"] for a in answers[:5]] == ["4", "3", "2", "1", "0"]
        assert answers[0][1]["X-RateLimit-Limit"] == "5"
        assert 4.9 < float(answers[0][1]["X-RateLimit-Reset-After"]) <= 5
        assert body["global"] is False and 0 < body["retry_after"] <= 5
        assert headers["Retry-After"] == "5" and headers["X-RateLimit-Remaining"] == "0"
        assert headers["X-RateLimit-Bucket"] == answers[0][1]["X-RateLimit-Bucket"]
        assert fake.rate_limited_count == 1 and fake.rate_limited_on("POST", CREATE) == 1

        # another channel has its own window; the fake's clock refills this one
        other = f"{fake.api_base}/channels/{fake.guild.channel('images').id}/messages"
        async with http.post(other, json={"content": "x"}, headers=auth) as response:
            assert response.status == 200
        fake.advance(5)
        async with http.post(url, json={"content": "again"}, headers=auth) as response:
            assert response.status == 200


async def test_discord_py_paces_itself_on_the_headers(fake, bot):  # noqa: F811
    fake.enable_rate_limits(time_scale=0.05)  # 5 messages per 0.25 s per channel

    async def handler(interaction, prompt, reference):
        await interaction.response.defer()
        await asyncio.gather(*(interaction.channel.send(str(n)) for n in range(12)))
        for n in range(7):  # webhook edits: 5 per 0.1 s per token
            await interaction.edit_original_response(content=f"edit {n}")

    bot.handler = handler
    interaction = await imagine(fake, options={"prompt": "many"})
    assert await bot.outcome() is None
    sent = [m for m in fake.messages.values() if m.interaction_id is None]
    assert sorted(int(m.content) for m in sent) == list(range(12))
    assert interaction.original.content == "edit 6"
    posts = fake.calls_to("POST", r"^/channels/\d+/messages$")
    assert all(c.headers["X-RateLimit-Limit"] == "5" for c in posts)
    assert posts[-1].at - posts[0].at >= 0.45  # 12 messages need three 0.25 s windows
    # discord.py waits when Remaining reaches 0; any 429 it still met was retried and counted
    assert fake.rate_limited_count == sum(1 for c in fake.calls if c.status == 429)
    assert fake.rate_limited_count <= 2, [c.status for c in posts]


async def test_faults_5xx_dropped_connection_and_upload_refusal(fake, bot):  # noqa: F811
    fake.fail_next("POST", r"^/channels/\d+/messages$", status=503, count=2)
    fake.drop_next("POST", r"^/channels/\d+/messages$")
    fake.drop_next("GET", r"^/channels/\d+$")
    fake.fail_next("PATCH", "@original$", status=413)
    errors: list[BaseException] = []
    fetched: list[discord.abc.GuildChannel] = []

    async def handler(interaction, prompt, reference):
        await interaction.response.defer()
        for content in ("a", "b", "dropped"):
            try:
                await interaction.channel.send(content)
            except (discord.HTTPException, aiohttp.ClientError) as exc:
                errors.append(exc)
        # aiohttp itself retries an idempotent request once on a reset connection
        fetched.append(await interaction.client.fetch_channel(interaction.channel_id))
        try:
            file = discord.File(io.BytesIO(b"png"), "a.png")
            await interaction.edit_original_response(attachments=[file])
        except discord.HTTPException as exc:
            errors.append(exc)
        await interaction.channel.send("c")

    bot.handler = handler
    await imagine(fake, options={"prompt": "faulty"})
    assert await bot.outcome() is None
    assert [type(e) for e in errors[:2]] == [discord.DiscordServerError] * 2
    assert isinstance(errors[2], aiohttp.ServerDisconnectedError | aiohttp.ClientOSError)
    assert (errors[3].status, errors[3].code) == (413, 40005)
    assert [c.status for c in fake.calls_to("GET", r"^/channels/\d+$")] == [0, 200]
    assert fetched[0].id == fake.guild.channel("general").id
    posts = fake.calls_to("POST", r"^/channels/\d+/messages$")
    assert [(c.status, c.injected) for c in posts] == [
        (503, True),
        (503, True),
        (0, True),
        (200, False),
    ]
    assert [m.content for m in fake.channel_messages(fake.guild.channel("general").id)] == [
        "",
        "c",
    ]


async def test_clock_drives_token_expiry(fake, bot):  # noqa: F811
    outcomes: list[BaseException | None] = []
    go = asyncio.Event()

    async def handler(interaction, prompt, reference):
        await interaction.response.defer()
        await go.wait()
        try:
            await interaction.followup.send("late")
        except discord.HTTPException as exc:
            outcomes.append(exc)

    bot.handler = handler
    await imagine(fake, options={"prompt": "slow"})
    await fake.wait_for(lambda: fake.calls_to("POST", "/callback$"))
    fake.advance(fake.token_lifetime + 1)
    go.set()
    assert await bot.outcome() is None
    assert [(e.status, e.code) for e in outcomes] == [(401, 50027)]
