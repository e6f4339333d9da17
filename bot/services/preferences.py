"""A member's own defaults, for every front end: kept per server, checked when set, and
applied to a fresh ask wherever the member left an option out.

Server settings still win: a preferred model the server does not allow (any more), a
video model that cannot carry the server's AI mark, or a style the server removed is
ignored, and the ask says so in one line (a `Refusal` used as a note, so each note is a
locale key like every refusal). A preference the chosen model does not take (an aspect
ratio for a model without one, a size for a model sized by ratio) is left out quietly:
preferences are defaults, applied where they fit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from ..asks.images import ImageOptions
from ..asks.prompts import clean_prompt
from ..asks.videos import VideoOptions, spans
from ..config.catalogue import check_size_rule, parse_size
from ..config.tunables import ASPECTS, ModelSpec, Tunables, VideoModelSpec
from ..refusal import Refusal
from ..rules.server_settings import ServerSettings, ServerSettingsReader
from ..storage.preferences import PreferenceStore
from ..text.formatting import escape_markdown
from .members import Member
from .styles import StyleService

MAX_DURATION = 60
REFUSED_WHEN_SET = {
    "preferences.ignored.model_gone": "preferences.error.model_unknown",
    "preferences.ignored.model": "preferences.error.not_allowed",
    "preferences.ignored.video_model": "preferences.error.not_allowed",
    "preferences.ignored.video_mark": "preferences.error.video_mark",
}


@dataclass(frozen=True)
class Preferences:
    model: str | None = None  # "name" or "name:version", as /imagine's model option
    aspect: str | None = None
    size: str | None = None
    negative_prompt: str | None = None
    style: str | None = None
    enhance_prompt: bool | None = None
    video_model: str | None = None
    video_duration: int | None = None

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> Preferences:
        return cls(**{k: v for k, v in stored.items() if k in PREFERENCES})

    def chosen(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


PREFERENCES = tuple(f.name for f in dataclasses.fields(Preferences))


def _split(value: str) -> tuple[str, str | None]:
    name, _, version = value.partition(":")
    return name.strip(), version.strip() or None


def _prefer_model(
    asked: str | None,
    preferred: str | None,
    problem: Callable[[str], Refusal | None],
    notes: list[Refusal],
    changes: dict[str, Any],
) -> None:
    """The preferred model (`name:version`) where none was asked for, or a note when the
    server no longer allows it."""
    if asked is not None or not preferred:
        return
    refused = problem(preferred)
    if refused is not None:
        notes.append(refused)
    else:
        changes["model"], changes["version"] = _split(preferred)


def _image_spec(tunables: Tunables, name: str) -> ModelSpec | None:
    return next((s for s in tunables.models.values() if s.name.lower() == name.lower()), None)


def _video_spec(tunables: Tunables, name: str) -> VideoModelSpec | None:
    found = tunables.video_models.values()
    return next((s for s in found if s.name.lower() == name.lower()), None)


class PreferenceService:
    def __init__(
        self,
        *,
        store: PreferenceStore,
        settings: ServerSettingsReader,
        styles: StyleService,
        tunables: Tunables,
    ) -> None:
        self.store = store  # the one writer of members' preferences
        self.settings = settings
        self.styles = styles
        self.tunables = tunables

    async def get(self, member: Member) -> Preferences:
        return Preferences.from_stored(await self.store.get(member.guild_id, member.user_id))

    # -- what the server allows now ---------------------------------------------------------

    def image_model_problem(self, server: ServerSettings, value: str) -> Refusal | None:
        """Why a preferred image model cannot be used here now (None: it can)."""
        name, version = _split(value)
        spec = _image_spec(self.tunables, name)
        if spec is None or (version is not None and version not in spec.versions):
            return Refusal("preferences.ignored.model_gone", model=escape_markdown(value))
        if not server.allows_model(spec.name):
            return Refusal(
                "preferences.ignored.model", model=spec.name, allowed=_list(server.models)
            )
        return None

    def video_model_problem(self, server: ServerSettings, value: str) -> Refusal | None:
        name, version = _split(value)
        spec = _video_spec(self.tunables, name)
        if spec is None or (version is not None and version not in spec.versions):
            return Refusal("preferences.ignored.model_gone", model=escape_markdown(value))
        if not server.allows_model(spec.name, video=True):
            allowed = _list(server.video_models)
            return Refusal("preferences.ignored.video_model", model=spec.name, allowed=allowed)
        if server.ai_mark and not spec.version(version or spec.default_version).logo:
            return Refusal("preferences.ignored.video_mark", model=spec.name)
        return None

    async def problems(self, member: Member, prefs: Preferences) -> dict[str, Refusal]:
        """Each preference the server no longer allows, and why (for `show`)."""
        server = self.settings.get(member.guild_id)
        found: dict[str, Refusal | None] = {
            "model": prefs.model and self.image_model_problem(server, prefs.model),
            "video_model": prefs.video_model
            and self.video_model_problem(server, prefs.video_model),
        }
        if prefs.style and await self.styles.find(member.guild_id, prefs.style) is None:
            found["style"] = Refusal(
                "preferences.ignored.style", style=escape_markdown(prefs.style)
            )
        return {name: problem for name, problem in found.items() if problem}

    # -- applying them --------------------------------------------------------------------

    async def for_image(
        self, member: Member, options: ImageOptions
    ) -> tuple[ImageOptions, list[Refusal]]:
        """`options` with the member's preferences where they left an option out, and a
        note for each preference the server no longer allows."""
        prefs = await self.get(member)
        if not prefs.chosen():
            return options, []
        server = self.settings.get(member.guild_id)
        notes: list[Refusal] = []
        changes: dict[str, Any] = {}
        problem = partial(self.image_model_problem, server)
        _prefer_model(options.model, prefs.model, problem, notes, changes)
        spec = _image_spec(self.tunables, changes.get("model") or options.model or "")
        spec = spec or _image_spec(self.tunables, server.default_model)
        version = options.version or changes.get("version")
        rules = spec.versions.get(version or spec.default_version) if spec else None
        if rules is not None and options.size is None and options.aspect is None:
            if rules.size_rule and prefs.size and _fits(rules.size_rule, prefs.size):
                changes["size"] = prefs.size
            elif prefs.aspect and (prefs.aspect in rules.aspects or rules.sizes):
                changes["aspect"] = prefs.aspect
        negative = spec is not None and spec.negative_prompt
        changes.update(await self._shared(member, options, negative, prefs, notes))
        return dataclasses.replace(options, **changes), notes

    async def for_video(
        self, member: Member, options: VideoOptions
    ) -> tuple[VideoOptions, list[Refusal]]:
        """The same for a video."""
        prefs = await self.get(member)
        if not prefs.chosen():
            return options, []
        server = self.settings.get(member.guild_id)
        notes: list[Refusal] = []
        changes: dict[str, Any] = {}
        problem = partial(self.video_model_problem, server)
        _prefer_model(options.model, prefs.video_model, problem, notes, changes)
        spec = _video_spec(self.tunables, changes.get("model") or options.model or "")
        spec = spec or _video_spec(self.tunables, server.video_default_model)
        version = options.version or changes.get("version")
        rules = spec.versions.get(version or spec.default_version) if spec else None
        duration = prefs.video_duration
        if options.duration is None and duration and rules and duration in rules.durations:
            changes["duration"] = duration
        negative = spec is not None and spec.negative_prompt
        changes.update(await self._shared(member, options, negative, prefs, notes))
        return dataclasses.replace(options, **changes), notes

    async def _shared(
        self,
        member: Member,
        options: ImageOptions | VideoOptions,
        negative: bool,
        prefs: Preferences,
        notes: list[Refusal],
    ) -> dict[str, Any]:
        """What images and videos share: the negative prompt (`negative`: the model takes
        one), prompt enhancement and the style."""
        changes: dict[str, Any] = {}
        if options.negative_prompt is None and prefs.negative_prompt and negative:
            changes["negative_prompt"] = prefs.negative_prompt
        if options.enhance_prompt is None and prefs.enhance_prompt is not None:
            changes["enhance_prompt"] = prefs.enhance_prompt
        if options.style is None and prefs.style:
            found = await self.styles.find(member.guild_id, prefs.style)
            if found is None:
                notes.append(_style_gone(prefs.style))
            else:
                changes["style"] = found.name
        return changes

    # -- changing them --------------------------------------------------------------------

    async def set(self, member: Member, values: Mapping[str, Any]) -> Preferences:
        """Set the preferences given (None: left as they are), each checked first: a
        refused one changes nothing."""
        if unknown := set(values) - set(PREFERENCES):
            raise KeyError(sorted(unknown))
        given = {k: v for k, v in values.items() if v is not None}
        if not given:
            raise Refusal("preferences.error.nothing_given")
        server = self.settings.get(member.guild_id)
        current = await self.get(member)
        checked = {name: await self._check(member, server, name, v) for name, v in given.items()}
        after = dataclasses.replace(current, **checked)
        if "video_duration" in checked or "video_model" in checked:
            self._check_duration(server, after)
        await self.store.set(member.guild_id, member.user_id, checked)
        return after

    async def reset(self, member: Member, name: str | None = None) -> Preferences:
        """Forget one preference, or all of them (None)."""
        if name is not None and name not in PREFERENCES:
            raise KeyError(name)
        await self.store.clear(member.guild_id, member.user_id, None if name is None else [name])
        return await self.get(member)

    async def _check(self, member: Member, server: ServerSettings, name: str, value: Any) -> Any:
        if name in ("model", "video_model"):
            video = name == "video_model"
            check = self.video_model_problem if video else self.image_model_problem
            problem = check(server, str(value))
            if problem is not None:
                # The same reasons, worded for a preference being set.
                raise Refusal(REFUSED_WHEN_SET[problem.key], **problem.params)
            found, version = _split(str(value))
            spec = (_video_spec if video else _image_spec)(self.tunables, found)
            assert spec is not None
            return f"{spec.name}:{version}" if version else spec.name
        if name == "aspect":
            if value not in ASPECTS:
                raise Refusal("preferences.error.aspect", aspect=escape_markdown(str(value)))
            return value
        if name == "size":
            width, height = parse_size(str(value))
            return f"{width}x{height}"
        if name == "negative_prompt":
            text = clean_prompt(str(value), negative=True)
            if text is None or len(text) > self.tunables.max_prompt_chars:
                length = len(text or "")
                raise Refusal(
                    "error.negative_too_long", length=length, max=self.tunables.max_prompt_chars
                )
            return text
        if name == "style":
            style = await self.styles.resolve(member.guild_id, str(value))
            assert style is not None
            return style.name
        if name == "enhance_prompt":
            return bool(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DURATION:
            raise Refusal("preferences.error.duration", max=MAX_DURATION)
        return value

    def _check_duration(self, server: ServerSettings, prefs: Preferences) -> None:
        """A preferred length must be one the preferred (or the server's) video model takes."""
        if prefs.video_duration is None:
            return
        name, version = _split(prefs.video_model or server.video_default_model)
        spec = _video_spec(self.tunables, name)
        if spec is None:
            return
        label = f"{spec.name} {version or spec.default_version}"
        rules = spec.version(version or spec.default_version)
        if prefs.video_duration not in rules.durations:
            raise Refusal(
                "video.error.duration",
                model=label,
                duration=prefs.video_duration,
                allowed=spans(rules.durations) if rules.durations else "-",
            )


def _fits(rule: str, size: str) -> bool:
    try:
        check_size_rule(rule, *parse_size(size))
    except Refusal:
        return False
    return True


def _style_gone(name: str) -> Refusal:
    return Refusal("preferences.ignored.style", style=escape_markdown(name))


def _list(names: tuple[str, ...]) -> str:
    return ", ".join(names) or "-"
