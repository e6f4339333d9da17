"""Slash commands: thin adapters from Discord interactions to `bot.discord_app.actions`."""
