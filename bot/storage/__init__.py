"""SQLite storage: the source of truth for jobs, history, incidents and quotas."""
