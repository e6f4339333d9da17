"""Loopback fakes of the services the bot talks to."""
