"""A user fills in and submits a modal the bot showed: an INTERACTION_CREATE of type 5
(MODAL_SUBMIT) whose ``data.components`` mirror the modal (a Label holds its input's answer,
an Action Row its text input's, a Text Display only its type and id), with ``data.resolved``
for the users, roles, channels and files chosen, and ``message`` when the modal came from a
component, as Discord sends it."""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .message_payloads import interaction_base, message_payload
from .modals import (
    CHANNEL_SELECT,
    CHECKBOX,
    CHECKBOX_GROUP,
    ENTITY_SELECTS,
    FILE_UPLOAD,
    LABEL,
    MENTIONABLE_SELECT,
    RADIO_GROUP,
    ROLE_SELECT,
    STRING_SELECT,
    TEXT_DISPLAY,
    TEXT_INPUT,
    USER_SELECT,
    ModalField,
)
from .models import FakeChannel, FakeGuild
from .options import ATTACHMENT, CHANNEL, MENTIONABLE, ROLE, USER
from .records import FakeInteraction

if TYPE_CHECKING:
    from .server import FakeDiscord

# The command option type whose ``resolved`` entries a select (or file upload) fills.
RESOLVED_AS = {
    USER_SELECT: USER,
    ROLE_SELECT: ROLE,
    MENTIONABLE_SELECT: MENTIONABLE,
    CHANNEL_SELECT: CHANNEL,
    FILE_UPLOAD: ATTACHMENT,
}
UNSET = object()


def _count_problem(field: ModalField, count: int) -> str | None:
    """What the Discord client says when too few or too many choices are made."""
    component = field.component
    default_max = len(field.options) if field.type == CHECKBOX_GROUP else 1
    low = component.get("min_values")  # discord.py sends null for "not set"
    high = component.get("max_values")
    low, high = (1 if low is None else low), (default_max if high is None else high)
    if count == 0 and not field.required:
        return None
    low = max(low, 1) if field.required else low
    if not low <= count <= high:
        return f"takes {low} to {high} choices, not {count}"
    return None


def _file_type_ok(filename: str, allowed: list[str] | None) -> bool:
    """``file_types`` are ``image``/``video``/``audio`` or dot-prefixed extensions, matched
    against the file's extension only."""
    if not allowed:
        return True
    extension = os.path.splitext(filename)[1].lower()
    family = (mimetypes.guess_type(filename)[0] or "").split("/")[0]
    return any(kind.lower() == extension or kind == family for kind in allowed)


class ModalActions:
    """Mixed into :class:`FakeDiscord`."""

    async def submit_modal(
        self: FakeDiscord,
        shown: FakeInteraction,
        values: Mapping[str, Any] | None = None,
        *,
        locale: str | None = None,
    ) -> FakeInteraction:
        """The user who was shown ``shown.modal`` submits it. ``values`` by field custom id:
        text for a text input; a list for a select, a checkbox group or a file upload (users,
        roles, channels as fake objects, ids or names; files as ``(filename, bytes[, content
        type])``); an option value or None for a radio group; a bool for a checkbox. A field
        not given keeps what it was shown with. What the Discord client would not let through
        (a required field left empty, text too short or long, a value not offered, a wrong
        number of choices) raises ValueError. Once a submission is answered the modal closes;
        until then (the bot failed to answer) the user may submit again."""
        modal = shown.modal
        if modal is None:
            raise LookupError(f"interaction {shown.id} was not answered with a modal")
        if any(self.interactions[i].acknowledged for i in modal.submission_ids):
            raise ValueError(f"modal {modal.custom_id!r} was submitted and answered: it is closed")
        given = dict(values or {})
        if unknown := set(given) - {f.custom_id for f in modal.fields}:
            raise LookupError(f"modal {modal.custom_id!r} has no fields {sorted(unknown)}")
        guild = self.find_guild(shown.guild_id)
        channel = guild.channel(shown.channel_id)
        resolved: dict[str, dict] = {}
        answers = {
            f.custom_id: self._modal_answer(
                guild, channel, f, given.get(f.custom_id, UNSET), resolved
            )
            for f in modal.fields
        }
        components: list[dict] = []
        for top in modal.components:
            if top["type"] == TEXT_DISPLAY:
                components.append({"type": TEXT_DISPLAY, "id": top["id"]})
            elif top["type"] == LABEL:
                answer = answers[top["component"]["custom_id"]]
                components.append({"type": LABEL, "id": top["id"], "component": answer})
            else:
                answer = answers[top["components"][0]["custom_id"]]
                components.append({"type": top["type"], "id": top["id"], "components": [answer]})
        data: dict[str, Any] = {"custom_id": modal.custom_id, "components": components}
        if resolved:
            data["resolved"] = resolved
        payload = interaction_base(
            self,
            kind=5,
            guild=guild,
            channel=channel,
            user=guild.member(shown.user_id).user,
            locale=locale or shown.locale,
            data=data,
        )
        message = self.messages.get(shown.message_id or 0) if shown.type == 3 else None
        if message is not None:
            payload["message"] = message_payload(self, message)
        submit = await self._dispatch_interaction(
            payload, modal.custom_id, message, triggered_by=shown.id
        )
        modal.submission_ids.append(submit.id)
        return submit

    def _modal_answer(
        self: FakeDiscord,
        guild: FakeGuild,
        channel: FakeChannel,
        field: ModalField,
        value: Any,
        resolved: dict[str, dict],
    ) -> dict:
        answer: dict[str, Any] = {"type": field.type, "id": field.id, "custom_id": field.custom_id}
        name, component = field.custom_id, field.component
        if field.type == TEXT_INPUT:
            text = (field.value or "") if value is UNSET else value
            if not isinstance(text, str):
                raise TypeError(f"{name!r} is a text input: give it a str")
            low, high = component.get("min_length") or 0, component.get("max_length") or 4000
            if field.required and not text:
                raise ValueError(f"{name!r} is required")
            if text and not low <= len(text) <= high:
                raise ValueError(f"{name!r} takes {low} to {high} characters, not {len(text)}")
            if component.get("style") == 1 and "\n" in text:
                raise ValueError(f"{name!r} is a one-line text input")
            answer["value"] = text
            return answer
        if field.type == CHECKBOX:
            answer["value"] = field.defaults[0] if value is UNSET else bool(value)
            return answer
        offered = [o["value"] for o in field.options]
        if field.type == RADIO_GROUP:
            chosen = (field.defaults or [None])[0] if value is UNSET else value
            if chosen is None and field.required:
                raise ValueError(f"{name!r} is required")
            if chosen is not None and chosen not in offered:
                raise ValueError(f"{name!r} offers {offered}, not {chosen!r}")
            answer["value"] = chosen
            return answer
        chosen_list = list(field.defaults if value is UNSET else value)
        if problem := _count_problem(field, len(chosen_list)):
            raise ValueError(f"{name!r} {problem}")
        if field.type in (STRING_SELECT, CHECKBOX_GROUP):
            stray = [v for v in chosen_list if v not in offered]
            if stray or len(set(chosen_list)) != len(chosen_list):
                raise ValueError(f"{name!r} offers {offered}, not {chosen_list}")
            answer["values"] = [str(v) for v in chosen_list]
            return answer
        if field.type == FILE_UPLOAD:
            for filename, *_ in chosen_list:
                if not _file_type_ok(filename, component.get("file_types")):
                    raise ValueError(f"{name!r} takes {component['file_types']}, not {filename}")
        elif field.type in ENTITY_SELECTS:
            chosen_list = [self._default_value(guild, v) for v in chosen_list]
        if field.type == CHANNEL_SELECT and component.get("channel_types"):
            for item in chosen_list:
                target = guild.channel(item.id if isinstance(item, FakeChannel) else item)
                if target.type not in component["channel_types"]:
                    raise ValueError(f"{name!r} does not offer channel {target.name!r}")
        kind = RESOLVED_AS[field.type]
        answer["values"] = [
            self._option(guild, channel, name, kind, item, resolved)["value"]
            for item in chosen_list
        ]
        return answer

    def _default_value(self: FakeDiscord, guild: FakeGuild, value: Any) -> Any:
        """A select's ``default_values`` entry (``{"id", "type"}``) as what a test would pass."""
        if not isinstance(value, dict):
            return value
        if value.get("type") == "role":
            return guild.role(int(value["id"]))
        return int(value["id"])
