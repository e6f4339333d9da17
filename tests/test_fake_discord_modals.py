"""Modals on the fake Discord, driven by an unmodified discord.py client: a slash command and
a button answer with a modal (Label, Text Input, Select, File Upload, Checkbox, Text Display,
as discord.py 2.7 sends them), the test reads it and submits it as the user, and the bot's
answers to the submission land where Discord would put them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands

from tests.conftest import eventually
from tests.fakes.discord import FakeDiscord, use_fake_discord
from tests.test_fake_discord import png


class PromptModal(discord.ui.Modal, title="Describe the picture"):
    """Every input kind a prompt form may use; ``on_submit`` reports what discord.py parsed."""

    def __init__(self, prompt: str | None) -> None:
        super().__init__(custom_id="imagine:form")
        self.prompt = discord.ui.TextInput(
            custom_id="prompt", style=discord.TextStyle.paragraph, default=prompt, max_length=50
        )
        self.style = discord.ui.Select(
            custom_id="style",
            options=[
                discord.SelectOption(label="Photo", value="photo", default=True),
                discord.SelectOption(label="Anime", value="anime"),
            ],
        )
        self.reference = discord.ui.FileUpload(custom_id="reference", required=False)
        self.hd = discord.ui.Checkbox(custom_id="hd")
        self.add_item(discord.ui.TextDisplay("Tell the bot what to draw."))
        self.add_item(
            discord.ui.Label(text="Prompt", description="What to draw", component=self.prompt)
        )
        self.add_item(discord.ui.Label(text="Style", component=self.style))
        self.add_item(discord.ui.Label(text="Reference image", component=self.reference))
        self.add_item(discord.ui.Label(text="High definition", component=self.hd))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        client: FormBot = interaction.client  # type: ignore[assignment]
        files = [(a.filename, a.ephemeral, await a.read()) for a in self.reference.values]
        seen = {
            "prompt": self.prompt.value,
            "style": self.style.values,
            "files": files,
            "hd": self.hd.value,
            "message": interaction.message and interaction.message.id,
            "member_roles": [r.name for r in interaction.user.roles],
        }
        client.submits.append(seen)
        try:  # a modal cannot answer a modal submit
            await interaction.response.send_modal(PromptModal(self.prompt.value))
        except discord.HTTPException as exc:
            client.refusals.append(exc)
        if interaction.message is not None:  # shown from the button: edit its message
            view = discord.ui.View(timeout=None).add_item(EditButton(interaction.message.id))
            text = f"Prompt: {self.prompt.value}"
            await interaction.response.edit_message(content=text, view=view)
        else:
            await interaction.response.send_message(f"Drawing {self.prompt.value}")
            metadata = (await interaction.original_response()).interaction_metadata
            seen["metadata"] = (metadata.type, metadata.modal_interaction.id)


class EditButton(discord.ui.DynamicItem[discord.ui.Button], template=r"form:edit:(?P<m>\d+)"):
    def __init__(self, message_id: int) -> None:
        super().__init__(discord.ui.Button(label="Edit", custom_id=f"form:edit:{message_id}"))

    @classmethod
    async def from_custom_id(cls, interaction, item, match):
        return cls(int(match["m"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        current = interaction.message.content.removeprefix("Prompt: ")
        await interaction.response.send_modal(PromptModal(current))


class ReportModal(discord.ui.Modal, title="Report"):
    """The selects, radio group and checkbox group a moderation form may use."""

    def __init__(self) -> None:
        super().__init__(custom_id="mod:report")
        self.who = discord.ui.UserSelect(custom_id="who", max_values=2, required=True)
        self.role = discord.ui.RoleSelect(custom_id="role", required=False)
        self.where = discord.ui.ChannelSelect(
            custom_id="where", channel_types=[discord.ChannelType.text], required=True
        )
        self.severity = discord.ui.RadioGroup(
            custom_id="severity",
            options=[
                discord.RadioGroupOption(label="Low", value="low", default=True),
                discord.RadioGroupOption(label="High", value="high"),
            ],
        )
        self.reasons = discord.ui.CheckboxGroup(
            custom_id="reasons",
            options=[discord.CheckboxGroupOption(label=r, value=r) for r in ("spam", "nsfw")],
        )
        for text, item in (
            ("Who", self.who),
            ("Their role", self.role),
            ("Where", self.where),
            ("Severity", self.severity),
            ("Reasons", self.reasons),
        ):
            self.add_item(discord.ui.Label(text=text, component=item))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        client: FormBot = interaction.client  # type: ignore[assignment]
        client.submits.append(
            {
                "who": [(type(u).__name__, u.name) for u in self.who.values],
                "role": [r.name for r in self.role.values],
                "where": [c.id for c in self.where.values],
                "severity": self.severity.value,
                "reasons": self.reasons.values,
            }
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send("reported", ephemeral=True)


class FormBot(discord.Client):
    def __init__(self, guild_id: int) -> None:
        super().__init__(intents=discord.Intents(guilds=True), guild_ready_timeout=0.05)
        self.tree = app_commands.CommandTree(self)
        self.guild_id = guild_id
        self.submits: list[dict[str, Any]] = []
        self.refusals: list[discord.HTTPException] = []
        self.ready = asyncio.Event()

    async def setup_hook(self) -> None:
        @app_commands.command(description="Draw from a form")
        async def form(interaction: discord.Interaction, prompt: str | None = None) -> None:
            await interaction.response.send_modal(PromptModal(prompt))

        @app_commands.command(description="Post a prompt with an Edit button")
        async def post(interaction: discord.Interaction, prompt: str) -> None:
            await interaction.response.send_message("posted", ephemeral=True)
            sent = await interaction.channel.send(f"Prompt: {prompt}")
            view = discord.ui.View(timeout=None).add_item(EditButton(sent.id))
            await sent.edit(view=view)

        @app_commands.command(description="Report members")
        async def report(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(ReportModal())

        self.tree.add_command(report, guild=discord.Object(self.guild_id))
        self.tree.add_command(form, guild=discord.Object(self.guild_id))
        self.tree.add_command(post, guild=discord.Object(self.guild_id))
        self.add_dynamic_items(EditButton)

    async def on_ready(self) -> None:
        self.ready.set()


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        with use_fake_discord(fake.api_base, fake.gateway_url):
            yield fake
    assert not fake.internal_errors


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[FormBot]:
    bot = FormBot(fake.guild.id)
    task = asyncio.create_task(bot.start(fake.token))
    await asyncio.wait_for(bot.ready.wait(), 5)
    await bot.tree.sync(guild=discord.Object(fake.guild.id))
    try:
        yield bot
    finally:
        await bot.close()
        await task


async def test_a_slash_command_modal_is_read_and_submitted_as_the_user(fake, bot):
    shown = await fake.invoke("form", user="bob", options={"prompt": "a cat"})
    modal = await shown.wait_for_modal()
    assert (shown.callback_type, shown.original) == (9, None)
    assert (modal.custom_id, modal.title) == ("imagine:form", "Describe the picture")
    assert modal.texts == ["Tell the bot what to draw."]
    assert modal.labels == {
        "prompt": "Prompt",
        "style": "Style",
        "reference": "Reference image",
        "hd": "High definition",
    }
    prompt = modal.field("prompt")
    assert (prompt.value, prompt.description, prompt.required) == ("a cat", "What to draw", True)
    assert modal.field("style").defaults == ["photo"]
    assert not modal.field("reference").required and modal.field("hd").defaults == [False]

    # what the Discord client would refuse to send never reaches the bot
    with pytest.raises(ValueError, match="required"):
        await fake.submit_modal(shown, {"prompt": ""})
    with pytest.raises(ValueError, match="50 characters"):
        await fake.submit_modal(shown, {"prompt": "x" * 51})
    with pytest.raises(ValueError, match="offers"):
        await fake.submit_modal(shown, {"style": ["watercolour"]})
    with pytest.raises(LookupError):
        await fake.submit_modal(shown, {"seed": "1"})

    image = png(4, 3, "red")
    submit = await fake.submit_modal(
        shown, {"prompt": "a dog", "reference": [("ref.png", image)], "hd": True}
    )
    reply = await submit.wait_for_original()
    assert reply.content == "Drawing a dog" and reply.type == 0
    (seen,) = bot.submits
    assert seen["prompt"] == "a dog" and seen["style"] == ["photo"] and seen["hd"] is True
    assert seen["files"] == [("ref.png", True, image)] and seen["message"] is None
    assert seen["member_roles"] == ["@everyone"]
    # discord.py saw Discord's refusal of a modal answering a modal submit
    assert [(e.status, e.code) for e in bot.refusals] == [(400, 50035)]
    assert submit.rejected_callbacks == [400] and submit.callback_type == 4
    data = submit.payload["data"]
    assert [c["type"] for c in data["components"]] == [10, 18, 18, 18, 18]
    assert data["components"][1]["component"] == {
        "type": 4,
        "id": modal.field("prompt").id,
        "custom_id": "prompt",
        "value": "a dog",
    }
    assert submit.triggered_by == shown.id and "message" not in submit.payload
    # the reply names the modal submit it answers and the command that showed the modal
    await eventually(lambda: "metadata" in seen)
    assert seen["metadata"] == (discord.InteractionType.modal_submit, shown.id)
    with pytest.raises(ValueError, match="closed"):
        await fake.submit_modal(shown, {"prompt": "again"})


async def test_a_button_opens_a_modal_whose_submit_edits_the_buttons_message(fake, bot):
    posted = await fake.invoke("post", user="alice", options={"prompt": "a fox"})
    await posted.wait_for_response()
    message = await fake.wait_for_message(lambda m: m.custom_ids())
    (button,) = message.custom_ids()

    for typed in ("a red fox", "a blue fox"):  # the button keeps working after each round
        press = await fake.press_button(message.id, button, "carol")
        modal = await press.wait_for_modal()
        assert modal.field("prompt").value == message.content.removeprefix("Prompt: ")
        submit = await fake.submit_modal(press, {"prompt": typed, "style": ["anime"]})
        await submit.wait_for_response()
        assert submit.callback_type == 7 and submit.response_message_id == message.id
        assert message.content == f"Prompt: {typed}" and message.custom_ids() == [button]
        assert submit.payload["message"]["id"] == str(message.id)
    assert [s["message"] for s in bot.submits] == [message.id, message.id]
    assert [s["style"] for s in bot.submits] == [["anime"], ["anime"]]
    assert [r.via for r in message.history] == ["channel", "channel", "callback", "callback"]


async def test_selects_radio_and_checkbox_groups_resolve_what_the_user_chose(fake, bot):
    shown = await fake.invoke("report", user="alice")
    modal = await shown.wait_for_modal()
    assert [f.type for f in modal.fields] == [5, 6, 8, 21, 22]
    assert modal.field("severity").defaults == ["low"]
    images = fake.guild.channel("images")
    with pytest.raises(ValueError, match="choices"):  # who takes 1 to 2 users
        await fake.submit_modal(shown, {"where": [images], "reasons": ["spam"]})
    with pytest.raises(ValueError, match="required"):
        await fake.submit_modal(shown, {"who": ["bob"], "where": [images], "severity": None})

    carol = fake.guild.member("carol")
    submit = await fake.submit_modal(
        shown, {"who": ["bob", carol], "where": [images], "reasons": ["nsfw", "spam"]}
    )
    followup = await submit.wait_for_followup()
    assert followup.content == "reported" and submit.original.ephemeral
    (seen,) = bot.submits
    assert seen == {
        "who": [("Member", "bob"), ("Member", "carol")],
        "role": [],
        "where": [images.id],
        "severity": "low",
        "reasons": ["nsfw", "spam"],
    }
    resolved = submit.payload["data"]["resolved"]
    assert set(resolved) == {"users", "members", "channels"}
    assert set(resolved["members"]) == {str(carol.user.id), str(fake.guild.member("bob").user.id)}


async def test_wire_rules_for_modals_without_a_bot(fake):
    api = fake.api_base
    auth = {"Authorization": f"Bot {fake.token}"}
    commands = [
        {
            "name": "form",
            "description": "Draw from a form",
            "options": [{"name": "prompt", "description": "x", "type": 3, "autocomplete": True}],
        }
    ]
    label_input = {"type": 4, "custom_id": "prompt", "style": 1, "label": None}
    good = {
        "custom_id": "f",
        "title": "Form",
        "components": [{"type": 18, "label": "Prompt", "component": label_input}],
    }
    async with aiohttp.ClientSession() as http:
        url = f"{api}/applications/{fake.application_id}/guilds/{fake.guild.id}/commands"
        async with http.put(url, json=commands, headers=auth) as response:
            assert response.status == 200

        async def answer(interaction, kind: int, data: dict) -> tuple[int, Any]:
            url = f"{api}/interactions/{interaction.id}/{interaction.token}/callback"
            async with http.post(url, json={"type": kind, "data": data}) as response:
                body = await response.json() if response.status != 204 else None
                return response.status, body

        shown = await fake.invoke("form")
        long_title = {**good, "title": "t" * 46}
        labelled_input = {**label_input, "label": "Prompt"}  # a label inside a Label
        labelled = {**good, "components": [{"type": 18, "label": "P", "component": labelled_input}]}
        row_without_label = {**good, "components": [{"type": 1, "components": [label_input]}]}
        for bad, path in (
            (long_title, ["title"]),
            (labelled, ["components", "0", "component", "label"]),
            (row_without_label, ["components", "0", "components", "0", "label"]),
            ({**good, "components": []}, ["components"]),
        ):
            status, body = await answer(shown, 9, bad)
            errors = body["errors"]["data"]
            for key in path:
                errors = errors[key]
            assert (status, body["code"], "_errors" in errors) == (400, 50035, True)
        assert shown.modal is None and shown.rejected_callbacks == [400] * 4
        assert await answer(shown, 9, good) == (204, None)
        assert shown.modal.field("prompt").label == "Prompt"

        submit = await fake.submit_modal(shown, {"prompt": "hi"})
        assert submit.delivered_to == 0
        assert (await answer(submit, 9, good))[0] == 400
        # a modal submit from a slash command may be acknowledged without any message
        assert await answer(submit, 6, {}) == (204, None)
        assert submit.original is None

        typing = await fake.autocomplete(fake.guild.id, None, "bob", "form", "prompt")
        assert (await answer(typing, 9, good))[0] == 400
