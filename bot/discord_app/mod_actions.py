"""What the moderation commands and buttons do: decisions on incidents, blocks, appeals,
listings and the server's moderation settings. The cogs and buttons only call these."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import ui

from ..moderation.models import DURATIONS, AuditAction, ModerationSettings, parse_words
from ..moderation.service import Moderation, is_moderator
from ..refusal import Refusal
from ..text.formatting import plain
from ..text.i18n import resolve, t
from .errors import locale_of, report_error, say
from .mod_buttons import IncidentsPageButton, block_end
from .modlog import ModerationLog, appeal_embed, decision_text, incident_embed, spoiler

log = logging.getLogger(__name__)

CANNOT_DM = 50007
PAGE_SIZE = 10
DmOpener = Callable[[int], Awaitable[discord.abc.Messageable]]


def log_locale(interaction: discord.Interaction) -> str:
    """The log channel is the server's: it speaks the server's language."""
    return resolve(interaction.guild_locale.value if interaction.guild_locale else None)


class ModerationActions:
    def __init__(self, *, moderation: Moderation, modlog: ModerationLog, dm: DmOpener) -> None:
        self.moderation = moderation
        self.store = moderation.store  # read here; written through the moderation core
        self.modlog = modlog
        self._dm = dm

    async def run_guarded(self, interaction: discord.Interaction, action: str, *args: Any) -> None:
        """Button entry point: any error becomes a message to the presser."""
        try:
            await getattr(self, action)(interaction, *args)
        except Exception as exc:
            await report_error(interaction, exc)

    async def require_moderator(self, interaction: discord.Interaction) -> ModerationSettings:
        if interaction.guild_id is None:
            raise Refusal("error.guild_only")
        settings = await self.store.settings(interaction.guild_id)
        roles = tuple(r.id for r in getattr(interaction.user, "roles", ()))
        if not is_moderator(settings, interaction.permissions.manage_messages, roles):
            raise Refusal("moderation.not_moderator")
        return settings

    # -- buttons in the log channel --------------------------------------------------------

    async def decide(self, interaction: discord.Interaction, incident_id: int, action: str) -> None:
        await self.require_moderator(interaction)
        assert interaction.guild_id is not None
        decision = await self.moderation.decide(
            interaction.guild_id, incident_id, action, interaction.user.id
        )
        locale = log_locale(interaction)
        text = decision_text(
            locale, action, interaction.user.id, decision.incident.reviewed_at or 0
        )
        await interaction.response.edit_message(
            embed=incident_embed(decision.incident, locale, text), view=None
        )
        if decision.action is AuditAction.WARN:
            guild = interaction.guild.name if interaction.guild else ""
            warning = decision.warning or t(locale, "moderation.warning_default", server=guild)
            delivered = await self.send_warning(
                interaction.guild_id, decision.incident.user_id, guild, warning
            )
            key = "moderation.warned_dm" if delivered else "moderation.warned_later"
            await interaction.followup.send(say(interaction, key), ephemeral=True)

    async def send_warning(self, guild_id: int, user_id: int, server: str, text: str) -> bool:
        """By DM; when the member's DMs are closed it waits for their next command."""
        try:
            channel = await self._dm(user_id)
            await channel.send(
                f"**{plain(server, 100)}**\n{text}", allowed_mentions=discord.AllowedMentions.none()
            )
            return True
        except discord.Forbidden as exc:
            if exc.code != CANNOT_DM:
                log.warning("could not warn user %d: %s", user_id, exc)
            await self.moderation.keep_warning(guild_id, user_id, text)
            return False

    async def appeal(self, interaction: discord.Interaction, block_id: int) -> None:
        assert interaction.guild_id is not None
        appeal = await self.moderation.appeal(interaction.guild_id, block_id, interaction.user.id)
        block = await self.store.block(interaction.guild_id, block_id)
        assert block is not None
        await interaction.response.send_message(
            say(interaction, "moderation.appeal_sent"), ephemeral=True
        )
        await self.modlog.post_appeal(appeal, block)

    async def decide_appeal(
        self, interaction: discord.Interaction, appeal_id: int, accept: bool
    ) -> None:
        await self.require_moderator(interaction)
        assert interaction.guild_id is not None
        appeal = await self.moderation.decide_appeal(
            interaction.guild_id, appeal_id, interaction.user.id, accept=accept
        )
        block = await self.store.block(interaction.guild_id, appeal.block_id)
        assert block is not None
        locale = log_locale(interaction)
        action = "lift" if accept else "keep"
        text = decision_text(locale, action, interaction.user.id, appeal.decided_at or 0)
        await interaction.response.edit_message(
            embed=appeal_embed(appeal, block, locale, text), view=None
        )

    async def incidents_page(
        self, interaction: discord.Interaction, page: int, status: str, member: int
    ) -> None:
        await self.require_moderator(interaction)
        embed, view = await self.incidents(interaction, page, status or None, member or None)
        await interaction.response.edit_message(embed=embed, view=view)

    # -- commands --------------------------------------------------------------------------

    async def incidents(
        self, interaction: discord.Interaction, page: int, status: str | None, member: int | None
    ) -> tuple[discord.Embed, ui.View]:
        assert interaction.guild_id is not None
        locale = locale_of(interaction)
        guild_id = interaction.guild_id
        total = await self.store.count_incidents(guild_id, status=status, user_id=member)
        pages = max(1, -(-total // PAGE_SIZE))
        page = max(0, min(page, pages - 1))
        found = await self.store.incidents(
            guild_id, status=status, user_id=member, limit=PAGE_SIZE, offset=page * PAGE_SIZE
        )
        lines = []
        for incident in found:
            state = t(locale, f"moderation.status.{incident.status.value}")
            prompt = spoiler(incident.prompt, 80) or "—"
            lines.append(
                f"**#{incident.id}** · {state} · <t:{int(incident.created_at)}:R> · "
                f"<@{incident.user_id}> · `{incident.code}` · {prompt}"
            )
        embed = discord.Embed(
            title=t(locale, "moderation.incidents_title"),
            description="\n".join(lines) or t(locale, "moderation.incidents_none"),
            colour=discord.Colour.orange(),
        )
        embed.set_footer(text=t(locale, "moderation.page", page=page + 1, pages=pages, total=total))
        view = ui.View(timeout=None)
        for target, key in ((page - 1, "moderation.previous"), (page + 1, "moderation.next")):
            if 0 <= target < pages:
                label = t(locale, key)
                view.add_item(IncidentsPageButton(target, status or "", member or 0, label=label))
        return embed, view

    async def block(
        self, interaction: discord.Interaction, member_id: int, duration: str, reason: str
    ) -> str:
        await self.require_moderator(interaction)
        assert interaction.guild_id is not None
        block = await self.moderation.block(
            interaction.guild_id, member_id, interaction.user.id, duration, reason
        )
        locale = locale_of(interaction)
        return t(
            locale,
            "moderation.block_done",
            member=f"<@{member_id}>",
            until=block_end(block, locale),
        )

    async def unblock(self, interaction: discord.Interaction, member_id: int) -> str:
        await self.require_moderator(interaction)
        assert interaction.guild_id is not None
        lifted = await self.moderation.unblock(interaction.guild_id, member_id, interaction.user.id)
        key = "moderation.unblock_done" if lifted else "moderation.unblock_none"
        return say(interaction, key, member=f"<@{member_id}>")

    async def history(self, interaction: discord.Interaction, member_id: int) -> discord.Embed:
        await self.require_moderator(interaction)
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        locale = locale_of(interaction)
        entries = await self.store.audit_for(guild_id, member_id)
        block = await self.store.active_block(guild_id, member_id)
        count = await self.store.count_incidents(guild_id, user_id=member_id)
        lines = []
        for entry in entries:
            actor = f"<@{entry.actor_id}>" if entry.actor_id else t(locale, "moderation.automatic")
            line = (
                f"<t:{int(entry.created_at)}:f> · {t(locale, f'moderation.action.{entry.action}')}"
                f" · {actor}"
            )
            if entry.incident_id:
                line += f" · #{entry.incident_id}"
            if entry.reason:
                line += f" · {plain(entry.reason, 200)}"
            lines.append(line)
        embed = discord.Embed(
            title=t(locale, "moderation.history_title"),
            description=f"<@{member_id}>\n"
            + ("\n".join(lines) or t(locale, "moderation.history_none")),
            colour=discord.Colour.orange(),
        )
        embed.add_field(name=t(locale, "moderation.field_incidents"), value=str(count))
        embed.add_field(
            name=t(locale, "moderation.field_block_ends"),
            value=block_end(block, locale) if block else t(locale, "moderation.not_blocked"),
        )
        return embed

    async def settings(
        self, interaction: discord.Interaction, changes: dict[str, Any], clear: str | None
    ) -> discord.Embed:
        """`/settings moderation`: change what was given, then show the whole setting."""
        if interaction.guild_id is None:
            raise Refusal("error.guild_only")
        if not interaction.permissions.manage_guild:
            raise Refusal("error.not_allowed")
        guild_id = interaction.guild_id
        values = {k: v for k, v in changes.items() if v is not None}
        if "blocked_words" in values:
            values["blocked_words"] = parse_words(values["blocked_words"])
        if clear:
            values.update(_CLEARED[clear])
        if values:
            await self.store.save_settings(guild_id, **values)
            await self.store.audit(
                guild_id,
                interaction.user.id,
                AuditAction.SETTINGS,
                reason=", ".join(sorted(values)),
            )
        return settings_embed(await self.store.settings(guild_id), locale_of(interaction))


_CLEARED: dict[str, dict[str, Any]] = {
    "log_channel": {"log_channel_id": None},
    "moderator_role": {"moderator_role_id": None},
    "blocked_words": {"blocked_words": ()},
    "warning_text": {"warning_text": None},
    "auto_block": {"auto_block_count": 0},
}


def settings_embed(settings: ModerationSettings, locale: str) -> discord.Embed:
    none = t(locale, "moderation.none")
    embed = discord.Embed(
        title=t(locale, "moderation.settings_title"), colour=discord.Colour.orange()
    )
    rows = [
        (
            "moderation.field_log_channel",
            f"<#{settings.log_channel_id}>" if settings.log_channel_id else none,
        ),
        (
            "moderation.field_moderator_role",
            f"<@&{settings.moderator_role_id}>" if settings.moderator_role_id else none,
        ),
        ("moderation.field_blocked_words", plain(", ".join(settings.blocked_words), 1000) or none),
        ("moderation.field_warning_text", plain(settings.warning_text, 1000) or none),
        (
            "moderation.field_auto_block",
            t(
                locale,
                "moderation.auto_block_on",
                count=settings.auto_block_count,
                days=settings.auto_block_days,
            )
            if settings.auto_block_count
            else t(locale, "moderation.auto_block_off"),
        ),
    ]
    for key, value in rows:
        embed.add_field(name=t(locale, key), value=value, inline=False)
    return embed


BLOCK_DURATIONS = tuple(DURATIONS)
