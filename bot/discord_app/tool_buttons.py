"""The image tools' buttons and picker on results, and "Imagine this" on a description.

Like the job buttons they survive a restart: the custom id carries the job id and the
image's place on the message; the image itself is read from the message when pressed (the
attachment as the member sees it, its URL freshly signed by Discord). Each callback names
the method it calls on `ToolActions`.

A result of one image carries the four tools as buttons. A result of several would need a
button per tool and image (16 for four images), more than a message has room for beside
Re-roll, Vary, Animate, Delete, Remix and Info (Discord allows 25 in 5 rows), so it carries
one picker instead, with each tool for each image.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, runtime_checkable

import discord
from discord import ui

from ..asks.tools import Tool
from ..engine.downloader import result_text
from ..storage.jobs import Job
from ..text.i18n import t
from .buttons import DeleteButton, _JobButton
from .render import TOOL_NAMES

TOOL_EMOJI = {"upscale_2x": "🔍", "upscale_4x": "🔎", "zoom_out": "🖼️", "remove_background": "✂️"}
# The row of a single image's tool buttons, and of the picker (see `buttons.result_view`).
TOOLS_ROW = 1
PICKER_ROW = 2
# Images a picker offers tools for: 4 tools each within Discord's 25 options.
PICKER_IMAGES = 6


class ToolButtonActions(Protocol):
    """What the tool buttons call (`ToolActions`); each method answers its own errors."""

    async def use_tool(
        self, interaction: discord.Interaction, job_id: int, index: int, tool: Tool
    ) -> None: ...
    async def pick_tool(
        self, interaction: discord.Interaction, job_id: int, value: str
    ) -> None: ...
    async def imagine_described(self, interaction: discord.Interaction, job_id: int) -> None: ...


@runtime_checkable
class HasToolButtons(Protocol):
    @property
    def tool_buttons(self) -> ToolButtonActions: ...


def tool_actions(interaction: discord.Interaction) -> ToolButtonActions:
    client = interaction.client
    if not isinstance(client, HasToolButtons):
        raise RuntimeError("tool buttons run in the ImagineBot client only")
    return client.tool_buttons


class UpscaleTwiceButton(_JobButton, prefix="tool:upscale2", indexed=True):
    async def callback(self, interaction: discord.Interaction) -> None:
        await tool_actions(interaction).use_tool(
            interaction, self.job_id, self.index, Tool.UPSCALE_2X
        )


class UpscaleFourButton(_JobButton, prefix="tool:upscale4", indexed=True):
    async def callback(self, interaction: discord.Interaction) -> None:
        await tool_actions(interaction).use_tool(
            interaction, self.job_id, self.index, Tool.UPSCALE_4X
        )


class ZoomOutButton(_JobButton, prefix="tool:zoomout", indexed=True):
    async def callback(self, interaction: discord.Interaction) -> None:
        await tool_actions(interaction).use_tool(
            interaction, self.job_id, self.index, Tool.ZOOM_OUT
        )


class RemoveBackgroundButton(_JobButton, prefix="tool:cutout", indexed=True):
    async def callback(self, interaction: discord.Interaction) -> None:
        await tool_actions(interaction).use_tool(
            interaction, self.job_id, self.index, Tool.REMOVE_BACKGROUND
        )


class ImagineThisButton(_JobButton, prefix="tool:imagine"):
    """A new image from a description's text."""

    async def callback(self, interaction: discord.Interaction) -> None:
        await tool_actions(interaction).imagine_described(interaction, self.job_id)


class ToolPicker(ui.DynamicItem[ui.Select], template=r"^tool:pick:(?P<job>\d+)$"):
    """Every tool for every image of a result of several; a value is `<tool>:<index>`."""

    def __init__(self, job_id: int, images: int = 0, locale: str = "en-US") -> None:
        options = [
            discord.SelectOption(
                label=t(locale, "tools.pick_option", tool=t(locale, TOOL_NAMES[tool]), n=i + 1),
                value=f"{tool}:{i}",
                emoji=TOOL_EMOJI[tool],
            )
            for i in range(min(images, PICKER_IMAGES))
            for tool in _BUTTONS
        ]
        select: ui.Select[Any] = ui.Select(
            custom_id=f"tool:pick:{job_id}",
            placeholder=t(locale, "tools.pick_placeholder"),
            options=options or [discord.SelectOption(label="-", value="-")],
        )
        super().__init__(select, row=PICKER_ROW)
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: ui.Select, match: re.Match[str]
    ) -> ToolPicker:
        return cls(int(match["job"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        values = (interaction.data or {}).get("values") or [""]
        await tool_actions(interaction).pick_tool(interaction, self.job_id, str(values[0]))


_BUTTONS: dict[str, type[_JobButton]] = {
    Tool.UPSCALE_2X.value: UpscaleTwiceButton,
    Tool.UPSCALE_4X.value: UpscaleFourButton,
    Tool.ZOOM_OUT.value: ZoomOutButton,
    Tool.REMOVE_BACKGROUND.value: RemoveBackgroundButton,
}
TOOL_BUTTONS = (
    UpscaleTwiceButton,
    UpscaleFourButton,
    ZoomOutButton,
    RemoveBackgroundButton,
    ImagineThisButton,
    ToolPicker,
)


def tool_items(job_id: int, images: int, locale: str) -> list[ui.Item]:
    """The tools under a result of `images` images: four buttons for one, a picker for more."""
    if images <= 0:
        return []
    if images > 1:
        return [ToolPicker(job_id, images, locale)]
    return [
        button(job_id, 0, label=t(locale, TOOL_NAMES[name]), emoji=TOOL_EMOJI[name], row=TOOLS_ROW)
        for name, button in _BUTTONS.items()
    ]


def imagine_this(job_id: int, locale: str) -> ImagineThisButton:
    return ImagineThisButton(
        job_id, label=t(locale, "tools.imagine_this"), emoji="✨", style=discord.ButtonStyle.primary
    )


def with_tools(view: ui.View, job_id: int, images: int, locale: str) -> ui.View:
    """`view` (a result's buttons) with the image tools added in their rows."""
    for item in tool_items(job_id, images, locale):
        view.add_item(item)
    return view


def tool_result_view(job: Job, images: int, locale: str, tools: bool) -> ui.View:
    """Under a tool's result: the tools again for an image (an upscaled picture can have
    its background removed), "Imagine this" for a description; and Delete."""
    view = ui.View(timeout=None)
    if result_text(job) is not None:
        view.add_item(imagine_this(job.id, locale))
    elif tools:
        with_tools(view, job.id, images, locale)
    delete = t(locale, "button.delete")
    view.add_item(DeleteButton(job.id, label=delete, emoji="🗑️", style=discord.ButtonStyle.danger))
    return view
