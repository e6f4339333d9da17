"""Buttons that survive a restart: the custom id carries the job id, the database the rest.

Each is a `DynamicItem`, so any message's button is routed here after a restart without
keeping views in memory. Each button's `callback` names the method it calls on the job
actions (`JobActions`, reached through the client); who may press what is decided by the
job service those methods call.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, runtime_checkable

import discord
from discord import ui

from ..mps.models import TaskKind
from ..storage.jobs import Job
from ..text.i18n import t


class JobButtonActions(Protocol):
    """What the job buttons call (`JobActions`); each method answers its own errors."""

    async def reroll(self, interaction: discord.Interaction, job_id: int) -> None: ...
    async def vary(self, interaction: discord.Interaction, job_id: int, index: int) -> None: ...
    async def animate_result(
        self, interaction: discord.Interaction, job_id: int, index: int
    ) -> None: ...
    async def delete(self, interaction: discord.Interaction, job_id: int) -> None: ...
    async def remix(self, interaction: discord.Interaction, job_id: int) -> None: ...
    async def info(self, interaction: discord.Interaction, job_id: int) -> None: ...
    async def rerun(self, interaction: discord.Interaction, job_id: int) -> None: ...
    async def cancel(self, interaction: discord.Interaction, job_id: int) -> None: ...
    async def download(self, interaction: discord.Interaction, job_id: int) -> None: ...
    async def history_page(
        self, interaction: discord.Interaction, owner_id: int, page: int
    ) -> None: ...


@runtime_checkable
class HasJobButtons(Protocol):
    """The client the buttons run in (`ImagineBot`)."""

    @property
    def job_buttons(self) -> JobButtonActions: ...


def job_actions(interaction: discord.Interaction) -> JobButtonActions:
    client = interaction.client
    if not isinstance(client, HasJobButtons):
        raise RuntimeError("job buttons run in the ImagineBot client only")
    return client.job_buttons


class _JobButton(ui.DynamicItem[ui.Button], template=r"^$"):
    """Custom ids of the shape `prefix:<job id>[:<index>]`; each subclass has its prefix
    and its callback."""

    prefix = ""
    indexed = False

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
        row: int | None = None,
    ) -> None:
        custom_id = f"{self.prefix}:{job_id}" + (f":{index}" if self.indexed else "")
        super().__init__(
            ui.Button(label=label or None, style=style, emoji=emoji, custom_id=custom_id),
            row=row,
        )
        self.job_id = job_id
        self.index = index

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: ui.Button, match: re.Match[str]
    ) -> _JobButton:
        return cls(int(match["job"]), int(match.groupdict().get("index") or 0))


class RerollButton(_JobButton, prefix="imagine:reroll"):
    async def callback(self, interaction: discord.Interaction) -> None:
        await job_actions(interaction).reroll(interaction, self.job_id)


class VaryButton(_JobButton, prefix="imagine:vary", indexed=True):
    async def callback(self, interaction: discord.Interaction) -> None:
        await job_actions(interaction).vary(interaction, self.job_id, self.index)


class AnimateButton(_JobButton, prefix="imagine:animate", indexed=True):
    """The image at `index` becomes the first frame of a video."""

    async def callback(self, interaction: discord.Interaction) -> None:
        await job_actions(interaction).animate_result(interaction, self.job_id, self.index)


class RemixButton(_JobButton, prefix="imagine:remix"):
    """A form pre-filled with the prompt and negative prompt; the rest is kept."""

    async def callback(self, interaction: discord.Interaction) -> None:
        await job_actions(interaction).remix(interaction, self.job_id)


class InfoButton(_JobButton, prefix="imagine:info"):
    """Everything about the result, privately."""

    async def callback(self, interaction: discord.Interaction) -> None:
        await job_actions(interaction).info(interaction, self.job_id)


class DownloadButton(_JobButton, prefix="history:download"):
    """A video that could not be posted, offered again from /history."""

    async def callback(self, interaction: discord.Interaction) -> None:
        await job_actions(interaction).download(interaction, self.job_id)


class DeleteButton(_JobButton, prefix="imagine:delete"):
    async def callback(self, interaction: discord.Interaction) -> None:
        await job_actions(interaction).delete(interaction, self.job_id)


class RerunButton(_JobButton, prefix="history:rerun"):
    async def callback(self, interaction: discord.Interaction) -> None:
        await job_actions(interaction).rerun(interaction, self.job_id)


class CancelButton(_JobButton, prefix="queue:cancel"):
    async def callback(self, interaction: discord.Interaction) -> None:
        await job_actions(interaction).cancel(interaction, self.job_id)


class HistoryPageButton(_JobButton, prefix="history:page", indexed=True):
    """Here `job` is the owner's user id and `index` the page: only they may turn pages."""

    async def callback(self, interaction: discord.Interaction) -> None:
        await job_actions(interaction).history_page(interaction, self.job_id, self.index)


ALL_BUTTONS = (
    RerollButton,
    VaryButton,
    AnimateButton,
    DeleteButton,
    RerunButton,
    CancelButton,
    HistoryPageButton,
    DownloadButton,
    RemixButton,
    InfoButton,
)
# Rows of a result's buttons: Remix and Info keep the last row to themselves, whatever
# else a result offers above them.
CREATIVE_ROW = 4


def result_view(job: Job, images: int, locale: str) -> ui.View:
    """The buttons under a result: the one place they are put together."""
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
    for item in creative_row(job, locale):
        view.add_item(item)
    return view


def creative_row(job: Job, locale: str) -> list[ui.Item]:
    """Remix and Info, in a row of their own."""
    return [
        RemixButton(job.id, label=t(locale, "remix.button"), emoji="✏️", row=CREATIVE_ROW),
        InfoButton(job.id, label=t(locale, "info.button"), emoji="ℹ️", row=CREATIVE_ROW),
    ]
