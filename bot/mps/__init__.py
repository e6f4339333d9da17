"""Everything that talks to (or imitates) Tencent Cloud MPS. Knows nothing of Discord."""
