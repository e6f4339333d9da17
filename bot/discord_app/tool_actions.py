"""What the image tools do in Discord: the buttons and picker on a result, the Describe
menu, and "Imagine this". The tool service decides and admits; this class reads the image
off the message (the attachment as the member sees it) and launches the job as every job
is launched (`JobActions.launch`: a public "thinking…", then the tracked message)."""

from __future__ import annotations

import discord

from ..asks.tools import Tool
from ..refusal import Refusal
from ..services.tools import IMAGE_TOOLS, SeenImage, ToolService
from .errors import answers_errors
from .interactions import member_of
from .job_actions import JobActions, first_image


class ToolActions:
    def __init__(self, *, tools: ToolService, jobs: JobActions) -> None:
        self.tools = tools
        self.jobs = jobs

    @answers_errors
    async def use_tool(
        self, interaction: discord.Interaction, job_id: int, index: int, tool: Tool
    ) -> None:
        """`tool` on the image at `index` of the pressed result."""
        member = member_of(interaction)
        images = _seen_on(interaction.message)
        ticket = await self.tools.ask_on_result(member, job_id, tool, images, index)
        await self.jobs.launch(interaction, member, ticket)

    @answers_errors
    async def pick_tool(self, interaction: discord.Interaction, job_id: int, value: str) -> None:
        """A tool and an image picked in a result's picker (`<tool>:<index>`)."""
        name, _, index = value.partition(":")
        if name not in IMAGE_TOOLS or not index.isdigit():
            raise Refusal("error.result_gone")  # not a value the picker offers
        member = member_of(interaction)
        images = _seen_on(interaction.message)
        ticket = await self.tools.ask_on_result(member, job_id, Tool(name), images, int(index))
        await self.jobs.launch(interaction, member, ticket)

    @answers_errors
    async def describe_message(
        self, interaction: discord.Interaction, message: discord.Message
    ) -> None:
        """Describe: the message's (first) image described as a prompt, posted with
        "Imagine this"."""
        member = member_of(interaction)
        attachment = first_image(message)
        ticket = await self.tools.ask(member, Tool.DESCRIBE, _seen(attachment))
        await self.jobs.launch(interaction, member, ticket)

    @answers_errors
    async def imagine_described(self, interaction: discord.Interaction, job_id: int) -> None:
        """A new image from the description on the pressed message."""
        member = member_of(interaction)
        await self.jobs.launch(interaction, member, await self.tools.ask_imagine(member, job_id))


def _seen(attachment: discord.Attachment) -> SeenImage:
    return SeenImage(attachment.url, attachment.width, attachment.height)


def _seen_on(message: discord.Message | None) -> list[SeenImage] | None:
    """The images on a result's message, as its reader sees them (None: no message)."""
    if message is None:
        return None
    return [_seen(a) for a in message.attachments]
