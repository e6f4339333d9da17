"""The forms (modals) a member fills in: Remix's, pre-filled with a result's prompt and
negative prompt, and Use as reference's, which asks for a prompt.

A form only reads what was typed and hands it to the callback it was made with (a method
of `JobActions` that answers its own errors). A form lives in memory for `FORM_LIFETIME`,
as long as the interaction that showed it could still answer: one submitted after a
restart meets Discord's "interaction failed", and the member presses the button again.
Custom ids carry the job (or message) and the member, so two members' forms never share
one in discord.py's modal store.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord
from discord import ui

from ..text.i18n import t

FORM_LIFETIME = 15 * 60
# Discord's limits: a title and a label hold 45 characters, a text input 4,000.
TITLE_MAX = 45
TEXT_MAX = 4000

Submitted = Callable[[discord.Interaction, str | None, str | None], Awaitable[None]]


def _text(name: str, default: str | None, max_length: int, *, required: bool) -> ui.TextInput:
    return ui.TextInput(
        custom_id=name,
        style=discord.TextStyle.paragraph,
        default=(default or "")[:max_length] or None,
        required=required,
        max_length=min(max_length, TEXT_MAX),
    )


class RemixForm(ui.Modal):
    """The prompt and negative prompt of a result, to change before it is made again."""

    def __init__(
        self,
        *,
        job_id: int,
        user_id: int,
        locale: str,
        prompt: str | None,
        negative_prompt: str | None,
        max_chars: int,
        submitted: Submitted,
    ) -> None:
        title = t(locale, "remix.form_title", job=job_id)[:TITLE_MAX]
        super().__init__(
            title=title, timeout=FORM_LIFETIME, custom_id=f"remix:form:{job_id}:{user_id}"
        )
        self.prompt = _text("prompt", prompt, max_chars, required=False)
        self.negative = _text("negative_prompt", negative_prompt, max_chars, required=False)
        self.add_item(ui.Label(text=t(locale, "remix.form_prompt"), component=self.prompt))
        self.add_item(ui.Label(text=t(locale, "remix.form_negative"), component=self.negative))
        self._submitted = submitted

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self._submitted(interaction, self.prompt.value or None, self.negative.value or None)


class PromptForm(ui.Modal):
    """A prompt for an image the member picked (Use as reference)."""

    def __init__(
        self,
        *,
        message_id: int,
        user_id: int,
        locale: str,
        max_chars: int,
        submitted: Submitted,
    ) -> None:
        title = t(locale, "menus.reference_title")[:TITLE_MAX]
        super().__init__(
            title=title, timeout=FORM_LIFETIME, custom_id=f"reference:form:{message_id}:{user_id}"
        )
        self.prompt = _text("prompt", None, max_chars, required=True)
        self.add_item(
            ui.Label(
                text=t(locale, "menus.reference_prompt"),
                description=t(locale, "menus.reference_hint"),
                component=self.prompt,
            )
        )
        self._submitted = submitted

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self._submitted(interaction, self.prompt.value or None, None)
