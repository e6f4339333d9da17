"""Storage on SQLite or PostgreSQL: the source of truth for jobs, history, incidents and
quotas."""
