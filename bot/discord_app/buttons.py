"""Buttons that survive a restart: the custom id carries the job id, the database the rest.

Each is a `DynamicItem`, so any message's button is routed here after a restart without
keeping views in memory. Who may press what is checked in the actions they call.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord
from discord import ui

from ..i18n import t
from ..storage.jobs import Job

if TYPE_CHECKING:
    from .client import ImagineBot


class _JobButton(ui.DynamicItem[ui.Button], template=r"^$"):
    """Shared shape: `prefix:<job id>[:<index>]`; subclasses name the action to call."""

    action = ""

    def __init__(
        self,
        job_id: int,
        index: int = 0,
        *,
        label: str = "",
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        emoji: str | None = None,
    ) -> None:
        custom_id = self.custom_id_for(job_id, index)
        super().__init__(
            ui.Button(label=label or None, style=style, emoji=emoji, custom_id=custom_id)
        )
        self.job_id = job_id
        self.index = index

    @classmethod
    def custom_id_for(cls, job_id: int, index: int) -> str:
        raise NotImplementedError

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: ui.Button, match: re.Match[str]
    ) -> _JobButton:
        groups = match.groupdict()
        return cls(int(groups["job"]), int(groups.get("index") or 0))

    async def callback(self, interaction: discord.Interaction) -> Any:
        bot: ImagineBot = interaction.client  # type: ignore[assignment]
        await bot.actions.run_guarded(interaction, self.action, self.job_id, self.index)


class RerollButton(_JobButton, template=r"^imagine:reroll:(?P<job>\d+)$"):
    action = "reroll"

    @classmethod
    def custom_id_for(cls, job_id: int, index: int) -> str:
        return f"imagine:reroll:{job_id}"


class VaryButton(_JobButton, template=r"^imagine:vary:(?P<job>\d+):(?P<index>\d+)$"):
    action = "vary"

    @classmethod
    def custom_id_for(cls, job_id: int, index: int) -> str:
        return f"imagine:vary:{job_id}:{index}"


class DeleteButton(_JobButton, template=r"^imagine:delete:(?P<job>\d+)$"):
    action = "delete"

    @classmethod
    def custom_id_for(cls, job_id: int, index: int) -> str:
        return f"imagine:delete:{job_id}"


class RerunButton(_JobButton, template=r"^history:rerun:(?P<job>\d+)$"):
    action = "rerun"

    @classmethod
    def custom_id_for(cls, job_id: int, index: int) -> str:
        return f"history:rerun:{job_id}"


class CancelButton(_JobButton, template=r"^queue:cancel:(?P<job>\d+)$"):
    action = "cancel"

    @classmethod
    def custom_id_for(cls, job_id: int, index: int) -> str:
        return f"queue:cancel:{job_id}"


class HistoryPageButton(_JobButton, template=r"^history:page:(?P<job>\d+):(?P<index>\d+)$"):
    """`job` here is the owner's user id and `index` the page: only they may turn pages."""

    action = "history_page"

    @classmethod
    def custom_id_for(cls, job_id: int, index: int) -> str:
        return f"history:page:{job_id}:{index}"


ALL_BUTTONS = (RerollButton, VaryButton, DeleteButton, RerunButton, CancelButton, HistoryPageButton)


def result_view(job: Job, images: int, locale: str) -> ui.View:
    view = ui.View(timeout=None)
    view.add_item(RerollButton(job.id, label=t(locale, "button.reroll"), emoji="🔁"))
    if images == 1:
        view.add_item(VaryButton(job.id, 0, label=t(locale, "button.vary"), emoji="🎲"))
    else:
        for index in range(min(images, 4)):
            view.add_item(VaryButton(job.id, index, label=t(locale, "button.vary_n", n=index + 1)))
    view.add_item(
        DeleteButton(
            job.id, label=t(locale, "button.delete"), emoji="🗑️", style=discord.ButtonStyle.danger
        )
    )
    return view
