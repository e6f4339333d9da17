"""How settings, quotas and usage look in Discord: embeds in the reader's language."""

from __future__ import annotations

import discord

from ..reports.usage import UsageReport
from ..rules.guild_settings import IMAGE_LIMITS, LIMITS, VIDEO_LIMITS, GuildSettings
from ..rules.quotas import QuotaReport
from ..text.i18n import t

COLOUR = discord.Colour.blurple()


def channel_list(locale: str, channels: frozenset[int]) -> str:
    if not channels:
        return t(locale, "admin.channels.everywhere")
    return ", ".join(f"<#{c}>" for c in sorted(channels))


def _value(locale: str, guild: GuildSettings, name: str) -> str:
    value = guild.get(name)
    if name in LIMITS:
        return t(locale, "admin.value.unlimited") if value == 0 else f"{value:,}"
    if name == "buttons":
        return t(locale, f"admin.value.{value}")
    if name == "models":
        return ", ".join(value) if value else t(locale, "admin.value.all_models")
    if name == "default_size" and not value:
        return t(locale, "admin.value.model_default")
    return discord.utils.escape_markdown(str(value))


def _line(locale: str, guild: GuildSettings, name: str) -> str:
    return t(
        locale,
        "admin.settings.line",
        name=t(locale, f"admin.name.{name}"),
        value=_value(locale, guild, name),
        source=t(locale, f"admin.source.{guild.source(name)}"),
    )


def settings_embed(locale: str, guild: GuildSettings) -> discord.Embed:
    embed = discord.Embed(title=t(locale, "admin.settings.title"), colour=COLOUR)
    plain = [n for n in LIMITS if n not in VIDEO_LIMITS]
    embed.add_field(
        name=t(locale, "admin.settings.limits"),
        value="\n".join(_line(locale, guild, n) for n in plain),
        inline=False,
    )
    embed.add_field(
        name=t(locale, "admin.settings.video_limits"),
        value="\n".join(_line(locale, guild, n) for n in VIDEO_LIMITS),
        inline=False,
    )
    other = [
        _line(locale, guild, n)
        for n in ("timezone", "buttons", "models", "default_model", "default_size")
    ]
    source = "server" if guild.channels else "default"
    other.append(
        t(
            locale,
            "admin.settings.line",
            name=t(locale, "admin.name.channels"),
            value=channel_list(locale, guild.channels),
            source=t(locale, f"admin.source.{source}"),
        )
    )
    embed.add_field(name=t(locale, "admin.settings.other"), value="\n".join(other), inline=False)
    overrides = [
        f"<@&{role}>: {n or t(locale, 'admin.value.unlimited')}"
        for role, n in sorted(guild.role_limits.items())
    ]
    overrides += [
        f"<@{user}>: {n or t(locale, 'admin.value.unlimited')}"
        for user, n in sorted(guild.user_limits.items())
    ]
    embed.add_field(
        name=t(locale, "admin.settings.overrides"),
        value="\n".join(overrides)[:1024] or t(locale, "admin.settings.no_overrides"),
        inline=False,
    )
    embed.set_footer(text=t(locale, "admin.settings.footer"))
    return embed


def quota_embed(locale: str, report: QuotaReport, now: float) -> discord.Embed:
    embed = discord.Embed(title=t(locale, "admin.quota.title"), colour=COLOUR)
    for title, names in (
        ("admin.quota.images", IMAGE_LIMITS),
        ("admin.quota.videos", VIDEO_LIMITS),
    ):
        lines = []
        for line in (q for q in report.lines if q.name in names):
            name = t(locale, f"admin.name.{line.name}")
            if line.limit == 0:
                lines.append(t(locale, "admin.quota.unlimited_line", name=name, used=line.used))
            else:
                lines.append(
                    t(
                        locale,
                        "admin.quota.line",
                        name=name,
                        used=line.used,
                        left=line.left,
                        limit=line.limit,
                        reset=int(line.resets_at),
                    )
                )
        embed.add_field(name=t(locale, title), value="\n".join(lines), inline=False)
    if report.cooldown_left > 0:
        cooldown = t(locale, "admin.quota.cooldown", reset=int(now + report.cooldown_left + 0.999))
    else:
        cooldown = t(locale, "admin.quota.no_cooldown")
    embed.description = cooldown
    return embed


def usage_embed(locale: str, report: UsageReport, days: int, chart_name: str) -> discord.Embed:
    embed = discord.Embed(
        title=t(locale, "admin.usage.title", days=days),
        colour=COLOUR,
        description=t(
            locale,
            "admin.usage.totals",
            images=report.images,
            videos=report.videos,
            failures=report.failures,
            moderation=report.moderation,
        ),
    )
    none = t(locale, "admin.usage.none")
    models = "\n".join(f"{discord.utils.escape_markdown(m)}: {n}" for m, n in report.by_model)
    embed.add_field(name=t(locale, "admin.usage.models"), value=models or none, inline=True)
    users = "\n".join(f"<@{u}>: {n}" for u, n in report.top_users)
    embed.add_field(name=t(locale, "admin.usage.users"), value=users or none, inline=True)
    if report.cost is not None:
        cost = t(locale, "admin.usage.cost_value", cost=f"{report.cost:,.2f}")
    else:
        cost = t(locale, "admin.usage.cost_unknown", models=", ".join(report.unpriced))
    embed.add_field(name=t(locale, "admin.usage.cost"), value=cost, inline=False)
    embed.set_image(url=f"attachment://{chart_name}")
    return embed
