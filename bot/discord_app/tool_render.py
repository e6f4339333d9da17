"""How a description (the image tool Describe) reads on its message. A pure function of
the job and the locale, as `render` is for every other result."""

from __future__ import annotations

import discord

from ..engine.downloader import result_text
from ..storage.jobs import Job
from ..text.formatting import elapsed, plain
from ..text.i18n import t

# An embed's description holds 4096 characters; the text is a prompt of about 80 words.
DESCRIPTION_PREVIEW = 3500


def describe_embed(job: Job, locale: str, took: float | None) -> discord.Embed:
    """The description as text (escaped: it is the service's words, shown as they are),
    and how to use it."""
    embed = discord.Embed(
        title=t(locale, "tools.describe.title"),
        description=plain(result_text(job), DESCRIPTION_PREVIEW),
        colour=discord.Colour.green(),
    )
    embed.add_field(name=t(locale, "tools.describe.how"), value=t(locale, "tools.describe.hint"))
    if took is not None:
        embed.add_field(name=t(locale, "discord.field_time"), value=elapsed(took))
    embed.set_footer(
        text=t(locale, "discord.footer", job=job.id, model=t(locale, "tools.name.describe"))
    )
    return embed
