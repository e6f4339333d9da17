"""One server's settings, typed: what its admins chose, on top of the defaults.

Every setting is one field of `ServerSettings`, declared with `setting(default, check)`:
its type, its default (or the tunable it defaults to) and the check that refuses a bad
value with a `Refusal` naming it. Adding a setting is adding a field here (and its line in
the settings embed, if `/settings show` should list it); the store, the admin service and
the rules read the field by its name. A server that set nothing has no rows and reads the
defaults; `source(name)` says whether a value is the server's own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..config.tunables import Tunables
from ..refusal import Refusal
from ..text.formatting import escape_markdown
from .windows import DEFAULT_TIMEZONE, is_timezone

MAX_LIMIT = 1_000_000
# What "no limit" becomes where a number is needed (queue and running slots).
UNLIMITED = 10**9
BUTTONS = ("anyone", "owner")

# A check takes the setting's name, the value asked for and the tunables, and returns the
# value to store (normalised: stripped, a model's name as the catalogue spells it), or
# raises a Refusal. None is never checked: it puts the default back.
Check = Callable[[str, Any, Tunables], Any]


@dataclass(frozen=True)
class Setting:
    check: Check | None = None
    # The tunable a server that set nothing gets, when the default is not a constant.
    default_from: Callable[[Tunables], Any] | None = None


def setting(
    default: Any,
    check: Check | None = None,
    *,
    default_from: Callable[[Tunables], Any] | None = None,
) -> Any:
    """A field of `ServerSettings` that a server may set (stored in `guild_settings`)."""
    return field(default=default, metadata={"setting": Setting(check, default_from)})


# -- checks -------------------------------------------------------------------------------


def check_limit(name: str, value: Any, tunables: Tunables | None = None) -> int:
    """A limit: a whole number from 0 (no limit) to 1,000,000."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LIMIT:
        raise Refusal("admin.refused.range", name=name, value=value, max=f"{MAX_LIMIT:,}")
    return value


def between(low: int, high: int) -> Check:
    def check(name: str, value: Any, tunables: Tunables) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise Refusal("admin.refused.between", name=name, value=value, low=low, high=high)
        return value

    return check


def check_timezone(name: str, value: Any, tunables: Tunables) -> str:
    """An IANA time zone name, such as Asia/Shanghai."""
    text = str(value)
    if not is_timezone(text.strip()):
        raise Refusal("admin.refused.timezone", timezone=text.replace("`", "'"))
    return text.strip()


def one_of(*choices: str) -> Check:
    def check(name: str, value: Any, tunables: Tunables) -> str:
        if value not in choices:
            raise Refusal("admin.refused.value", name=name, value=escape_markdown(str(value)))
        return value

    return check


def catalogue_model(name: str, tunables: Tunables) -> str:
    """`name` as the image catalogue spells it, whatever its case."""
    for known in tunables.models:
        if known.lower() == name.strip().lower():
            return known
    raise Refusal(
        "admin.refused.unknown_model",
        model=escape_markdown(name),
        known=", ".join(tunables.models),
    )


def catalogue_video_model(name: str, tunables: Tunables) -> str:
    """`name` as the video catalogue spells it, whatever its case."""
    for known in tunables.video_models:
        if known.lower() == name.strip().lower():
            return known
    raise Refusal(
        "admin.refused.unknown_video_model",
        model=escape_markdown(name),
        known=", ".join(tunables.video_models),
    )


def check_model(name: str, value: Any, tunables: Tunables) -> str:
    return catalogue_model(str(value), tunables)


def check_models(name: str, value: Any, tunables: Tunables) -> tuple[str, ...]:
    """Allowed models: catalogue names, sorted; empty allows every model."""
    return tuple(sorted({catalogue_model(str(n), tunables) for n in value}))


def check_video_model(name: str, value: Any, tunables: Tunables) -> str:
    return catalogue_video_model(str(value), tunables)


def check_video_models(name: str, value: Any, tunables: Tunables) -> tuple[str, ...]:
    return tuple(sorted({catalogue_video_model(str(n), tunables) for n in value}))


def check_bool(name: str, value: Any, tunables: Tunables) -> bool:
    if not isinstance(value, bool):
        raise Refusal("admin.refused.value", name=name, value=escape_markdown(str(value)))
    return value


def parse_words(text: str) -> tuple[str, ...]:
    """Blocked words as typed: separated by commas or new lines, blanks dropped."""
    words = (w.strip() for w in text.replace("\n", ",").split(","))
    return tuple(dict.fromkeys(w for w in words if w))


def check_words(name: str, value: Any, tunables: Tunables) -> tuple[str, ...]:
    return parse_words(value) if isinstance(value, str) else tuple(str(w) for w in value)


def check_id(name: str, value: Any, tunables: Tunables) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise Refusal("admin.refused.value", name=name, value=escape_markdown(str(value)))
    return value


def check_text(name: str, value: Any, tunables: Tunables) -> str:
    return str(value)


MAX_AMOUNT = 10_000_000


def check_amount(name: str, value: Any, tunables: Tunables) -> float:
    """A budget in the price list's currency: from 0 (no budget) up, cents at most."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Refusal("budget.refused.amount", value=escape_markdown(str(value)), max=MAX_AMOUNT)
    if not 0 <= value <= MAX_AMOUNT or value != value:  # NaN is not an amount either
        raise Refusal("budget.refused.amount", value=value, max=f"{MAX_AMOUNT:,}")
    return round(float(value), 2)


def check_fallback(name: str, value: Any, tunables: Tunables) -> str:
    """An image model (`Name` or `Name:version`) with a price: what asks switch to once a
    budget is spent. Stored as `Name:version`."""
    model, _, version = str(value).partition(":")
    spec = tunables.models[catalogue_model(model, tunables)]
    version = version.strip() or spec.default_version
    if version not in spec.versions:
        raise Refusal(
            "budget.refused.fallback_version",
            model=spec.name,
            version=escape_markdown(version),
            known=", ".join(spec.versions),
        )
    if spec.price_per_image is None:
        raise Refusal("budget.refused.fallback_unpriced", model=spec.name)
    return f"{spec.name}:{version}"


def check_ids(name: str, value: Any, tunables: Tunables) -> tuple[int, ...]:
    """Channel (or role) ids, sorted, each checked."""
    return tuple(sorted({check_id(name, v, tunables) for v in value}))


# -- the model ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerSettings:
    guild_id: int
    # Limits; 0 means no limit. Videos count apart from images.
    daily_per_user: int = setting(0, check_limit)
    daily_server: int = setting(0, check_limit)
    monthly_server: int = setting(0, check_limit)
    running_per_user: int = setting(
        1, check_limit, default_from=lambda t: t.limits.running_per_user
    )
    queued_per_user: int = setting(5, check_limit, default_from=lambda t: t.limits.queued_per_user)
    cooldown_seconds: int = setting(0, check_limit)
    daily_video_per_user: int = setting(0, check_limit)
    daily_video_server: int = setting(0, check_limit)
    monthly_video_server: int = setting(0, check_limit)
    # Image tool uses a member may make per day. 0: each use counts as one image instead.
    tools_daily_per_user: int = setting(0, check_limit)
    # Days and months reset at midnight here.
    timezone: str = setting(DEFAULT_TIMEZONE, check_timezone)
    # Who may press Re-roll, Vary and Animate on someone else's result.
    buttons: str = setting("anyone", one_of(*BUTTONS))
    # The image models members may pick (empty: every one), and what they get when they
    # pick none; the same for videos, apart.
    models: tuple[str, ...] = setting((), check_models)
    default_model: str = setting("Hunyuan", check_model, default_from=lambda t: t.default_model)
    default_size: str | None = setting(None)  # checked against the default model's sizes
    video_models: tuple[str, ...] = setting((), check_video_models)
    video_default_model: str = setting(
        "Kling", check_video_model, default_from=lambda t: t.video.default_model
    )
    # Every result carries a visible "AI generated" mark (LogoAdd): some jurisdictions
    # require generated content to be labelled. Models that cannot add it are refused.
    ai_mark: bool = setting(False, check_bool)
    # Channels where every result is posted as a spoiler (members may ask for it anywhere).
    spoiler_channels: tuple[int, ...] = setting((), check_ids)
    # Moderation: where incidents are posted, who moderates besides Manage Messages, words
    # refused before any call, what a warned member is sent, and the automatic block.
    log_channel_id: int | None = setting(None, check_id)
    moderator_role_id: int | None = setting(None, check_id)
    blocked_words: tuple[str, ...] = setting((), check_words)
    warning_text: str | None = setting(None, check_text)
    auto_block_count: int = setting(0, between(0, 100))  # 0: never
    auto_block_days: int = setting(7, between(1, 365))
    # Money budgets, in the price list's currency (0: none), and the cheaper image model
    # asks switch to once one is spent (None: asks are refused until it resets).
    budget_monthly: float = setting(0.0, check_amount)
    budget_daily: float = setting(0.0, check_amount)
    budget_fallback: str | None = setting(None, check_fallback)
    # Probation: results of members with this role, or who joined less than this many days
    # ago (0: nobody by date), wait for a moderator's Approve in the log channel.
    probation_role_id: int | None = setting(None, check_id)
    probation_days: int = setting(0, between(0, 365))
    # Overrides and lists, each stored in its own table.
    role_limits: Mapping[int, int] = field(default_factory=dict)  # role id -> daily images
    user_limits: Mapping[int, int] = field(default_factory=dict)  # user id -> daily images
    channels: frozenset[int] = frozenset()  # where /imagine may be used (empty: anywhere)
    # The settings this server chose itself (the others are defaults).
    chosen: frozenset[str] = frozenset()

    @classmethod
    def defaults(cls, guild_id: int, tunables: Tunables) -> ServerSettings:
        """What a server that set nothing gets."""
        derived = {
            f.name: f.metadata["setting"].default_from(tunables)
            for f in dataclasses.fields(cls)
            if "setting" in f.metadata and f.metadata["setting"].default_from is not None
        }
        return cls(guild_id, **derived)

    def value(self, name: str) -> Any:
        """A setting by name (for code that walks several, such as the quotas)."""
        if name not in SETTINGS:
            raise KeyError(name)
        return getattr(self, name)

    def source(self, name: str) -> str:
        """ "server" when the server set it, else "default"."""
        return "server" if name in self.chosen else "default"

    def member_daily_limit(self, user_id: int, roles: tuple[int, ...]) -> tuple[int, str]:
        """The member's daily image limit and why: their own override wins, then the
        highest of their roles' (0, no limit, is the highest), then the server's."""
        if user_id in self.user_limits:
            return self.user_limits[user_id], "user"
        found = [self.role_limits[r] for r in roles if r in self.role_limits]
        if found:
            return (0 if 0 in found else max(found)), "role"
        return self.daily_per_user, self.source("daily_per_user")

    def allows_channel(self, channel_id: int | None) -> bool:
        return not self.channels or channel_id in self.channels

    def spoils(self, channel_id: int | None) -> bool:
        """Whether results asked in this channel are posted as spoilers."""
        return channel_id is not None and channel_id in self.spoiler_channels

    def allows_model(self, model: str | None, video: bool = False) -> bool:
        allowed = self.video_models if video else self.models
        return not allowed or model is None or model in allowed

    def is_moderator(self, manage_messages: bool, roles: tuple[int, ...]) -> bool:
        """Members with Manage Messages always moderate; so does the moderator role."""
        return manage_messages or (
            self.moderator_role_id is not None and self.moderator_role_id in roles
        )

    @property
    def probation(self) -> bool:
        """Whether any member can be on probation here."""
        return self.probation_role_id is not None or self.probation_days > 0

    def on_probation(
        self,
        roles: tuple[int, ...],
        joined_at: float | None,
        now: float,
        *,
        manage_messages: bool = False,
    ) -> bool:
        """Whether a member's results wait for a moderator: they have the probation role,
        or joined less than `probation_days` ago. Moderators are never on probation (they
        would approve their own results)."""
        if self.is_moderator(manage_messages, roles):
            return False
        if self.probation_role_id is not None and self.probation_role_id in roles:
            return True
        recent = now - self.probation_days * 86400.0
        return self.probation_days > 0 and joined_at is not None and joined_at > recent


class ServerSettingsReader(Protocol):
    """What reads a server's settings without changing them (rules, moderation, services)."""

    def get(self, guild_id: int) -> ServerSettings: ...


SETTINGS: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(ServerSettings) if "setting" in f.metadata
)
_TUPLES = frozenset(
    f.name for f in dataclasses.fields(ServerSettings) if isinstance(f.default, tuple)
)


def check_setting(name: str, value: Any, tunables: Tunables) -> Any:
    """The value to store for `name`, or a Refusal; None (back to the default) passes."""
    if name not in SETTINGS:
        raise KeyError(name)
    if value is None:
        return None
    check = _SPEC[name].check
    return value if check is None else check(name, value, tunables)


def decode(name: str, stored: Any) -> Any:
    """A value read back from its JSON form (lists become the field's tuples)."""
    return tuple(stored) if name in _TUPLES else stored


_SPEC: dict[str, Setting] = {
    f.name: f.metadata["setting"]
    for f in dataclasses.fields(ServerSettings)
    if "setting" in f.metadata
}
