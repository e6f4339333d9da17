"""Slash commands: thin adapters from Discord interactions to the services.

Each cog turns its options into a service call (`self.bot.services`) and draws the answer
with the Discord layer (`self.bot.frontend`, `bot.discord_app`). The bot loads them by
name (`bot.discord_app.client.EXTENSIONS`)."""
