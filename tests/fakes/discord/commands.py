"""Application commands as Discord checks and stores them: slash commands (type 1, CHAT_INPUT)
and context menus on users (type 2) and messages (type 3), with their localisations.

https://discord.com/developers/docs/interactions/application-commands
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .models import snowflake
from .wire import DiscordError

if TYPE_CHECKING:
    from .server import FakeDiscord

CHAT_INPUT, USER_COMMAND, MESSAGE_COMMAND = 1, 2, 3
# Slash command and option names; Python's \w stands for Discord's \p{L}\p{N} classes.
NAME = re.compile(r"^[-_'\w]{1,32}$")
# Per scope (global, or one guild), per type.
MAX_COMMANDS = {CHAT_INPUT: 100, USER_COMMAND: 15, MESSAGE_COMMAND: 15}
LOCALES = frozenset(
    {"id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl"}
    | {"no", "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi"}
    | {"th", "zh-CN", "ja", "zh-TW", "ko"}
)
Problems = dict[str, tuple[str, str]]
BAD_DESCRIPTION = ("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
TOO_MANY = ("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")


def _name_ok(name: Any, kind: int) -> bool:
    """Slash command names are lower case words; context menus may be mixed case with spaces."""
    if not isinstance(name, str):
        return False
    if kind != CHAT_INPUT:
        return 1 <= len(name) <= 32 and name.strip() == name and bool(name)
    return bool(NAME.match(name)) and name == name.lower()


def _localizations(
    problems: Problems, path: str, values: Any, check: Any, code: str, message: str
) -> None:
    if values is None:
        return
    if not isinstance(values, dict):
        problems[path] = ("DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return
    for locale, value in values.items():
        if locale not in LOCALES:
            problems[f"{path}.{locale}"] = ("LOCALE_INVALID", f"Invalid locale {locale!r}")
        elif not check(value):
            problems[f"{path}.{locale}"] = (code, message)


def _describe(problems: Problems, path: str, item: dict, kind: int) -> None:
    """Name, description and their localisations of a command or an option."""
    if not _name_ok(item.get("name"), kind):
        problems[f"{path}.name"] = ("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    _localizations(
        problems,
        f"{path}.name_localizations",
        item.get("name_localizations"),
        lambda value: _name_ok(value, kind),
        "APPLICATION_COMMAND_INVALID_NAME",
        "Command name is invalid",
    )
    if kind != CHAT_INPUT:
        return
    description = item.get("description")
    if not isinstance(description, str) or not 1 <= len(description) <= 100:
        problems[f"{path}.description"] = BAD_DESCRIPTION
    _localizations(
        problems,
        f"{path}.description_localizations",
        item.get("description_localizations"),
        lambda value: isinstance(value, str) and 1 <= len(value) <= 100,
        *BAD_DESCRIPTION,
    )


def _option_problems(problems: Problems, path: str, options: Any) -> None:
    if not isinstance(options, list):
        return
    if len(options) > 25:
        problems[path] = TOO_MANY
    for n, option in enumerate(options):
        _describe(problems, f"{path}.{n}", option, CHAT_INPUT)
        _option_problems(problems, f"{path}.{n}.options", option.get("options"))
        choices = option.get("choices") or []
        if len(choices) > 25:
            problems[f"{path}.{n}.choices"] = TOO_MANY
        for m, choice in enumerate(choices):
            _localizations(
                problems,
                f"{path}.{n}.choices.{m}.name_localizations",
                choice.get("name_localizations"),
                lambda value: isinstance(value, str) and 1 <= len(value) <= 100,
                *BAD_DESCRIPTION,
            )


def command_problems(payloads: list[dict]) -> Problems:
    """What Discord refuses in a list of commands (paths start with the command's index)."""
    problems: Problems = {}
    seen: set[tuple[int, str]] = set()
    for n, command in enumerate(payloads):
        kind, name = int(command.get("type", CHAT_INPUT)), str(command.get("name", ""))
        if kind not in MAX_COMMANDS:
            problems[f"{n}.type"] = ("BASE_TYPE_CHOICES", "Value must be one of (1, 2, 3).")
            continue
        _describe(problems, str(n), command, kind)
        if (kind, name) in seen:
            problems[f"{n}.name"] = (
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                "Application command names must be unique",
            )
        seen.add((kind, name))
        if kind == CHAT_INPUT:
            _option_problems(problems, f"{n}.options", command.get("options"))
        elif command.get("options"):
            problems[f"{n}.options"] = (
                "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                "Only slash commands take options",
            )
    return problems


def too_many(commands: list[dict]) -> DiscordError | None:
    """30032 when a scope would hold more commands of one type than Discord allows."""
    for kind, limit in MAX_COMMANDS.items():
        if sum(1 for c in commands if int(c.get("type", CHAT_INPUT)) == kind) > limit:
            return DiscordError(
                400, 30032, f"Maximum number of application commands reached ({limit})"
            )
    return None


def stored_command(
    fake: FakeDiscord, scope: int | None, payload: dict, existing: dict | None
) -> dict:
    """The command object Discord keeps (and answers) for a valid payload; it keeps its id when
    it replaces a command of the same type and name."""
    kind = int(payload.get("type", CHAT_INPUT))
    command: dict[str, Any] = {
        "id": existing["id"] if existing else str(snowflake()),
        "application_id": str(fake.application_id),
        "version": str(snowflake()),
        "type": kind,
        "name": payload["name"],
        "name_localizations": payload.get("name_localizations"),
        # Context menus have no description: Discord answers an empty string.
        "description": (payload.get("description") or "") if kind == CHAT_INPUT else "",
        "description_localizations": payload.get("description_localizations"),
        "options": payload.get("options") or [],
        "default_member_permissions": payload.get("default_member_permissions"),
        "dm_permission": payload.get("dm_permission", True),
        "contexts": payload.get("contexts"),
        "integration_types": payload.get("integration_types") or [0],
        "nsfw": bool(payload.get("nsfw", False)),
    }
    if scope is not None:
        command["guild_id"] = str(scope)
    if existing is None:
        fake.command_creates[scope] = fake.command_creates.get(scope, 0) + 1
    return command
