"""`/animate`: turn a prompt, or an image, into a short video."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.asks.videos import VideoOptions
from bot.config.tunables import VIDEO_ASPECTS, VIDEO_RESOLUTIONS
from bot.discord_app.client import ImagineBot
from bot.discord_app.interactions import locale_of, member_of

ASPECT_CHOICES = [app_commands.Choice(name=a, value=a) for a in VIDEO_ASPECTS]
RESOLUTION_CHOICES = [app_commands.Choice(name=r, value=r) for r in VIDEO_RESOLUTIONS]


class Animate(commands.Cog):
    def __init__(self, bot: ImagineBot) -> None:
        self.bot = bot

    @app_commands.command(name="animate", description="Generate a short video with Tencent Cloud")
    @app_commands.guild_only()
    @app_commands.describe(
        prompt="What should happen in the video",
        model="Which video model (and version) to use",
        duration="Length in seconds (each model allows its own)",
        resolution="Video resolution",
        aspect="Shape of the video",
        first_frame="An image the video starts from (JPEG or PNG, up to 10 MB)",
        last_frame="An image the video ends on, for models that take one",
        audio="Add sound, for models that can",
        negative_prompt="What to keep out of the video",
        enhance_prompt="Let the service improve the prompt",
        reference="An image the video should draw on, for models that take reference images",
        style="A style: text added to your prompt",
    )
    @app_commands.choices(aspect=ASPECT_CHOICES, resolution=RESOLUTION_CHOICES)
    async def animate(
        self,
        interaction: discord.Interaction,
        prompt: app_commands.Range[str, 1, 2000],
        model: str | None = None,
        duration: app_commands.Range[int, 1, 60] | None = None,
        resolution: app_commands.Choice[str] | None = None,
        aspect: app_commands.Choice[str] | None = None,
        first_frame: discord.Attachment | None = None,
        last_frame: discord.Attachment | None = None,
        audio: bool = False,
        negative_prompt: app_commands.Range[str, 1, 2000] | None = None,
        enhance_prompt: bool | None = None,
        reference: discord.Attachment | None = None,
        style: str | None = None,
    ) -> None:
        """Generate a short video with Tencent Cloud."""
        member = member_of(interaction)
        actions = self.bot.frontend.jobs
        first = await actions.frame(first_frame) if first_frame else None
        last = await actions.frame(last_frame) if last_frame else None
        references = (await actions.frame(reference),) if reference else ()
        name, _, version = (model or "").partition(":")
        options = VideoOptions(
            prompt=prompt,
            model=name or None,
            version=version or None,
            duration=duration,
            resolution=resolution.value if resolution else None,
            aspect=aspect.value if aspect else None,
            first_frame=first,
            last_frame=last,
            audio=audio,
            negative_prompt=negative_prompt,
            enhance_prompt=enhance_prompt,
            references=references,
            style=style,
        )
        ticket = await self.bot.services.jobs.ask_video(member, options)
        await actions.launch(interaction, member, ticket)

    @animate.autocomplete("model")
    async def model_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        jobs = self.bot.services.jobs
        guild_id = interaction.guild_id or 0
        choices = jobs.video_model_choices(guild_id, current, locale_of(interaction))
        return [app_commands.Choice(name=label, value=value) for label, value in choices[:25]]

    @animate.autocomplete("style")
    async def style_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        styles = self.bot.services.styles
        found = await styles.choices(interaction.guild_id or 0, current, locale_of(interaction))
        return [app_commands.Choice(name=label, value=value) for label, value in found[:25]]


async def setup(bot: ImagineBot) -> None:
    await bot.add_cog(Animate(bot))
