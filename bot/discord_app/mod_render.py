"""How the moderation log's posts look: an incident or an appeal, before and after a
decision, and the line above an incident that counts repeated attempts. Pure renderers."""

from __future__ import annotations

import discord

from ..moderation.models import Appeal, Attempt, Block, Incident
from ..text.formatting import plain
from ..text.i18n import t
from .mod_buttons import block_end

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
