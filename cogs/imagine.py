"""`/imagine`: turn a prompt into images."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.asks.images import ImageOptions
from bot.config.tunables import ASPECTS, IMAGE_RESOLUTIONS, OUTPUT_FORMATS
from bot.discord_app.client import ImagineBot
from bot.discord_app.interactions import locale_of, member_of

ASPECT_CHOICES = [app_commands.Choice(name=a, value=a) for a in ASPECTS]
RESOLUTION_CHOICES = [app_commands.Choice(name=r, value=r) for r in IMAGE_RESOLUTIONS]
FORMAT_CHOICES = [app_commands.Choice(name=f.upper(), value=f) for f in OUTPUT_FORMATS]


class Imagine(commands.Cog):
    def __init__(self, bot: ImagineBot) -> None:
        self.bot = bot

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
        count="How many images (each is its own task, billed and counted)",
        resolution="Output resolution, for models that take one",
        output_format="JPEG or PNG",
        style="A style: text added to your prompt",
        spoiler="Post the images hidden behind a spoiler",
        reference2="A second reference image, for models that take several",
        reference3="A third reference image, for models that take several",
    )
    @app_commands.choices(
        aspect=ASPECT_CHOICES, resolution=RESOLUTION_CHOICES, output_format=FORMAT_CHOICES
    )
    async def imagine(
        self,
        interaction: discord.Interaction,
        prompt: app_commands.Range[str, 1, 1000],
        negative_prompt: app_commands.Range[str, 1, 1000] | None = None,
        model: str | None = None,
        aspect: app_commands.Choice[str] | None = None,
        size: app_commands.Range[str, 3, 11] | None = None,
        reference: discord.Attachment | None = None,
        enhance_prompt: bool | None = None,
        count: app_commands.Range[int, 1, 4] = 1,
        resolution: app_commands.Choice[str] | None = None,
        output_format: app_commands.Choice[str] | None = None,
        style: str | None = None,
        spoiler: bool = False,
        reference2: discord.Attachment | None = None,
        reference3: discord.Attachment | None = None,
    ) -> None:
        """Generate an image with Tencent Cloud."""
        member = member_of(interaction)
        actions = self.bot.frontend.jobs
        given = [a for a in (reference, reference2, reference3) if a is not None]
        references = tuple([await actions.reference(a) for a in given])
        name, _, version = (model or "").partition(":")
        options = ImageOptions(
            prompt=prompt,
            model=name or None,
            version=version or None,
            negative_prompt=negative_prompt,
            size=size,
            aspect=aspect.value if aspect else None,
            references=references,
            count=count,
            enhance_prompt=enhance_prompt,
            resolution=resolution.value if resolution else None,
            output_format=output_format.value if output_format else None,
            style=style,
            spoiler=spoiler,
        )
        ticket = await self.bot.services.jobs.ask_image(member, options)
        await actions.launch(interaction, member, ticket)

    @imagine.autocomplete("model")
    async def model_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """The models and versions this server allows, each with its time and price."""
        jobs = self.bot.services.jobs
        choices = jobs.model_choices(interaction.guild_id or 0, current, locale_of(interaction))
        return [app_commands.Choice(name=label, value=value) for label, value in choices[:25]]

    @imagine.autocomplete("style")
    async def style_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """The built-in styles and this server's, named in the member's language."""
        styles = self.bot.services.styles
        found = await styles.choices(interaction.guild_id or 0, current, locale_of(interaction))
        return [app_commands.Choice(name=label, value=value) for label, value in found[:25]]


async def setup(bot: ImagineBot) -> None:
    await bot.add_cog(Imagine(bot))
