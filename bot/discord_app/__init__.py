"""The Discord front end: thin adapters between slash commands and the job engine."""
