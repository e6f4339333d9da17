"""`/imagine`: turn a prompt into images."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.asks.images import ImageOptions
from bot.config.tunables import ASPECTS, Tunables
from bot.discord_app.frontend import FrontEnd

ASPECT_CHOICES = [app_commands.Choice(name=a, value=a) for a in ASPECTS]


class Imagine(commands.Cog):
    def __init__(self, frontend: FrontEnd | None, tunables: Tunables) -> None:
        self.frontend = frontend
        self.tunables = tunables

    @app_commands.command(name="imagine", description="Generate an image with Tencent Cloud")
    @app_commands.guild_only()
    @app_commands.describe(
        prompt="What to draw",
        negative_prompt="What to keep out of the image",
        model="Which model (and version) to use",
        aspect="Shape of the image",
        size="Exact size as WIDTHxHEIGHT, for models that take one",
        reference="An image to start from (JPEG, PNG or WebP, up to 7 MB)",
        enhance_prompt="Let the service improve the prompt",
        count="How many images, where the model allows more than one",
    )
    @app_commands.choices(aspect=ASPECT_CHOICES)
    async def imagine(
        self,
        interaction: discord.Interaction,
        prompt: app_commands.Range[str, 1, 1000],
        negative_prompt: app_commands.Range[str, 1, 1000] | None = None,
        model: str | None = None,
        aspect: app_commands.Choice[str] | None = None,
        size: app_commands.Range[str, 3, 11] | None = None,
        reference: discord.Attachment | None = None,
        enhance_prompt: bool = False,
        count: app_commands.Range[int, 1, 4] = 1,
    ) -> None:
        """Generate an image with Tencent Cloud."""
        assert self.frontend is not None
        actions = self.frontend.actions
        references: tuple[str, ...] = ()
        if reference is not None:
            references = (await actions.reference_url(reference),)
        name, _, version = (model or "").partition(":")
        await actions.start(
            interaction,
            ImageOptions(
                prompt=prompt,
                model=name or None,
                version=version or None,
                negative_prompt=negative_prompt,
                size=size,
                aspect=aspect.value if aspect else None,
                references=references,
                count=count,
                enhance_prompt=enhance_prompt,
            ),
        )

    @imagine.autocomplete("model")
    async def model_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        wanted = current.lower()
        choices = []
        allowed = self._allowed_models(interaction.guild_id)
        for spec in self.tunables.models.values():
            if allowed and spec.name not in allowed:
                continue
            for version in spec.versions:
                label = f"{spec.name} {version}"
                if wanted in label.lower():
                    choices.append(app_commands.Choice(name=label, value=f"{spec.name}:{version}"))
        return choices[:25]

    def _allowed_models(self, guild_id: int | None) -> frozenset[str]:
        """The models this server allows (empty: every one)."""
        if self.frontend is None or guild_id is None:
            return frozenset()
        store = self.frontend.engine.rules.settings
        return store.get(guild_id).models if store is not None else frozenset()


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Imagine(bot.frontend, bot.tunables))  # type: ignore[attr-defined]
