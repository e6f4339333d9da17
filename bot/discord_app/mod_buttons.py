"""Moderation buttons that survive a restart: the custom id carries the incident, block or
appeal id; the moderation tables hold the rest. Each callback names the method it calls on
the moderation actions (`ModerationActions`, reached through the client); who may press
what is decided by the moderation service."""

from __future__ import annotations

import re
from typing import Protocol, runtime_checkable

import discord
from discord import ui

from ..moderation.models import Block
from ..text.formatting import plain
from ..text.i18n import t


class ModerationButtonActions(Protocol):
    """What the moderation buttons call; each method answers its own errors."""

    async def decide(
        self, interaction: discord.Interaction, incident_id: int, action: str
    ) -> None: ...
    async def appeal(self, interaction: discord.Interaction, block_id: int) -> None: ...
    async def decide_appeal(
        self, interaction: discord.Interaction, appeal_id: int, accept: bool
    ) -> None: ...
    async def incidents_page(
        self, interaction: discord.Interaction, page: int, status: str, member: int
    ) -> None: ...
    async def appeals_page(
        self, interaction: discord.Interaction, page: int, status: str
    ) -> None: ...
    async def decide_listed_appeal(
        self, interaction: discord.Interaction, appeal_id: int, accept: bool, page: int, status: str
    ) -> None: ...
    async def decide_held(
        self, interaction: discord.Interaction, job_id: int, approve: bool
    ) -> None: ...


@runtime_checkable
class HasModerationButtons(Protocol):
    """The client the buttons run in (`ImagineBot`)."""

    @property
    def moderation_buttons(self) -> ModerationButtonActions: ...


def moderation_actions(interaction: discord.Interaction) -> ModerationButtonActions:
    client = interaction.client
    if not isinstance(client, HasModerationButtons):
        raise RuntimeError("moderation buttons run in the ImagineBot client only")
    return client.moderation_buttons


class IncidentButton(
    ui.DynamicItem[ui.Button],
    template=r"^mod:(?P<action>dismiss|warn|block):(?P<incident>\d+)(?::(?P<duration>24h|7d|perm))?$",
):
    """Dismiss / Warn / Block <duration> on an incident posted in the log channel."""

    def __init__(
        self,
        action: str,
        incident_id: int,
        duration: str | None = None,
        *,
        label: str = "",
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
    ) -> None:
        custom_id = f"mod:{action}:{incident_id}" + (f":{duration}" if duration else "")
        super().__init__(ui.Button(label=label or None, style=style, custom_id=custom_id))
        self.action, self.incident_id, self.duration = action, incident_id, duration

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: ui.Button, match: re.Match[str]
    ) -> IncidentButton:
        return cls(match["action"], int(match["incident"]), match["duration"])

    async def callback(self, interaction: discord.Interaction) -> None:
        # A Block without a length is passed on as it is: the service refuses it whole.
        action = self.action if self.duration is None else f"{self.action}:{self.duration}"
        await moderation_actions(interaction).decide(interaction, self.incident_id, action)


class AppealButton(ui.DynamicItem[ui.Button], template=r"^mod:appeal:(?P<block>\d+)$"):
    def __init__(self, block_id: int, *, label: str = "") -> None:
        super().__init__(
            ui.Button(
                label=label or None,
                style=discord.ButtonStyle.primary,
                custom_id=f"mod:appeal:{block_id}",
            )
        )
        self.block_id = block_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: ui.Button, match: re.Match[str]
    ) -> AppealButton:
        return cls(int(match["block"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await moderation_actions(interaction).appeal(interaction, self.block_id)


class AppealDecisionButton(
    ui.DynamicItem[ui.Button], template=r"^mod:(?P<choice>lift|keep):(?P<appeal>\d+)$"
):
    def __init__(
        self,
        choice: str,
        appeal_id: int,
        *,
        label: str = "",
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
    ) -> None:
        super().__init__(
            ui.Button(label=label or None, style=style, custom_id=f"mod:{choice}:{appeal_id}")
        )
        self.choice, self.appeal_id = choice, appeal_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: ui.Button, match: re.Match[str]
    ) -> AppealDecisionButton:
        return cls(match["choice"], int(match["appeal"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        accept = self.choice == "lift"
        await moderation_actions(interaction).decide_appeal(interaction, self.appeal_id, accept)


class IncidentsPageButton(
    ui.DynamicItem[ui.Button],
    template=r"^modlist:(?P<page>\d+):(?P<status>[a-z]*):(?P<member>\d+)$",
):
    """A page of `/moderation incidents`; the filters ride in the id (member 0: anyone)."""

    def __init__(self, page: int, status: str, member: int, *, label: str = "") -> None:
        super().__init__(
            ui.Button(label=label or None, custom_id=f"modlist:{page}:{status}:{member}")
        )
        self.page, self.status, self.member = page, status, member

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: ui.Button, match: re.Match[str]
    ) -> IncidentsPageButton:
        return cls(int(match["page"]), match["status"], int(match["member"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await moderation_actions(interaction).incidents_page(
            interaction, self.page, self.status, self.member
        )


class AppealsPageButton(
    ui.DynamicItem[ui.Button], template=r"^modappeals:(?P<page>\d+):(?P<status>[a-z]*)$"
):
    """A page of `/moderation appeals`; the status filter rides in the id."""

    def __init__(self, page: int, status: str, *, label: str = "") -> None:
        super().__init__(ui.Button(label=label or None, custom_id=f"modappeals:{page}:{status}"))
        self.page, self.status = page, status

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: ui.Button, match: re.Match[str]
    ) -> AppealsPageButton:
        return cls(int(match["page"]), match["status"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await moderation_actions(interaction).appeals_page(interaction, self.page, self.status)


class ListedAppealButton(
    ui.DynamicItem[ui.Button],
    template=r"^modappeal:(?P<choice>lift|keep):(?P<appeal>\d+):(?P<page>\d+):(?P<status>[a-z]*)$",
):
    """Lift / Keep on an appeal listed by `/moderation appeals`: the page is drawn again."""

    def __init__(
        self,
        choice: str,
        appeal_id: int,
        page: int,
        status: str,
        *,
        label: str = "",
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
    ) -> None:
        custom_id = f"modappeal:{choice}:{appeal_id}:{page}:{status}"
        super().__init__(ui.Button(label=label or None, style=style, custom_id=custom_id))
        self.choice, self.appeal_id, self.page, self.status = choice, appeal_id, page, status

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: ui.Button, match: re.Match[str]
    ) -> ListedAppealButton:
        return cls(match["choice"], int(match["appeal"]), int(match["page"]), match["status"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await moderation_actions(interaction).decide_listed_appeal(
            interaction, self.appeal_id, self.choice == "lift", self.page, self.status
        )


class HeldResultButton(
    ui.DynamicItem[ui.Button], template=r"^held:(?P<choice>approve|reject):(?P<job>\d+)$"
):
    """Approve / Reject on a result of a member on probation, held in the log channel;
    the id carries the batch's first job."""

    def __init__(
        self,
        choice: str,
        job_id: int,
        *,
        label: str = "",
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
    ) -> None:
        super().__init__(
            ui.Button(label=label or None, style=style, custom_id=f"held:{choice}:{job_id}")
        )
        self.choice, self.job_id = choice, job_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: ui.Button, match: re.Match[str]
    ) -> HeldResultButton:
        return cls(match["choice"], int(match["job"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        approve = self.choice == "approve"
        await moderation_actions(interaction).decide_held(interaction, self.job_id, approve)


# The blocks offered on an incident, by duration, with their labels.
BLOCK_BUTTONS = {
    "24h": "moderation.button.block_24h",
    "7d": "moderation.button.block_7d",
    "perm": "moderation.button.block_perm",
}

MODERATION_BUTTONS = (
    IncidentButton,
    AppealButton,
    AppealDecisionButton,
    IncidentsPageButton,
    AppealsPageButton,
    ListedAppealButton,
    HeldResultButton,
)


def incident_view(incident_id: int, locale: str) -> ui.View:
    view = ui.View(timeout=None)
    danger = discord.ButtonStyle.danger
    view.add_item(
        IncidentButton("dismiss", incident_id, label=t(locale, "moderation.button.dismiss"))
    )
    view.add_item(IncidentButton("warn", incident_id, label=t(locale, "moderation.button.warn")))
    for duration, key in BLOCK_BUTTONS.items():
        label = t(locale, key)
        view.add_item(IncidentButton("block", incident_id, duration, label=label, style=danger))
    return view


def appeal_decision_view(appeal_id: int, locale: str) -> ui.View:
    view = ui.View(timeout=None)
    view.add_item(
        AppealDecisionButton(
            "lift",
            appeal_id,
            label=t(locale, "moderation.button.lift"),
            style=discord.ButtonStyle.success,
        )
    )
    view.add_item(
        AppealDecisionButton("keep", appeal_id, label=t(locale, "moderation.button.keep"))
    )
    return view


def held_view(job_id: int, locale: str) -> ui.View:
    view = ui.View(timeout=None)
    approve, reject = discord.ButtonStyle.success, discord.ButtonStyle.danger
    label = t(locale, "probation.button.approve")
    view.add_item(HeldResultButton("approve", job_id, label=label, style=approve))
    label = t(locale, "probation.button.reject")
    view.add_item(HeldResultButton("reject", job_id, label=label, style=reject))
    return view


def block_end(block: Block, locale: str) -> str:
    if block.until is None:
        return t(locale, "moderation.permanent")
    return f"<t:{int(block.until)}:R>"


def blocked_reply(block: Block, locale: str) -> tuple[str, ui.View]:
    """What a blocked member is told (privately), with the one Appeal button."""
    text = t(
        locale,
        "moderation.blocked",
        reason=plain(block.reason, 500),
        until=block_end(block, locale),
    )
    view = ui.View(timeout=None)
    view.add_item(AppealButton(block.id, label=t(locale, "moderation.button.appeal")))
    return text, view
