"""Modals a bot shows with a type 9 (MODAL) callback: checked as Discord checks them, then kept
as a :class:`FakeModal` a test reads (title, fields, pre-filled values) and submits.

A modal holds 1 to 5 top-level components: a Label (18) around one input, a Text Display
(10), or the deprecated Action Row (1) around one Text Input (4) that then needs its own
``label``. Inputs inside a Label carry no label of their own (discord.py sends ``null``).
https://discord.com/developers/docs/components/reference
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .wire import form_error

ACTION_ROW, TEXT_INPUT, TEXT_DISPLAY, LABEL = 1, 4, 10, 18
STRING_SELECT, USER_SELECT, ROLE_SELECT, MENTIONABLE_SELECT, CHANNEL_SELECT = 3, 5, 6, 7, 8
FILE_UPLOAD, RADIO_GROUP, CHECKBOX_GROUP, CHECKBOX = 19, 21, 22, 23
ENTITY_SELECTS = (USER_SELECT, ROLE_SELECT, MENTIONABLE_SELECT, CHANNEL_SELECT)
LABEL_CHILDREN = (TEXT_INPUT, STRING_SELECT, *ENTITY_SELECTS, FILE_UPLOAD, RADIO_GROUP)
LABEL_CHILDREN += (CHECKBOX_GROUP, CHECKBOX)
# The highest min_values / max_values (25 elsewhere), and how many options a component takes.
VALUE_RANGE = {FILE_UPLOAD: 10, CHECKBOX_GROUP: 10}
OPTION_RANGE = {STRING_SELECT: (1, 25), RADIO_GROUP: (2, 10), CHECKBOX_GROUP: (1, 10)}
Problems = dict[str, tuple[str, str]]


@dataclass
class ModalField:
    """One input of a modal, with the label it is shown under."""

    custom_id: str
    type: int
    label: str | None
    description: str | None
    component: dict = field(repr=False)  # as the bot sent it (ids numbered)
    id: int = 0
    label_id: int | None = None  # the id of the Label (or Action Row) around it

    @property
    def required(self) -> bool:
        return self.type != CHECKBOX and bool(self.component.get("required", True))

    @property
    def value(self) -> str | None:
        """A text input's pre-filled text."""
        return self.component.get("value")

    @property
    def placeholder(self) -> str | None:
        return self.component.get("placeholder")

    @property
    def options(self) -> list[dict]:
        return list(self.component.get("options") or [])

    @property
    def defaults(self) -> list:
        """What the field holds before the user touches it."""
        if self.type == TEXT_INPUT:
            return [self.value] if self.value else []
        if self.type in ENTITY_SELECTS:
            return list(self.component.get("default_values") or [])
        if self.type == CHECKBOX:
            return [bool(self.component.get("default"))]
        return [o["value"] for o in self.options if o.get("default")]


@dataclass
class FakeModal:
    custom_id: str
    title: str
    components: list[dict] = field(repr=False)  # as the bot sent them (ids numbered)
    fields: list[ModalField] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # the Text Displays' content, in order
    submission_ids: list[int] = field(default_factory=list)  # its MODAL_SUBMIT interactions

    def field(self, custom_id: str) -> ModalField:
        for found in self.fields:
            if found.custom_id == custom_id:
                return found
        known = [f.custom_id for f in self.fields]
        raise KeyError(f"modal {self.custom_id!r} has no field {custom_id!r}; it has {known}")

    @property
    def labels(self) -> dict[str, str | None]:
        return {f.custom_id: f.label for f in self.fields}


# --- checking what the bot sent ------------------------------------------------------------


def _length(problems: Problems, path: str, value: Any, low: int, high: int, required=True):
    if value is None and not required:
        return
    if not isinstance(value, str):
        problems[path] = ("BASE_TYPE_REQUIRED", "This field is required")
    elif not low <= len(value) <= high:
        problems[path] = ("BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")


def _number(problems: Problems, path: str, value: Any, low: int, high: int) -> None:
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        message = f"int value should be greater than or equal to {low} and at most {high}."
        problems[path] = ("NUMBER_TYPE_MAX", message)


def _check_input(problems: Problems, path: str, item: dict, *, in_label: bool) -> None:
    kind = item.get("type")
    _length(problems, f"{path}.custom_id", item.get("custom_id"), 1, 100)
    if item.get("disabled"):
        problems[f"{path}.disabled"] = (
            "COMPONENT_DISABLED",
            "Modals cannot hold disabled components",
        )
    if kind == TEXT_INPUT:
        if in_label and item.get("label") is not None:
            message = "Cannot set label on a TextInput in a Label component"
            problems[f"{path}.label"] = ("COMPONENT_INVALID_FIELD", message)
        elif not in_label:
            _length(problems, f"{path}.label", item.get("label"), 1, 45)
        if item.get("style") not in (1, 2):
            problems[f"{path}.style"] = ("BASE_TYPE_CHOICES", "Value must be one of (1, 2).")
        _number(problems, f"{path}.min_length", item.get("min_length"), 0, 4000)
        _number(problems, f"{path}.max_length", item.get("max_length"), 1, 4000)
        _length(problems, f"{path}.value", item.get("value"), 0, 4000, required=False)
        _length(problems, f"{path}.placeholder", item.get("placeholder"), 0, 100, required=False)
        return
    if kind in OPTION_RANGE:
        low, high = OPTION_RANGE[kind]
        options = item.get("options")
        if not isinstance(options, list) or not low <= len(options) <= high:
            message = f"Must be between {low} and {high} in length."
            problems[f"{path}.options"] = ("BASE_TYPE_BAD_LENGTH", message)
        for n, option in enumerate(options or []):
            _length(problems, f"{path}.options.{n}.label", option.get("label"), 1, 100)
            _length(problems, f"{path}.options.{n}.value", option.get("value"), 1, 100)
    if kind in (STRING_SELECT, *ENTITY_SELECTS, FILE_UPLOAD, CHECKBOX_GROUP):
        top = VALUE_RANGE.get(kind, 25)
        _number(problems, f"{path}.min_values", item.get("min_values"), 0, top)
        _number(problems, f"{path}.max_values", item.get("max_values"), 1, top)
        if item.get("min_values") == 0 and item.get("required", True):
            message = "min_values must be at least 1 when the component is required"
            problems[f"{path}.min_values"] = ("COMPONENT_INVALID_FIELD", message)


def _check_top(problems: Problems, path: str, top: Any) -> None:
    kind = top.get("type") if isinstance(top, dict) else None
    if kind == LABEL:
        _length(problems, f"{path}.label", top.get("label"), 1, 45)
        _length(problems, f"{path}.description", top.get("description"), 0, 100, required=False)
        child = top.get("component")
        if not isinstance(child, dict) or child.get("type") not in LABEL_CHILDREN:
            message = f"Value of field 'type' must be one of {LABEL_CHILDREN}."
            problems[f"{path}.component"] = ("UNION_TYPE_CHOICES", message)
        else:
            _check_input(problems, f"{path}.component", child, in_label=True)
    elif kind == ACTION_ROW:
        children = top.get("components")
        if not isinstance(children, list) or len(children) != 1:
            message = "An action row in a modal holds exactly one text input"
            problems[f"{path}.components"] = ("BASE_TYPE_BAD_LENGTH", message)
        elif not isinstance(children[0], dict) or children[0].get("type") != TEXT_INPUT:
            message = "Value of field 'type' must be one of (4,)."
            problems[f"{path}.components.0"] = ("UNION_TYPE_CHOICES", message)
        else:
            _check_input(problems, f"{path}.components.0", children[0], in_label=False)
    elif kind == TEXT_DISPLAY:
        _length(problems, f"{path}.content", top.get("content"), 1, 4000)
    else:
        message = f"Value of field 'type' must be one of {(ACTION_ROW, TEXT_DISPLAY, LABEL)}."
        problems[path] = ("UNION_TYPE_CHOICES", message)


def _number_ids(components: list[dict]) -> None:
    """Discord numbers components without an ``id`` in order, skipping ids already taken."""
    every: list[dict] = []
    for top in components:
        every.append(top)
        every.extend(top.get("components") or [])
        if isinstance(top.get("component"), dict):
            every.append(top["component"])
    taken = {c["id"] for c in every if c.get("id")}
    counter = 0
    for item in every:
        if not item.get("id"):
            counter += 1
            while counter in taken:
                counter += 1
            item["id"] = counter


def parse_modal(data: dict) -> FakeModal:
    """The modal of a type 9 callback's ``data``; a 400 / 50035 for anything Discord refuses
    (paths under ``data``, as in Discord's answer)."""
    problems: Problems = {}
    _length(problems, "data.custom_id", data.get("custom_id"), 1, 100)
    _length(problems, "data.title", data.get("title"), 1, 45)
    components = data.get("components")
    if not isinstance(components, list) or not 1 <= len(components) <= 5:
        problems["data.components"] = ("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
        components = []
    for n, top in enumerate(components):
        _check_top(problems, f"data.components.{n}", top)
    if problems:
        raise form_error(problems)
    _number_ids(components)
    modal = FakeModal(str(data["custom_id"]), str(data["title"]), components)
    for n, top in enumerate(components):
        if top["type"] == TEXT_DISPLAY:
            modal.texts.append(top["content"])
            continue
        child = top["component"] if top["type"] == LABEL else top["components"][0]
        label = top["label"] if top["type"] == LABEL else child.get("label")
        custom_id = child["custom_id"]
        if any(f.custom_id == custom_id for f in modal.fields):
            message = "Component custom id cannot be duplicated"
            raise form_error({f"data.components.{n}": ("COMPONENT_CUSTOM_ID_DUPLICATED", message)})
        modal.fields.append(
            ModalField(
                custom_id,
                child["type"],
                label,
                top.get("description"),
                child,
                child["id"],
                top["id"],
            )
        )
    return modal
