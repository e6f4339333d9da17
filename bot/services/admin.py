"""A server's settings, changed by its admins: every change with its checks.

Only members who may manage the server change anything (checked here, whatever the front
end showed them). Values are checked field by field (`check_setting`), all before anything
is written, so a refused change changes nothing. Changes of the moderation settings are
written to the moderation audit log.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from ..config.tunables import Tunables
from ..moderation.models import AuditAction
from ..moderation.store import ModerationStore
from ..refusal import Refusal
from ..rules.server_settings import (
    ServerSettings,
    catalogue_model,
    catalogue_video_model,
    check_limit,
    check_setting,
)
from ..rules.server_settings_store import ServerSettingsStore
from ..text.formatting import escape_markdown
from .members import Member

LIMITS = (
    "daily_per_user",
    "daily_server",
    "monthly_server",
    "running_per_user",
    "queued_per_user",
    "cooldown_seconds",
    "daily_video_per_user",
    "daily_video_server",
    "monthly_video_server",
    "tools_daily_per_user",
)
MODERATION_SETTINGS = (
    "log_channel_id",
    "moderator_role_id",
    "blocked_words",
    "warning_text",
    "auto_block_count",
    "auto_block_days",
    "probation_role_id",
    "probation_days",
)
# `/settings moderation clear:<name>`: the settings that go back to their defaults.
CLEARABLE: dict[str, tuple[str, ...]] = {
    "log_channel": ("log_channel_id",),
    "moderator_role": ("moderator_role_id",),
    "blocked_words": ("blocked_words",),
    "warning_text": ("warning_text",),
    "auto_block": ("auto_block_count",),
    "probation": ("probation_role_id", "probation_days"),
}


class ServerAdmin:
    def __init__(
        self,
        *,
        settings: ServerSettingsStore,
        audit: ModerationStore,
        tunables: Tunables,
    ) -> None:
        self.settings = settings  # the one writer of a server's settings
        self.audit = audit  # the moderation audit log
        self.tunables = tunables
        # A list setting is read, changed and written whole: one change at a time, so two
        # admins adding a channel each keep both; settings that depend on each other
        # (probation and its log channel) are checked and written as one, likewise.
        self._lists = asyncio.Lock()

    def require(self, member: Member) -> None:
        """A server can let other members see admin commands: the permission is checked
        again whenever one runs."""
        if not member.manage_guild:
            raise Refusal("admin.refused.manage_guild")

    def show(self, member: Member) -> ServerSettings:
        self.require(member)
        return self.settings.get(member.guild_id)

    async def change(self, member: Member, values: Mapping[str, Any]) -> ServerSettings:
        """Set settings by name (None: back to the default), each checked first."""
        self.require(member)
        checked = {
            name: check_setting(name, value, self.tunables) for name, value in values.items()
        }
        return await self.settings.set(member.guild_id, checked)

    async def set_limits(
        self, member: Member, limits: Mapping[str, int | None]
    ) -> ServerSettings | None:
        """The limits given (None: left as they are); None when none was given."""
        self.require(member)
        if set(limits) - set(LIMITS):
            raise KeyError(sorted(set(limits) - set(LIMITS)))
        given = {name: value for name, value in limits.items() if value is not None}
        if not given:
            return None
        return await self.change(member, given)

    async def set_role_limit(
        self, member: Member, role_id: int, role_guild_id: int, daily: int | None, *, remove: bool
    ) -> ServerSettings:
        """A daily image limit for members with a role (`remove`: the role's own goes)."""
        self.require(member)
        if role_guild_id != member.guild_id:
            raise Refusal("admin.refused.foreign_role")
        if remove:
            return await self.settings.set_role_limit(member.guild_id, role_id, None)
        if daily is None:
            raise Refusal("admin.refused.limit_or_remove")
        check_limit("daily_per_user", daily)
        return await self.settings.set_role_limit(member.guild_id, role_id, daily)

    async def set_user_limit(
        self, member: Member, user_id: int, daily: int | None, *, remove: bool
    ) -> ServerSettings:
        """One member's own daily image limit, which wins over their roles'."""
        self.require(member)
        if remove:
            return await self.settings.set_user_limit(member.guild_id, user_id, None)
        if daily is None:
            raise Refusal("admin.refused.limit_or_remove")
        check_limit("daily_per_user", daily)
        return await self.settings.set_user_limit(member.guild_id, user_id, daily)

    async def set_channel(
        self, member: Member, channel_id: int, channel_guild_id: int | None, *, allowed: bool
    ) -> ServerSettings:
        """Allow /imagine in a channel of this server, or stop allowing it there."""
        self.require(member)
        if channel_guild_id != member.guild_id:
            raise Refusal("admin.refused.foreign_channel")
        return await self.settings.set_channel(member.guild_id, channel_id, allowed)

    async def set_spoiler_channel(
        self, member: Member, channel_id: int, channel_guild_id: int | None, *, enabled: bool
    ) -> ServerSettings:
        """Post every result asked in a channel of this server as a spoiler, or stop."""
        self.require(member)
        if channel_guild_id != member.guild_id:
            raise Refusal("admin.refused.foreign_channel")
        async with self._lists:
            channels = set(self.settings.get(member.guild_id).spoiler_channels)
            if enabled:
                channels.add(channel_id)
            else:
                channels.discard(channel_id)
            return await self.change(member, {"spoiler_channels": tuple(channels) or None})

    async def set_models(
        self,
        member: Member,
        allowed: str | None,
        default_model: str | None,
        default_size: str | None,
        video_allowed: str | None = None,
        video_default_model: str | None = None,
    ) -> ServerSettings | None:
        """The allowed image models (comma-separated names, or "all"), the default model,
        the default size ("model": the model's own), and the same apart for videos; None
        when nothing was given."""
        self.require(member)
        current = self.settings.get(member.guild_id)
        changes: dict[str, Any] = {}
        chosen, model = self._models(
            allowed, default_model, current.models, current.default_model, catalogue_model, changes
        )
        if chosen and model not in chosen:
            raise Refusal("admin.refused.default_not_allowed", model=model)
        video_chosen, video_model = self._models(
            video_allowed,
            video_default_model,
            current.video_models,
            current.video_default_model,
            catalogue_video_model,
            changes,
            video=True,
        )
        if video_chosen and video_model not in video_chosen:
            raise Refusal("admin.refused.default_not_allowed", model=video_model)
        if default_size is not None:
            if default_size.lower() == "model":
                changes["default_size"] = None
            else:
                spec = self.tunables.models[model]
                if default_size not in spec.sizes:
                    raise Refusal(
                        "admin.refused.unknown_size",
                        size=escape_markdown(default_size),
                        model=model,
                        sizes=", ".join(spec.sizes) or "-",
                    )
                changes["default_size"] = default_size
        if not changes:
            return None
        return await self.settings.set(member.guild_id, changes)

    def _models(
        self,
        allowed: str | None,
        default: str | None,
        current: tuple[str, ...],
        current_default: str,
        known: Callable[[str, Tunables], str],
        changes: dict[str, Any],
        *,
        video: bool = False,
    ) -> tuple[list[str], str]:
        """The allowed models and the default after a change, recorded in `changes`."""
        chosen = sorted(current)
        if allowed is not None:
            names = [n.strip() for n in allowed.split(",") if n.strip()]
            if [n.lower() for n in names] == ["all"]:
                chosen = []
            else:
                chosen = sorted({known(n, self.tunables) for n in names})
            changes["video_models" if video else "models"] = tuple(chosen) or None
        model = current_default
        if default is not None:
            model = known(default, self.tunables)
            changes["video_default_model" if video else "default_model"] = model
        return chosen, model

    async def set_ai_mark(self, member: Member, enabled: bool) -> ServerSettings:
        """Whether every result carries a visible "AI generated" mark."""
        return await self.change(member, {"ai_mark": enabled})

    async def set_moderation(
        self,
        member: Member,
        changes: Mapping[str, Any],
        clear: str | None,
        *,
        log_channel_guild_id: int | None = None,
        moderator_role_guild_id: int | None = None,
        probation_role_guild_id: int | None = None,
    ) -> ServerSettings:
        """Change the moderation settings given (None: left as they are) and put `clear`'s
        back to its default; the change goes to the audit log. A log channel or a role
        comes with the server it belongs to (None: unknown), and must be this one.
        Probation needs a log channel: held results are reviewed there."""
        self.require(member)
        values = {k: v for k, v in changes.items() if v is not None}
        if set(values) - set(MODERATION_SETTINGS):
            raise KeyError(sorted(set(values) - set(MODERATION_SETTINGS)))
        if "log_channel_id" in values and log_channel_guild_id != member.guild_id:
            raise Refusal("admin.refused.foreign_channel")
        if "moderator_role_id" in values and moderator_role_guild_id != member.guild_id:
            raise Refusal("admin.refused.foreign_role")
        if "probation_role_id" in values and probation_role_guild_id != member.guild_id:
            raise Refusal("admin.refused.foreign_role")
        if clear:
            values.update(dict.fromkeys(CLEARABLE[clear]))
        if not values:
            return self.settings.get(member.guild_id)
        # Checked against what the settings would be (None: the default) and written under
        # the one-change-at-a-time lock: two admins (one clearing the log channel, one
        # setting probation) cannot together leave probation without its log channel.
        async with self._lists:
            defaults = ServerSettings.defaults(member.guild_id, self.tunables)
            after = dataclasses.replace(
                self.settings.get(member.guild_id),
                **{
                    name: getattr(defaults, name)
                    if v is None
                    else check_setting(name, v, self.tunables)
                    for name, v in values.items()
                },
            )
            if after.probation and after.log_channel_id is None:
                # Held results would have nowhere to wait for a moderator.
                raise Refusal("admin.refused.probation_needs_log")
            server = await self.change(member, values)
        await self.audit.audit(
            member.guild_id,
            member.user_id,
            AuditAction.SETTINGS,
            reason=", ".join(sorted(values)),
        )
        return server

    def moderation(self, member: Member) -> ServerSettings:
        """The moderation settings, for the moderation settings view."""
        self.require(member)
        return self.settings.get(member.guild_id)
