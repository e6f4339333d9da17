"""Buttons that survive a restart: the custom id carries the job id, the database the rest.

Each is a `DynamicItem`, so any message's button is routed here after a restart without
keeping views in memory. Who may press what is checked in the actions they call.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import discord
from discord import ui

from ..mps.models import TaskKind
from ..storage.jobs import Job
from ..text.i18n import t


class ButtonHandler(Protocol):
    """Runs a button's action (`JobActions`); the client hands it to every button."""

    async def run_guarded(
        self, interaction: discord.Interaction, action: str, job_id: int, index: int
    ) -> None: ...


class HasButtonHandler(Protocol):
    button_handler: ButtonHandler


class _JobButton(ui.DynamicItem[ui.Button], template=r"^$"):
    """Custom ids of the shape `prefix:<job id>[:<index>]`; subclasses name the action."""

    prefix = ""
    indexed = False
    action = ""

    def __init_subclass__(cls, *, prefix: str, indexed: bool = False, **kwargs: Any) -> None:
        template = (
            rf"^{re.escape(prefix)}:(?P<job>\d+)" + (r":(?P<index>\d+)" if indexed else "") + "$"
        )
        super().__init_subclass__(template=template, **kwargs)
        cls.prefix, cls.indexed = prefix, indexed

    def __init__(
        self,
        job_id: int,
        index: int = 0,
        *,
        label: str = "",
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        emoji: str | None = None,
    ) -> None:
        custom_id = f"{self.prefix}:{job_id}" + (f":{index}" if self.indexed else "")
        super().__init__(
            ui.Button(label=label or None, style=style, emoji=emoji, custom_id=custom_id)
        )
        self.job_id = job_id
        self.index = index

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: ui.Button, match: re.Match[str]
    ) -> _JobButton:
        return cls(int(match["job"]), int(match.groupdict().get("index") or 0))

    async def callback(self, interaction: discord.Interaction) -> Any:
        client: HasButtonHandler = interaction.client  # type: ignore[assignment]
        await client.button_handler.run_guarded(interaction, self.action, self.job_id, self.index)


class RerollButton(_JobButton, prefix="imagine:reroll"):
    action = "reroll"


class VaryButton(_JobButton, prefix="imagine:vary", indexed=True):
    action = "vary"


class AnimateButton(_JobButton, prefix="imagine:animate", indexed=True):
    """The image at `index` becomes the first frame of a video."""

    action = "animate"


class DownloadButton(_JobButton, prefix="history:download"):
    """A video that could not be posted, offered again from /history."""

    action = "download"


class DeleteButton(_JobButton, prefix="imagine:delete"):
    action = "delete"


class RerunButton(_JobButton, prefix="history:rerun"):
    action = "rerun"


class CancelButton(_JobButton, prefix="queue:cancel"):
    action = "cancel"


class HistoryPageButton(_JobButton, prefix="history:page", indexed=True):
    """Here `job` is the owner's user id and `index` the page: only they may turn pages."""

    action = "history_page"


ALL_BUTTONS = (
    RerollButton,
    VaryButton,
    AnimateButton,
    DeleteButton,
    RerunButton,
    CancelButton,
    HistoryPageButton,
    DownloadButton,
)


def result_view(job: Job, images: int, locale: str) -> ui.View:
    view = ui.View(timeout=None)
    view.add_item(RerollButton(job.id, label=t(locale, "button.reroll"), emoji="🔁"))
    if job.kind is TaskKind.VIDEO:
        images = 0  # nothing to vary or animate
    if images == 1:
        view.add_item(VaryButton(job.id, 0, label=t(locale, "button.vary"), emoji="🎲"))
        view.add_item(AnimateButton(job.id, 0, label=t(locale, "video.button.animate"), emoji="🎬"))
    else:
        for index in range(min(images, 4)):
            view.add_item(VaryButton(job.id, index, label=t(locale, "button.vary_n", n=index + 1)))
        for index in range(min(images, 4)):
            label = t(locale, "video.button.animate_n", n=index + 1)
            view.add_item(AnimateButton(job.id, index, label=label))
    view.add_item(
        DeleteButton(
            job.id, label=t(locale, "button.delete"), emoji="🗑️", style=discord.ButtonStyle.danger
        )
    )
    return view
