"""The loopback fake Discord, driven by an unmodified discord.py client.

Each test runs a tiny real bot (``discord.Client`` + ``app_commands.CommandTree`` + a
``DynamicItem`` button) against ``FakeDiscord`` and asserts on what reached the fake: messages,
bytes, callbacks, status codes. A last test speaks the wire protocol directly.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import aiohttp
import discord
import pytest
from discord import app_commands
from PIL import Image

from tests.fakes.discord import FakeDiscord, use_fake_discord

Handler = Callable[[discord.Interaction, str, discord.Attachment | None], Awaitable[None]]


def png(width: int, height: int, colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


class RerollButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"imagine:reroll:(?P<job>\d+)"
):
    def __init__(self, job: int) -> None:
        super().__init__(discord.ui.Button(label="Reroll", custom_id=f"imagine:reroll:{job}"))
        self.job = job

    @classmethod
    async def from_custom_id(cls, interaction, item, match):
        return cls(int(match["job"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        client: TinyBot = interaction.client  # type: ignore[assignment]
        client.presses.append((self.job, interaction.user.id, str(interaction.locale)))
        name = interaction.user.display_name
        await interaction.response.edit_message(
            content=f"Rerolling {self.job} for {name}", view=None
        )


class TinyBot(discord.Client):
    """One slash command whose body each test supplies; each run's outcome (None or the
    exception it raised) goes to ``outcomes``."""

    def __init__(self, guild_id: int) -> None:
        intents = discord.Intents.default()
        intents.members = True
        super().__init__(intents=intents, guild_ready_timeout=0.05)
        self.tree = app_commands.CommandTree(self)
        self.guild_id = guild_id
        self.handler: Handler | None = None
        self.outcomes: asyncio.Queue[BaseException | None] = asyncio.Queue()
        self.presses: list[tuple[int, int, str]] = []
        self.ready = asyncio.Event()
        self.resumed = asyncio.Event()

    async def setup_hook(self) -> None:
        @app_commands.command(description="Draw a picture")
        @app_commands.describe(prompt="What to draw", reference="An image to start from")
        async def imagine(
            interaction: discord.Interaction,
            prompt: str,
            reference: discord.Attachment | None = None,
        ) -> None:
            try:
                assert self.handler is not None
                await self.handler(interaction, prompt, reference)
            except Exception as exc:
                self.outcomes.put_nowait(exc)
            else:
                self.outcomes.put_nowait(None)

        @imagine.autocomplete("prompt")
        async def suggest(interaction: discord.Interaction, current: str):
            words = ("cat", "car", "dog")
            return [app_commands.Choice(name=w, value=w) for w in words if w.startswith(current)]

        self.tree.add_command(imagine)
        self.tree.copy_global_to(guild=discord.Object(self.guild_id))
        self.add_dynamic_items(RerollButton)

    async def on_ready(self) -> None:
        self.ready.set()

    async def on_resumed(self) -> None:
        self.resumed.set()

    async def outcome(self) -> BaseException | None:
        return await asyncio.wait_for(self.outcomes.get(), 5)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        with use_fake_discord(fake.api_base, fake.gateway_url):
            yield fake
    assert not fake.internal_errors


@asynccontextmanager
async def running_bot(fake: FakeDiscord, *, sync: bool = True) -> AsyncIterator[TinyBot]:
    bot = TinyBot(fake.guild.id)
    task = asyncio.create_task(bot.start(fake.token))
    ready = asyncio.create_task(bot.ready.wait())
    done, _ = await asyncio.wait({task, ready}, timeout=5, return_when=asyncio.FIRST_COMPLETED)
    if ready not in done:
        ready.cancel()
        await bot.close()
        await task  # raises why the bot stopped, if it did
        raise AssertionError("the bot never became ready")
    try:
        if sync:
            await bot.tree.sync(guild=discord.Object(fake.guild.id))
        yield bot
    finally:
        await bot.close()
        await task


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[TinyBot]:
    async with running_bot(fake) as bot:
        yield bot


async def imagine(fake: FakeDiscord, user: str = "bob", **kwargs):
    return await fake.slash_command(fake.guild.id, "general", user, "imagine", **kwargs)


async def test_login_ready_caches_the_guild_and_sync_stores_commands(fake, bot):
    guild = bot.get_guild(fake.guild.id)
    assert guild is not None and guild.name == fake.guild.name
    assert [c.name for c in guild.text_channels] == ["general", "images"]
    assert {m.name for m in guild.members} == {"alice", "bob", "carol", "ImagineBot"}
    assert guild.owner_id == fake.guild.owner_id
    assert guild.me.guild_permissions.attach_files
    assert guild.get_member(fake.guild.member("alice").user.id).guild_permissions.administrator
    assert bot.user.id == fake.bot_user.id and bot.application_id == fake.application_id
    assert fake.calls_to("GET", r"^/users/@me$")[0].status == 200
    # discord.py asks for a compressed stream; the fake's text frames are accepted as they are
    connection = fake.gateway.connections[0]
    assert connection["encoding"] == "json" and connection["compress"].endswith("-stream")
    assert fake.connected_sessions[0].intents & discord.Intents(members=True).value

    stored = fake.command("imagine", fake.guild.id)
    assert stored is not None and stored["description"] == "Draw a picture"
    assert [(o["name"], o["type"], o.get("required", False)) for o in stored["options"]] == [
        ("prompt", 3, True),
        ("reference", 11, False),
    ]
    await bot.tree.sync(guild=discord.Object(fake.guild.id))  # unchanged: no new create
    assert fake.command_creates == {fake.guild.id: 1}
    assert [c.status for c in fake.calls_to("PUT", r"/guilds/\d+/commands$")] == [200, 200]


async def test_defer_then_edits_with_files_and_a_followup(fake, bot):
    first, second = png(8, 6, "red"), png(4, 4, "blue")

    async def handler(interaction, prompt, reference):
        await interaction.response.defer(thinking=True)
        await interaction.edit_original_response(content=f"Drawing {prompt}… 50%")
        file = discord.File(io.BytesIO(first), "result.png")
        await interaction.edit_original_response(content=f"Done: {prompt}", attachments=[file])
        file = discord.File(io.BytesIO(second), "upscaled.png")
        edited = await interaction.edit_original_response(attachments=[file])
        assert [a.filename for a in edited.attachments] == ["upscaled.png"]
        await interaction.followup.send("Seed 1234", ephemeral=True)

    bot.handler = handler
    interaction = await imagine(fake, options={"prompt": "a cat"})
    assert await bot.outcome() is None
    assert interaction.callback_type == 5 and interaction.response_delay < 3
    assert interaction.locale == "zh-CN" and interaction.delivered_to == 1

    message = interaction.original
    assert message.contents == ["", "Drawing a cat… 50%", "Done: a cat", "Done: a cat"]
    assert message.history[0].flags & 128 and not message.loading and not message.ephemeral
    assert message.history[2].attachments[0].data == first
    (attachment,) = message.attachments
    assert (attachment.filename, attachment.data) == ("upscaled.png", second)
    assert (attachment.content_type, attachment.width, attachment.height) == ("image/png", 4, 4)
    (followup,) = interaction.followups
    assert followup.content == "Seed 1234" and followup.ephemeral

    url = fake.calls_to("PATCH", "@original")[-1].response["attachments"][0]["url"]
    old_url = fake.calls_to("PATCH", "@original")[-2].response["attachments"][0]["url"]
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            assert await response.read() == second
        async with http.get(old_url) as response:  # replaced, so gone
            assert response.status == 404


async def test_button_press_reaches_the_dynamic_item_and_updates_the_message(fake, bot):
    async def handler(interaction, prompt, reference):
        await interaction.response.defer(thinking=True)
        view = discord.ui.View(timeout=None).add_item(RerollButton(42))
        await interaction.edit_original_response(content="Done", view=view)

    bot.handler = handler
    interaction = await imagine(fake, options={"prompt": "a dog"})
    assert await bot.outcome() is None
    message = interaction.original
    assert message.custom_ids() == ["imagine:reroll:42"]

    carol = fake.guild.member("carol").user
    press = await fake.press_button(message.id, "imagine:reroll:42", "carol", locale="en-GB")
    await press.wait_for_response()
    assert bot.presses == [(42, carol.id, "en-GB")]
    assert press.callback_type == 7 and press.response_message_id == message.id
    assert message.content == "Rerolling 42 for carol" and message.components == []
    assert message.history[-1].via == "callback"


async def test_autocomplete_gets_the_bots_choices(fake, bot):
    typing = await fake.autocomplete(
        fake.guild.id, "general", "bob", "imagine", "prompt", options={"prompt": "ca"}
    )
    await typing.wait_for_response()
    assert typing.callback_type == 8
    assert [c["value"] for c in typing.autocomplete_choices] == ["cat", "car"]


async def test_reference_attachment_is_downloadable_by_the_bot(fake, bot):
    reference_bytes = png(16, 9, "green")
    downloaded: list[bytes] = []

    async def handler(interaction, prompt, reference):
        await interaction.response.defer()
        async with aiohttp.ClientSession() as http, http.get(reference.url) as response:
            response.raise_for_status()
            downloaded.append(await response.read())
        downloaded.append(await reference.read())  # discord.py's own CDN fetch
        assert (reference.filename, reference.width, reference.height) == ("ref_image.png", 16, 9)
        assert reference.content_type == "image/png" and reference.ephemeral
        await interaction.edit_original_response(content=f"{reference.size} bytes")

    bot.handler = handler
    interaction = await imagine(
        fake, options={"prompt": "like this"}, attachments=[("ref image.png", reference_bytes)]
    )
    assert await bot.outcome() is None
    assert downloaded == [reference_bytes, reference_bytes]
    assert interaction.original.content == f"{len(reference_bytes)} bytes"
    assert [status for _, _, status in fake.downloads] == [200, 200]


async def test_deferring_after_the_deadline_gets_unknown_interaction(fake, bot):
    fake.interaction_deadline = 0.2

    async def handler(interaction, prompt, reference):
        await asyncio.sleep(0.3)  # a bot too slow to acknowledge
        await interaction.response.defer()

    bot.handler = handler
    interaction = await imagine(fake, options={"prompt": "slow"})
    error = await bot.outcome()
    assert isinstance(error, discord.NotFound) and error.code == 10062
    assert not interaction.acknowledged and interaction.rejected_callbacks == [404]


async def test_expired_token_fails_but_the_channel_route_still_edits(fake, bot):
    proceed = asyncio.Event()
    errors: list[discord.HTTPException] = []

    async def handler(interaction, prompt, reference):
        await interaction.response.defer(thinking=True)
        original = await interaction.original_response()
        await proceed.wait()  # a job that outlives the 15-minute token
        try:
            await interaction.edit_original_response(content="finished")
        except discord.HTTPException as exc:
            errors.append(exc)
        # the original response is a channel message: the bot token can still edit it
        await original.channel.get_partial_message(original.id).edit(content="finished (channel)")
        mention = f"{interaction.user.mention} your image is ready"
        await interaction.channel.send(mention, reference=original)

    bot.handler = handler
    interaction = await imagine(fake, options={"prompt": "a long job"})
    await fake.wait_for_call("GET", "@original", status=200)
    fake.advance(15 * 60 + 1)
    proceed.set()
    assert await bot.outcome() is None
    assert [(e.status, e.code) for e in errors] == [(401, 50027)]
    message = interaction.original
    assert message.contents == ["", "finished (channel)"]
    assert message.history[-1].via == "channel"
    bob = fake.guild.member("bob").user
    reply = await fake.wait_for_message(lambda m: m.content.startswith(f"<@{bob.id}>"))
    assert reply.reference["message_id"] == message.id and reply.type == 19


async def test_too_large_upload_and_too_long_content_are_refused(fake, bot):
    fake.guild.attachment_size_limit = 1024
    errors: list[discord.HTTPException] = []

    async def handler(interaction, prompt, reference):
        assert interaction.filesize_limit == 1024
        await interaction.response.defer()
        big = discord.File(io.BytesIO(b"x" * 2048), "big.png")
        for attempt in ({"attachments": [big]}, {"content": "y" * 2001}):
            try:
                await interaction.edit_original_response(**attempt)
            except discord.HTTPException as exc:
                errors.append(exc)

    bot.handler = handler
    interaction = await imagine(fake, options={"prompt": "huge"})
    assert await bot.outcome() is None
    assert [(e.status, e.code) for e in errors] == [(413, 40005), (400, 50035)]
    assert "Must be 2000 or fewer in length" in errors[1].text
    assert interaction.original.attachments == [] and interaction.original.edits == []


async def test_injected_429_is_retried_by_discord_py_and_a_503_is_raised(fake, bot):
    fake.fail_next("PATCH", r"/messages/@original$", status=429, retry_after=0.05)
    fake.fail_next("POST", r"^/channels/\d+/messages$", status=429, retry_after=0.05)
    fake.fail_next("GET", r"^/channels/\d+$", status=503)

    async def handler(interaction, prompt, reference):
        await interaction.response.defer()
        await interaction.edit_original_response(content="after a 429")
        await interaction.channel.send("also after a 429")
        with pytest.raises(discord.DiscordServerError):
            await interaction.client.fetch_channel(interaction.channel_id)

    bot.handler = handler
    interaction = await imagine(fake, options={"prompt": "busy"})
    assert await bot.outcome() is None
    edits = fake.calls_to("PATCH", "@original")
    assert [(c.status, c.injected) for c in edits] == [(429, True), (200, False)]
    assert edits[1].at - edits[0].at >= 0.05
    assert [c.status for c in fake.calls_to("POST", r"^/channels/\d+/messages$")] == [429, 200]
    assert interaction.original.content == "after a 429"
    assert await fake.wait_for_message(lambda m: m.content == "also after a 429")


async def test_a_new_client_gets_ready_again_and_a_dropped_one_resumes(fake):
    async with running_bot(fake):
        pass
    # Client.close() means code 1000, but discord.py's reader sees the closing socket first
    # and closes with 4000: the session stays resumable, as it would on Discord.
    assert fake.sessions[0].closed and not fake.sessions[0].invalidated

    async with running_bot(fake, sync=False) as bot:
        assert len(fake.sessions) == 2 and fake.identifies == 2
        assert bot.get_guild(fake.guild.id) is not None

        async def handler(interaction, prompt, reference):
            await interaction.response.send_message(f"hello {prompt}")

        bot.handler = handler
        await fake.drop_gateway(4000)  # resumable: the bot comes back with RESUME
        interaction = await imagine(fake, options={"prompt": "again"})
        assert interaction.delivered_to == 0  # no socket now: kept, replayed on RESUME
        assert await bot.outcome() is None
        await asyncio.wait_for(bot.resumed.wait(), 5)
        session = fake.sessions[1]
        assert (session.resumed, session.connections, len(fake.sessions)) == (1, 2, 2)
        assert interaction.original.content == "hello again"


async def test_wire_rules_without_a_bot(fake):
    api, bot_auth = fake.api_base, {"Authorization": f"Bot {fake.token}"}
    commands = [{"name": "imagine", "description": "Draw", "options": []}]
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{api}/users/@me", headers={"Authorization": "Bot nope"}) as r:
            assert (r.status, (await r.json())["code"]) == (401, 0)
        async with http.ws_connect(f"{fake.gateway_url}?v=10&encoding=json") as ws:
            assert (await ws.receive_json())["op"] == 10
            await ws.send_json({"op": 2, "d": {"token": "nope", "intents": 0, "properties": {}}})
            await ws.receive()
            assert ws.close_code == 4004
        url = f"{api}/applications/{fake.application_id}/commands"
        async with http.put(url, json=commands, headers=bot_auth) as r:
            assert r.status == 200

        interaction = await imagine(fake, options={})
        assert interaction.delivered_to == 0
        callback = f"{api}/interactions/{interaction.id}/{interaction.token}/callback"
        body = {"type": 4, "data": {"content": "hi"}}
        async with http.post(f"{callback}?with_response=true", json=body) as r:
            answer = await r.json()
            assert answer["resource"]["message"]["content"] == "hi"
            assert answer["interaction"]["response_message_id"] == str(interaction.original.id)
        async with http.post(callback, json=body) as r:
            assert (r.status, (await r.json())["code"]) == (400, 40060)

        hook = f"{api}/webhooks/{fake.application_id}/{interaction.token}"
        form = aiohttp.FormData()
        form.add_field("payload_json", '{"content": "eleven"}')
        for n in range(11):
            form.add_field(f"files[{n}]", b"1", filename=f"{n}.txt")
        async with http.post(hook, data=form) as r:
            assert (r.status, (await r.json())["code"]) == (400, 50035)
        async with http.post(f"{hook}?wait=true", json={"content": "psst", "flags": 64}) as r:
            secret = await r.json()
        channel = f"{api}/channels/{secret['channel_id']}/messages/{secret['id']}"
        async with http.patch(channel, json={"content": "x"}, headers=bot_auth) as r:
            assert (r.status, (await r.json())["code"]) == (404, 10008)
        async with http.delete(f"{hook}/messages/{secret['id']}") as r:
            assert r.status == 204 and int(secret["id"]) not in fake.messages

        fake.max_request_size = 1024  # the 25 MiB request cap, scaled down
        form = aiohttp.FormData()
        form.add_field("payload_json", '{"content": "big"}')
        form.add_field("files[0]", b"z" * 2048, filename="z.bin")
        async with http.post(hook, data=form) as r:
            assert (r.status, (await r.json())["code"]) == (413, 40005)

        fake.expire_token(interaction.token)
        async with http.patch(f"{hook}/messages/@original", json={"content": "late"}) as r:
            assert (r.status, (await r.json())["code"]) == (401, 50027)
        tampered = answer["resource"]["message"]["author"]["id"]  # any wrong signature will do
        path = f"/attachments/{secret['channel_id']}/1/x.png?ex=1&is=1&hm={tampered}"
        async with http.get(fake.base_url + path) as r:
            assert r.status == 404
