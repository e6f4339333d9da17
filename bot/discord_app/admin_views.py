"""How settings, quotas and usage look in Discord: embeds in the reader's language."""

from __future__ import annotations

import discord

from ..reports.usage import UsageReport
from ..rules.budgets import BudgetLine
from ..rules.quotas import QuotaReport
from ..rules.server_settings import ServerSettings
from ..text.i18n import t
from .budget_views import budget_lines, budget_settings

COLOUR = discord.Colour.blurple()

# The settings `/settings show` lists, each by its name's key, in three parts: limits,
# video limits and the others (channels and overrides follow).
SETTING_NAMES = {
    "daily_per_user": "admin.name.daily_per_user",
    "daily_server": "admin.name.daily_server",
    "monthly_server": "admin.name.monthly_server",
    "running_per_user": "admin.name.running_per_user",
    "queued_per_user": "admin.name.queued_per_user",
    "cooldown_seconds": "admin.name.cooldown_seconds",
    "daily_video_per_user": "admin.name.daily_video_per_user",
    "daily_video_server": "admin.name.daily_video_server",
    "monthly_video_server": "admin.name.monthly_video_server",
    "tools_daily_per_user": "admin.name.tools_daily_per_user",
    "timezone": "admin.name.timezone",
    "buttons": "admin.name.buttons",
    "models": "admin.name.models",
    "default_model": "admin.name.default_model",
    "default_size": "admin.name.default_size",
    "video_models": "admin.name.video_models",
    "video_default_model": "admin.name.video_default_model",
    "ai_mark": "admin.name.ai_mark",
    "spoiler_channels": "admin.name.spoiler_channels",
}
LIMITS = (
    "daily_per_user",
    "daily_server",
    "monthly_server",
    "running_per_user",
    "queued_per_user",
    "cooldown_seconds",
    "tools_daily_per_user",
)
VIDEO_LIMITS = ("daily_video_per_user", "daily_video_server", "monthly_video_server")
OTHERS = (
    "timezone",
    "buttons",
    "models",
    "default_model",
    "default_size",
    "video_models",
    "video_default_model",
    "ai_mark",
    "spoiler_channels",
)
SOURCES = {
    "server": "admin.source.server",
    "default": "admin.source.default",
    "role": "admin.source.role",
    "user": "admin.source.user",
}
BUTTON_RULES = {"anyone": "admin.value.anyone", "owner": "admin.value.owner"}
IMAGE_QUOTAS = ("daily_per_user", "daily_server", "monthly_server", "tools_daily_per_user")


def channel_list(locale: str, channels: frozenset[int]) -> str:
    if not channels:
        return t(locale, "admin.channels.everywhere")
    return ", ".join(f"<#{c}>" for c in sorted(channels))


def _value(locale: str, server: ServerSettings, name: str) -> str:
    value = server.value(name)
    if name in LIMITS or name in VIDEO_LIMITS:
        return t(locale, "admin.value.unlimited") if value == 0 else f"{value:,}"
    if name == "buttons":
        return t(locale, BUTTON_RULES[value])
    if name in ("models", "video_models"):
        return ", ".join(value) if value else t(locale, "admin.value.all_models")
    if name == "ai_mark":
        return t(locale, "common.yes") if value else t(locale, "admin.value.off")
    if name == "spoiler_channels":
        return ", ".join(f"<#{c}>" for c in value) or t(locale, "admin.value.off")
    if name == "default_size" and not value:
        return t(locale, "admin.value.model_default")
    return discord.utils.escape_markdown(str(value))


def _line(locale: str, server: ServerSettings, name: str) -> str:
    return t(
        locale,
        "admin.settings.line",
        name=t(locale, SETTING_NAMES[name]),
        value=_value(locale, server, name),
        source=t(locale, SOURCES[server.source(name)]),
    )


def settings_embed(locale: str, server: ServerSettings, currency: str) -> discord.Embed:
    embed = discord.Embed(title=t(locale, "admin.settings.title"), colour=COLOUR)
    embed.add_field(
        name=t(locale, "admin.settings.limits"),
        value="\n".join(_line(locale, server, n) for n in LIMITS),
        inline=False,
    )
    embed.add_field(
        name=t(locale, "admin.settings.video_limits"),
        value="\n".join(_line(locale, server, n) for n in VIDEO_LIMITS),
        inline=False,
    )
    other = [_line(locale, server, n) for n in OTHERS]
    source = "server" if server.channels else "default"
    other.append(
        t(
            locale,
            "admin.settings.line",
            name=t(locale, "admin.name.channels"),
            value=channel_list(locale, server.channels),
            source=t(locale, SOURCES[source]),
        )
    )
    embed.add_field(name=t(locale, "admin.settings.other"), value="\n".join(other), inline=False)
    overrides = [
        f"<@&{role}>: {n or t(locale, 'admin.value.unlimited')}"
        for role, n in sorted(server.role_limits.items())
    ]
    overrides += [
        f"<@{user}>: {n or t(locale, 'admin.value.unlimited')}"
        for user, n in sorted(server.user_limits.items())
    ]
    embed.add_field(
        name=t(locale, "admin.settings.overrides"),
        value="\n".join(overrides)[:1024] or t(locale, "admin.settings.no_overrides"),
        inline=False,
    )
    embed.add_field(
        name=t(locale, "budget.settings.title"), value=budget_settings(locale, server, currency)
    )
    embed.set_footer(text=t(locale, "admin.settings.footer"))
    return embed


def quota_embed(locale: str, report: QuotaReport, now: float) -> discord.Embed:
    embed = discord.Embed(title=t(locale, "admin.quota.title"), colour=COLOUR)
    for title, names in (
        ("admin.quota.images", IMAGE_QUOTAS),
        ("admin.quota.videos", VIDEO_LIMITS),
    ):
        lines = []
        for line in (q for q in report.lines if q.name in names):
            name = t(locale, SETTING_NAMES[line.name])
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


def usage_embed(
    locale: str,
    report: UsageReport,
    days: int,
    chart_name: str,
    budgets: list[BudgetLine] | None = None,
    currency: str = "¥",
) -> discord.Embed:
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
    if report.tools:
        tools = t(locale, "admin.usage.tools", tools=report.tools)
        embed.description = f"{embed.description}\n{tools}"
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
    standing = "\n".join(budget_lines(locale, budgets or [], currency))
    embed.add_field(
        name=t(locale, "budget.usage.title"),
        value=standing or t(locale, "budget.usage.none"),
        inline=False,
    )
    embed.set_image(url=f"attachment://{chart_name}")
    return embed
