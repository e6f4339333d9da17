"""`/settings`: a server's limits, quotas, channels, models and time zone, set from Discord.

Discord hides the group from members without Manage Server by default, but a server can
override that, so every subcommand checks the permission again when it runs.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.config.tunables import Tunables
from bot.discord_app.admin_views import channel_list, settings_embed
from bot.discord_app.errors import locale_of, say
from bot.discord_app.frontend import FrontEnd
from bot.discord_app.permissions import require_manage_guild
from bot.refusal import Refusal
from bot.refusal import Refusal as RuleRefusal
from bot.rules.guild_settings import BUTTONS, LIMITS, check_limit, check_timezone
from bot.rules.settings_store import SettingsStore

CLEAR_CHOICES = [
    app_commands.Choice(name="Log channel", value="log_channel"),
    app_commands.Choice(name="Moderator role", value="moderator_role"),
    app_commands.Choice(name="Blocked words", value="blocked_words"),
    app_commands.Choice(name="Warning text", value="warning_text"),
    app_commands.Choice(name="Automatic block", value="auto_block"),
]

BUTTON_CHOICES = [
    app_commands.Choice(name="Anyone", value="anyone"),
    app_commands.Choice(name="Only the person who asked", value="owner"),
]


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Settings(commands.GroupCog, group_name="settings", group_description="Server settings"):
    channels = app_commands.Group(name="channels", description="Where /imagine may be used")

    def __init__(
        self, store: SettingsStore | None, tunables: Tunables, frontend: FrontEnd | None
    ) -> None:
        self.store = store
        self.tunables = tunables
        self.frontend = frontend
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        # Autocomplete only suggests; it needs no permission.
        if interaction.type is not discord.InteractionType.autocomplete:
            require_manage_guild(interaction)
        return True

    def _store(self) -> SettingsStore:
        assert self.store is not None
        return self.store

    async def _saved(
        self, interaction: discord.Interaction, key: str = "admin.saved", **params: Any
    ) -> None:
        await interaction.response.send_message(say(interaction, key, **params), ephemeral=True)

    @app_commands.command(
        name="show", description="Every setting of this server and where it comes from"
    )
    async def show(self, interaction: discord.Interaction) -> None:
        """Every setting of this server and where it comes from."""
        assert interaction.guild_id is not None
        guild = self._store().get(interaction.guild_id)
        await interaction.response.send_message(
            embed=settings_embed(locale_of(interaction), guild), ephemeral=True
        )

    @app_commands.command(name="limits", description="Set limits; 0 means no limit")
    @app_commands.describe(
        daily_per_user="Images a member may generate per day",
        daily_server="Images the whole server may generate per day",
        monthly_server="Images the whole server may generate per month",
        running_per_user="Jobs of one member running at once",
        queued_per_user="Jobs of one member waiting in the queue",
        cooldown_seconds="Seconds a member waits between two asks",
        daily_video_per_user="Videos a member may generate per day",
        daily_video_server="Videos the whole server may generate per day",
        monthly_video_server="Videos the whole server may generate per month",
    )
    async def limits(
        self,
        interaction: discord.Interaction,
        daily_per_user: int | None = None,
        daily_server: int | None = None,
        monthly_server: int | None = None,
        running_per_user: int | None = None,
        queued_per_user: int | None = None,
        cooldown_seconds: int | None = None,
        daily_video_per_user: int | None = None,
        daily_video_server: int | None = None,
        monthly_video_server: int | None = None,
    ) -> None:
        """Set limits; 0 means no limit."""
        assert interaction.guild_id is not None
        asked = {
            "daily_per_user": daily_per_user,
            "daily_server": daily_server,
            "monthly_server": monthly_server,
            "running_per_user": running_per_user,
            "queued_per_user": queued_per_user,
            "cooldown_seconds": cooldown_seconds,
            "daily_video_per_user": daily_video_per_user,
            "daily_video_server": daily_video_server,
            "monthly_video_server": monthly_video_server,
        }
        assert asked.keys() == set(LIMITS)
        given = {name: value for name, value in asked.items() if value is not None}
        if not given:
            await self._saved(interaction, "admin.nothing_given")
            return
        for name, value in given.items():
            check_limit(name, value)  # all checked before anything is written
        guild = await self._store().set_values(interaction.guild_id, given)
        await interaction.response.send_message(
            say(interaction, "admin.saved"),
            embed=settings_embed(locale_of(interaction), guild),
            ephemeral=True,
        )

    @app_commands.command(
        name="role-limit", description="A daily image limit for members with a role"
    )
    @app_commands.describe(
        role="The role",
        daily_per_user="Images per day for its members (the highest of a member's roles applies)",
        remove="Remove this role's own limit",
    )
    async def role_limit(
        self,
        interaction: discord.Interaction,
        role: discord.Role,
        daily_per_user: int | None = None,
        remove: bool = False,
    ) -> None:
        """A daily image limit for members with a role."""
        assert interaction.guild_id is not None
        if role.guild.id != interaction.guild_id:
            raise Refusal("admin.refused.foreign_role")
        if remove:
            await self._store().set_role_limit(interaction.guild_id, role.id, None)
            await self._saved(interaction, "admin.role_limit.removed", role=role.mention)
            return
        if daily_per_user is None:
            raise Refusal("admin.refused.limit_or_remove")
        check_limit("daily_per_user", daily_per_user)
        await self._store().set_role_limit(interaction.guild_id, role.id, daily_per_user)
        await self._saved(
            interaction, "admin.role_limit.set", role=role.mention, limit=daily_per_user
        )

    @app_commands.command(
        name="user-limit", description="A daily image limit for one member, above their roles'"
    )
    @app_commands.describe(
        user="The member",
        daily_per_user="Images per day for this member",
        remove="Remove this member's own limit",
    )
    async def user_limit(
        self,
        interaction: discord.Interaction,
        user: discord.User,
        daily_per_user: int | None = None,
        remove: bool = False,
    ) -> None:
        """A daily image limit for one member, above their roles'."""
        assert interaction.guild_id is not None
        if remove:
            await self._store().set_user_limit(interaction.guild_id, user.id, None)
            await self._saved(interaction, "admin.user_limit.removed", user=user.mention)
            return
        if daily_per_user is None:
            raise Refusal("admin.refused.limit_or_remove")
        check_limit("daily_per_user", daily_per_user)
        await self._store().set_user_limit(interaction.guild_id, user.id, daily_per_user)
        await self._saved(
            interaction, "admin.user_limit.set", user=user.mention, limit=daily_per_user
        )

    async def _set_channel(
        self, interaction: discord.Interaction, channel: Any, allowed: bool
    ) -> None:
        assert interaction.guild_id is not None
        # A resolved option carries `guild_id`; a cached channel its `guild`.
        where = getattr(channel, "guild_id", None) or getattr(channel.guild, "id", None)
        if where != interaction.guild_id:
            raise Refusal("admin.refused.foreign_channel")
        await self._store().set_channel(interaction.guild_id, channel.id, allowed)
        allowed_now = channel_list(
            locale_of(interaction), self._store().get(interaction.guild_id).channels
        )
        key = "admin.channels.added" if allowed else "admin.channels.removed"
        await self._saved(interaction, key, channel=channel.mention, channels=allowed_now)

    @channels.command(name="add", description="Allow /imagine in a channel (none set: everywhere)")
    @app_commands.describe(channel="The channel")
    async def channels_add(
        self, interaction: discord.Interaction, channel: discord.TextChannel
    ) -> None:
        """Allow /imagine in a channel (none set: everywhere)."""
        await self._set_channel(interaction, channel, True)

    @channels.command(name="remove", description="Stop allowing /imagine in a channel")
    @app_commands.describe(channel="The channel")
    async def channels_remove(
        self, interaction: discord.Interaction, channel: discord.TextChannel
    ) -> None:
        """Stop allowing /imagine in a channel."""
        await self._set_channel(interaction, channel, False)

    @app_commands.command(
        name="models", description="Which models this server allows, its default model and size"
    )
    @app_commands.describe(
        allowed="Model names separated by commas, or 'all'",
        default_model="The model used when none is chosen",
        default_size="The size used when none is chosen (WIDTHxHEIGHT, or 'model')",
    )
    async def models(
        self,
        interaction: discord.Interaction,
        allowed: str | None = None,
        default_model: str | None = None,
        default_size: str | None = None,
    ) -> None:
        """Which models this server allows, its default model and size."""
        assert interaction.guild_id is not None
        catalogue = self.tunables.models
        current = self._store().get(interaction.guild_id)
        changes: dict[str, Any] = {}
        chosen = sorted(current.models)
        if allowed is not None:
            names = [n.strip() for n in allowed.split(",") if n.strip()]
            if [n.lower() for n in names] == ["all"]:
                chosen = []
            else:
                chosen = sorted({self._model(n) for n in names})
            changes["models"] = chosen or None
        model = current.get("default_model")
        if default_model is not None:
            model = self._model(default_model)
            changes["default_model"] = model
        if chosen and model not in chosen:
            raise Refusal("admin.refused.default_not_allowed", model=model)
        if default_size is not None:
            if default_size.lower() == "model":
                changes["default_size"] = None
            else:
                spec = catalogue[model]
                if default_size not in spec.sizes:
                    raise Refusal(
                        "admin.refused.unknown_size",
                        size=discord.utils.escape_markdown(default_size),
                        model=model,
                        sizes=", ".join(spec.sizes) or "-",
                    )
                changes["default_size"] = default_size
        if not changes:
            await self._saved(interaction, "admin.nothing_given")
            return
        guild = await self._store().set_values(interaction.guild_id, changes)
        await interaction.response.send_message(
            say(interaction, "admin.saved"),
            embed=settings_embed(locale_of(interaction), guild),
            ephemeral=True,
        )

    def _model(self, name: str) -> str:
        for known in self.tunables.models:
            if known.lower() == name.strip().lower():
                return known
        raise Refusal(
            "admin.refused.unknown_model",
            model=discord.utils.escape_markdown(name),
            known=", ".join(self.tunables.models),
        )

    @models.autocomplete("default_model")
    async def model_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=name, value=name)
            for name in self.tunables.models
            if current.lower() in name.lower()
        ][:25]

    @app_commands.command(
        name="buttons", description="Who may press Re-roll and Vary on someone else's result"
    )
    @app_commands.describe(who="Anyone, or only the person who asked")
    @app_commands.choices(who=BUTTON_CHOICES)
    async def buttons(
        self, interaction: discord.Interaction, who: app_commands.Choice[str]
    ) -> None:
        """Who may press Re-roll and Vary on someone else's result."""
        assert interaction.guild_id is not None and who.value in BUTTONS
        await self._store().set_values(interaction.guild_id, {"buttons": who.value})
        await self._saved(interaction)

    @app_commands.command(
        name="moderation", description="Log channel, moderators, blocked words, warnings"
    )
    @app_commands.describe(
        log_channel="Where incidents and appeals are posted",
        moderator_role="A role whose members moderate (Manage Messages always does)",
        blocked_words="Words refused before anything is generated, separated by commas",
        warning_text="What a warned member is sent",
        auto_block_incidents="Block a member automatically after this many incidents (0: never)",
        auto_block_days="…within this many days",
        clear="Remove one of these settings",
    )
    @app_commands.choices(clear=CLEAR_CHOICES)
    async def moderation(
        self,
        interaction: discord.Interaction,
        log_channel: discord.TextChannel | None = None,
        moderator_role: discord.Role | None = None,
        blocked_words: app_commands.Range[str, 1, 1000] | None = None,
        warning_text: app_commands.Range[str, 1, 1500] | None = None,
        auto_block_incidents: app_commands.Range[int, 0, 100] | None = None,
        auto_block_days: app_commands.Range[int, 1, 365] | None = None,
        clear: app_commands.Choice[str] | None = None,
    ) -> None:
        """Log channel, moderators, blocked words, warnings."""
        assert self.frontend is not None
        embed = await self.frontend.moderation_actions.settings(
            interaction,
            {
                "log_channel_id": log_channel.id if log_channel else None,
                "moderator_role_id": moderator_role.id if moderator_role else None,
                "blocked_words": blocked_words,
                "warning_text": warning_text,
                "auto_block_count": auto_block_incidents,
                "auto_block_days": auto_block_days,
            },
            clear.value if clear else None,
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="timezone", description="The time zone where days and months reset")
    @app_commands.describe(name="An IANA name such as Asia/Shanghai")
    async def timezone(self, interaction: discord.Interaction, name: str) -> None:
        """The time zone where days and months reset."""
        assert interaction.guild_id is not None
        try:
            check_timezone(name.strip())
        except RuleRefusal:
            raise Refusal("admin.refused.timezone", timezone=name.replace("`", "'")) from None
        await self._store().set_values(interaction.guild_id, {"timezone": name.strip()})
        await self._saved(interaction)

    @timezone.autocomplete("name")
    async def timezone_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        wanted = current.lower()
        names = sorted(n for n in zoneinfo.available_timezones() if wanted in n.lower())
        return [app_commands.Choice(name=n, value=n) for n in names[:25]]


async def setup(bot: commands.Bot) -> None:
    frontend: FrontEnd | None = bot.frontend  # type: ignore[attr-defined]
    store = frontend.engine.rules.settings if frontend is not None else None
    await bot.add_cog(Settings(store, bot.tunables, frontend))  # type: ignore[attr-defined]
