"""How moderation looks in Discord: an incident or an appeal in the log channel, before and
after a decision, the line above an incident that counts repeated attempts, and the pages
of `/moderation appeals`, a held result of a member on probation. Pure renderers."""

from __future__ import annotations

import discord
from discord import ui

from ..moderation.models import Appeal, AppealStatus, Attempt, Block, Incident
from ..storage.jobs import Job
from ..text.formatting import plain
from ..text.i18n import t
from .mod_buttons import AppealsPageButton, ListedAppealButton, block_end

COLOUR_OPEN = discord.Colour.orange()
COLOUR_DONE = discord.Colour.light_grey()


def spoiler(text: str | None, limit: int) -> str | None:
    """User text, escaped, behind a spoiler: moderators choose to read it."""
    shown = plain(text, limit - 4)
    return f"||{shown}||" if shown else None


def incident_embed(incident: Incident, locale: str, decision: str | None = None) -> discord.Embed:
    embed = discord.Embed(
        title=t(locale, "moderation.incident_title", incident=incident.id, code=incident.code),
        description=spoiler(incident.prompt, 2000) or t(locale, "moderation.no_prompt"),
        colour=COLOUR_DONE if decision else COLOUR_OPEN,
    )
    fields = [
        ("moderation.field_member", f"<@{incident.user_id}>"),
        ("moderation.field_channel", f"<#{incident.channel_id}>" if incident.channel_id else None),
        ("moderation.field_model", plain(incident.model, 100) or None),
        ("moderation.field_negative", spoiler(incident.negative_prompt, 1024)),
        ("moderation.field_reference", spoiler(incident.reference, 1024)),
        ("moderation.field_message", plain(incident.message, 1024) or None),
        ("moderation.field_time", f"<t:{int(incident.created_at)}:f>"),
    ]
    for key, value in fields:
        if value:
            embed.add_field(name=t(locale, key), value=value, inline=len(value) < 40)
    if decision:
        embed.add_field(name=t(locale, "moderation.field_decision"), value=decision, inline=False)
    return embed


# What a post in the log channel says once decided, by the decision.
DECIDED = {
    "dismiss": "moderation.decided.dismiss",
    "warn": "moderation.decided.warn",
    "block:24h": "moderation.decided.block_24h",
    "block:7d": "moderation.decided.block_7d",
    "block:perm": "moderation.decided.block_perm",
    "lift": "moderation.decided.lift",
    "keep": "moderation.decided.keep",
    "approve": "probation.decided.approve",
    "reject": "probation.decided.reject",
}


def decision_text(locale: str, action: str, moderator_id: int, when: float) -> str:
    return t(
        locale,
        DECIDED[action],
        moderator=f"<@{moderator_id}>",
        when=f"<t:{int(when)}:R>",
    )


def appeal_embed(
    appeal: Appeal, block: Block, locale: str, decision: str | None = None
) -> discord.Embed:
    embed = discord.Embed(
        title=t(locale, "moderation.appeal_title", appeal=appeal.id),
        colour=COLOUR_DONE if decision else COLOUR_OPEN,
    )
    embed.add_field(name=t(locale, "moderation.field_member"), value=f"<@{appeal.user_id}>")
    embed.add_field(name=t(locale, "moderation.field_block_ends"), value=block_end(block, locale))
    embed.add_field(
        name=t(locale, "moderation.field_reason"), value=plain(block.reason, 1024), inline=False
    )
    if decision:
        embed.add_field(name=t(locale, "moderation.field_decision"), value=decision, inline=False)
    return embed


def incident_content(incident: Incident, latest: Attempt | None, locale: str) -> str:
    """The line above an incident's embed: who, and how many attempts with the latest's
    words once there are several (the embed keeps the first's)."""
    member = f"<@{incident.user_id}>"
    if incident.attempts <= 1:
        return t(locale, "moderation.new_incident", member=member)
    return t(
        locale,
        "moderation.repeated_incident",
        member=member,
        attempts=incident.attempts,
        latest=f"<t:{int(incident.last_attempt_at or incident.created_at)}:R>",
        prompt=spoiler(latest.prompt if latest else None, 300) or t(locale, "moderation.no_prompt"),
    )


APPEAL_STATUSES = {
    AppealStatus.OPEN: "moderation.appeal_status.open",
    AppealStatus.ACCEPTED: "moderation.appeal_status.accepted",
    AppealStatus.REJECTED: "moderation.appeal_status.rejected",
}


def appeals_page(
    found: list[tuple[Appeal, Block]],
    page: int,
    pages: int,
    total: int,
    status: str | None,
    locale: str,
) -> tuple[discord.Embed, ui.View]:
    """A page of appeals, newest first; each open one gets a row of Lift / Keep."""
    lines, view = [], ui.View(timeout=None)
    filtered = status or ""
    for appeal, block in found:
        state = t(locale, APPEAL_STATUSES[appeal.status])
        lines.append(
            f"**#{appeal.id}** · {state} · <t:{int(appeal.created_at)}:R> · "
            f"<@{appeal.user_id}> · {t(locale, 'moderation.field_block_ends')}: "
            f"{block_end(block, locale)} · {plain(block.reason, 200)}"
        )
        if appeal.status is AppealStatus.OPEN:
            row = len(view.children) // 2
            for choice, key, style in (
                ("lift", "moderation.button.lift_appeal", discord.ButtonStyle.success),
                ("keep", "moderation.button.keep_appeal", discord.ButtonStyle.secondary),
            ):
                button = ListedAppealButton(
                    choice,
                    appeal.id,
                    page,
                    filtered,
                    label=t(locale, key, appeal=appeal.id),
                    style=style,
                )
                button.row = row
                view.add_item(button)
    embed = discord.Embed(
        title=t(locale, "moderation.appeals_title"),
        description="\n".join(lines) or t(locale, "moderation.appeals_none"),
        colour=COLOUR_OPEN,
    )
    embed.set_footer(
        text=t(locale, "moderation.appeals_page", page=page + 1, pages=pages, total=total)
    )
    for target, key in ((page - 1, "moderation.previous"), (page + 1, "moderation.next")):
        if 0 <= target < pages:
            button = AppealsPageButton(target, filtered, label=t(locale, key))
            button.row = 4
            view.add_item(button)
    return embed, view


def review_embed(job: Job, locale: str, decision: str | None = None) -> discord.Embed:
    """A held result in the log channel: who asked, where, and what (behind a spoiler)."""
    embed = discord.Embed(
        title=t(locale, "probation.review_title", job=job.id),
        description=spoiler(job.options.get("prompt") or job.prompt, 1000),
        colour=COLOUR_DONE if decision else COLOUR_OPEN,
    )
    embed.add_field(name=t(locale, "moderation.field_member"), value=f"<@{job.user_id}>")
    channel = job.frontend.get("channel_id")
    if channel:
        embed.add_field(name=t(locale, "probation.field_channel"), value=f"<#{channel}>")
    embed.add_field(name=t(locale, "discord.field_model"), value=plain(job.model, 100))
    if decision:
        embed.add_field(name=t(locale, "moderation.field_decision"), value=decision, inline=False)
    return embed
