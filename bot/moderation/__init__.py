"""Moderation, free of Discord: incidents, blocks, warnings, appeals and the audit log."""
