"""What the moderation commands and buttons do in Discord: the moderation service decides
(who moderates, what may be decided), this class draws the answers, edits the log
channel's posts and sends warnings. Each button calls one method here by name."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import discord
from discord import ui

from ..moderation.models import AuditAction, AuditEntry, IncidentStatus
from ..rules.server_settings import ServerSettings
from ..services.members import Member
from ..services.moderation import ModerationService
from ..storage.jobs import JobStore
from ..text.formatting import plain
from ..text.i18n import t
from .errors import answers_errors
from .interactions import guild_locale_of, member_of, say
from .mod_buttons import IncidentsPageButton, block_end
from .mod_render import (
    appeal_embed,
    appeals_page,
    decision_text,
    incident_embed,
    review_embed,
    spoiler,
)
from .modlog import ModerationLog

log = logging.getLogger(__name__)

CANNOT_DM = 50007
DmOpener = Callable[[int], Awaitable[discord.abc.Messageable]]

INCIDENT_STATUSES = {
    IncidentStatus.OPEN: "moderation.status.open",
    IncidentStatus.DISMISSED: "moderation.status.dismissed",
    IncidentStatus.WARNED: "moderation.status.warned",
    IncidentStatus.BLOCKED: "moderation.status.blocked",
}
AUDIT_ACTIONS = {
    AuditAction.DISMISS: "moderation.action.dismiss",
    AuditAction.WARN: "moderation.action.warn",
    AuditAction.BLOCK: "moderation.action.block",
    AuditAction.AUTO_BLOCK: "moderation.action.auto_block",
    AuditAction.UNBLOCK: "moderation.action.unblock",
    AuditAction.APPEAL: "moderation.action.appeal",
    AuditAction.APPEAL_ACCEPTED: "moderation.action.appeal_accepted",
    AuditAction.APPEAL_REJECTED: "moderation.action.appeal_rejected",
    AuditAction.SETTINGS: "moderation.action.settings",
    AuditAction.RESULT_APPROVED: "moderation.action.result_approved",
    AuditAction.RESULT_REJECTED: "moderation.action.result_rejected",
}


class ModerationActions:
    def __init__(
        self,
        *,
        moderation: ModerationService,
        modlog: ModerationLog,
        dm: DmOpener,
        jobs: JobStore,
        track: Callable[[int], None],
    ) -> None:
        self.moderation = moderation
        self.modlog = modlog
        self._dm = dm
        self.jobs = jobs  # read only: a held result's job, to draw its post again
        self._track = track  # the tracker takes a decided batch on from there

    # -- buttons in the log channel --------------------------------------------------------

    @answers_errors
    async def decide(self, interaction: discord.Interaction, incident_id: int, action: str) -> None:
        member = member_of(interaction)
        decision = await self.moderation.decide(member, incident_id, action)
        # The log channel is the server's: it speaks the server's language.
        locale = guild_locale_of(interaction)
        text = decision_text(locale, action, member.user_id, decision.incident.reviewed_at or 0)
        await interaction.response.edit_message(
            embed=incident_embed(decision.incident, locale, text), view=None
        )
        if decision.action is AuditAction.WARN:
            guild = interaction.guild.name if interaction.guild else ""
            warning = decision.warning or t(locale, "moderation.warning_default", server=guild)
            delivered = await self.send_warning(
                member.guild_id, decision.incident.user_id, guild, warning
            )
            key = "moderation.warned_dm" if delivered else "moderation.warned_later"
            await interaction.followup.send(say(interaction, key), ephemeral=True)

    @answers_errors
    async def decide_held(
        self, interaction: discord.Interaction, job_id: int, approve: bool
    ) -> None:
        """Approve / Reject on a held result's post: the decision is recorded (once), the
        post shows it without its buttons (the files stay), and the tracker posts the
        result where it was asked, or tells the member it was not approved."""
        member = member_of(interaction)
        hold = await self.moderation.decide_held(member, job_id, approve=approve)
        locale = guild_locale_of(interaction)
        action = "approve" if approve else "reject"
        text = decision_text(locale, action, member.user_id, hold.decided_at or 0)
        job = await self.jobs.get(job_id)
        try:
            if job is not None:
                embed = review_embed(job, locale, text)
                await interaction.response.edit_message(embed=embed, view=None)
        finally:
            # Recorded: whatever became of the post, the decision is carried out.
            self._track(job_id)

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

    @answers_errors
    async def appeal(self, interaction: discord.Interaction, block_id: int) -> None:
        appealed = await self.moderation.appeal(member_of(interaction), block_id)
        # Recorded: the post goes out in the background, tried again through Discord's
        # errors, and whatever becomes of it the member is told once, and never otherwise.
        self.modlog.show_appeal(appealed.appeal)
        key = "moderation.appeal_sent" if appealed.new else "moderation.appeal_waiting"
        try:
            await interaction.response.send_message(say(interaction, key), ephemeral=True)
        except discord.HTTPException:
            log.warning("appeal %d: the member could not be told it was sent", appealed.appeal.id)

    @answers_errors
    async def decide_appeal(
        self, interaction: discord.Interaction, appeal_id: int, accept: bool
    ) -> None:
        """Lift / Keep on the appeal's post in the log channel."""
        member = member_of(interaction)
        appeal, block = await self.moderation.decide_appeal(member, appeal_id, accept=accept)
        locale = guild_locale_of(interaction)
        action = "lift" if accept else "keep"
        text = decision_text(locale, action, member.user_id, appeal.decided_at or 0)
        await interaction.response.edit_message(
            embed=appeal_embed(appeal, block, locale, text), view=None
        )

    @answers_errors
    async def decide_listed_appeal(
        self, interaction: discord.Interaction, appeal_id: int, accept: bool, page: int, status: str
    ) -> None:
        """Lift / Keep on `/moderation appeals`: the page is drawn again with the decision,
        and the appeal's post in the log channel (if any) shows it too."""
        member = member_of(interaction)
        appeal, _ = await self.moderation.decide_appeal(member, appeal_id, accept=accept)
        self.modlog.show_appeal(appeal)
        decision = decision_text(
            member.locale, "lift" if accept else "keep", member.user_id, appeal.decided_at or 0
        )
        note = t(
            member.locale, "moderation.appeal_decided_note", appeal=appeal.id, decision=decision
        )
        embed, view = await self.appeals(member, page, status or None)
        await interaction.response.edit_message(content=note, embed=embed, view=view)

    @answers_errors
    async def appeals_page(self, interaction: discord.Interaction, page: int, status: str) -> None:
        embed, view = await self.appeals(member_of(interaction), page, status or None)
        await interaction.response.edit_message(content=None, embed=embed, view=view)

    async def appeals(
        self, member: Member, page: int, status: str | None
    ) -> tuple[discord.Embed, ui.View]:
        found = await self.moderation.appeals(member, page, status)
        return appeals_page(
            found.appeals, found.page, found.pages, found.total, status, member.locale
        )

    @answers_errors
    async def incidents_page(
        self, interaction: discord.Interaction, page: int, status: str, member: int
    ) -> None:
        embed, view = await self.incidents(
            member_of(interaction), page, status or None, member or None
        )
        await interaction.response.edit_message(embed=embed, view=view)

    # -- commands --------------------------------------------------------------------------

    async def incidents(
        self, member: Member, page: int, status: str | None, user_id: int | None
    ) -> tuple[discord.Embed, ui.View]:
        locale = member.locale
        found = await self.moderation.incidents(member, page, status, user_id)
        lines = []
        for incident in found.incidents:
            state = t(locale, INCIDENT_STATUSES[incident.status])
            prompt = spoiler(incident.prompt, 80) or "—"
            repeated = f" ×{incident.attempts}" if incident.attempts > 1 else ""
            lines.append(
                f"**#{incident.id}** · {state} · <t:{int(incident.created_at)}:R> · "
                f"<@{incident.user_id}> · `{incident.code}`{repeated} · {prompt}"
            )
        embed = discord.Embed(
            title=t(locale, "moderation.incidents_title"),
            description="\n".join(lines) or t(locale, "moderation.incidents_none"),
            colour=discord.Colour.orange(),
        )
        page, pages = found.page, found.pages
        embed.set_footer(
            text=t(locale, "moderation.page", page=page + 1, pages=pages, total=found.total)
        )
        view = ui.View(timeout=None)
        for target, key in ((page - 1, "moderation.previous"), (page + 1, "moderation.next")):
            if 0 <= target < pages:
                label = t(locale, key)
                view.add_item(IncidentsPageButton(target, status or "", user_id or 0, label=label))
        return embed, view

    async def block(self, member: Member, user_id: int, duration: str, reason: str) -> str:
        block = await self.moderation.block(member, user_id, duration, reason)
        return t(
            member.locale,
            "moderation.block_done",
            member=f"<@{user_id}>",
            until=block_end(block, member.locale),
        )

    async def unblock(self, member: Member, user_id: int) -> str:
        lifted = await self.moderation.unblock(member, user_id)
        key = "moderation.unblock_done" if lifted else "moderation.unblock_none"
        return t(member.locale, key, member=f"<@{user_id}>")

    async def history(self, member: Member, user_id: int) -> discord.Embed:
        locale = member.locale
        record = await self.moderation.record(member, user_id)
        embed = discord.Embed(
            title=t(locale, "moderation.history_title"),
            description=f"<@{user_id}>\n"
            + (
                "\n".join(_audit_line(e, locale) for e in record.entries)
                or t(locale, "moderation.history_none")
            ),
            colour=discord.Colour.orange(),
        )
        embed.add_field(name=t(locale, "moderation.field_incidents"), value=str(record.incidents))
        embed.add_field(
            name=t(locale, "moderation.field_block_ends"),
            value=(
                block_end(record.block, locale)
                if record.block
                else t(locale, "moderation.not_blocked")
            ),
        )
        return embed


def _audit_line(entry: AuditEntry, locale: str) -> str:
    actor = f"<@{entry.actor_id}>" if entry.actor_id else t(locale, "moderation.automatic")
    line = f"<t:{int(entry.created_at)}:f> · {t(locale, AUDIT_ACTIONS[AuditAction(entry.action)])}"
    line += f" · {actor}"
    if entry.incident_id:
        line += f" · #{entry.incident_id}"
    if entry.reason:
        line += f" · {plain(entry.reason, 200)}"
    return line


def moderation_settings_embed(settings: ServerSettings, locale: str) -> discord.Embed:
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
        ("probation.field_probation", _probation_shown(settings, locale)),
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


def _probation_shown(settings: ServerSettings, locale: str) -> str:
    parts = []
    if settings.probation_role_id is not None:
        parts.append(t(locale, "probation.by_role", role=f"<@&{settings.probation_role_id}>"))
    if settings.probation_days:
        parts.append(t(locale, "probation.by_days", days=settings.probation_days))
    return "\n".join(parts) or t(locale, "moderation.auto_block_off")
