"""`/animate`: turn a prompt, or an image, into a short video."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.asks.videos import VideoOptions
from bot.config.tunables import VIDEO_ASPECTS, VIDEO_RESOLUTIONS, Tunables
from bot.discord_app.frontend import FrontEnd

ASPECT_CHOICES = [app_commands.Choice(name=a, value=a) for a in VIDEO_ASPECTS]
RESOLUTION_CHOICES = [app_commands.Choice(name=r, value=r) for r in VIDEO_RESOLUTIONS]


class Animate(commands.Cog):
    def __init__(self, frontend: FrontEnd | None, tunables: Tunables) -> None:
        self.frontend = frontend
        self.tunables = tunables

    @app_commands.command(name="animate", description="Generate a short video with Tencent Cloud")
    @app_commands.guild_only()
    @app_commands.describe(
        prompt="What should happen in the video",
        model="Which video model (and version) to use",
        duration="Length in seconds (each model allows its own)",
        resolution="Video resolution",
        aspect="Shape of the video",
        first_frame="An image the video starts from (JPEG, PNG or WebP, up to 7 MB)",
        last_frame="An image the video ends on, for models that take one",
        audio="Add sound, for models that can",
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
    ) -> None:
        """Generate a short video with Tencent Cloud."""
        assert self.frontend is not None
        actions = self.frontend.actions
        first = await actions.reference_url(first_frame) if first_frame else None
        last = await actions.reference_url(last_frame) if last_frame else None
        name, _, version = (model or "").partition(":")
        await actions.start_video(
            interaction,
            VideoOptions(
                prompt=prompt,
                model=name or None,
                version=version or None,
                duration=duration,
                resolution=resolution.value if resolution else None,
                aspect=aspect.value if aspect else None,
                first_frame=first,
                last_frame=last,
                audio=audio,
            ),
        )

    @animate.autocomplete("model")
    async def model_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        wanted = current.lower()
        choices = []
        for spec in self.tunables.video_models.values():
            for version in spec.versions:
                label = f"{spec.name} {version}"
                if wanted in label.lower():
                    choices.append(app_commands.Choice(name=label, value=f"{spec.name}:{version}"))
        return choices[:25]


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Animate(bot.frontend, bot.tunables))  # type: ignore[attr-defined]
