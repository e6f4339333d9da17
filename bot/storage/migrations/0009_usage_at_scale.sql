-- Storage at scale: usage is summed in the database from each job's `units` (0008)
-- instead of read out of each job's options JSON.
-- /usage and the quotas read accepted jobs from these indexes alone (each holds every
-- column its questions sum or filter on, in the order they group by), so a year of a busy
-- server is read without touching the table and without sorting it: per day (and the
-- server's quotas), per model, per member (and the member's quotas).
CREATE INDEX jobs_usage ON jobs(guild_id, kind, submitted_at, units)
    WHERE submitted_at IS NOT NULL;
CREATE INDEX jobs_usage_models ON jobs(guild_id, kind, model, submitted_at, units)
    WHERE submitted_at IS NOT NULL;
CREATE INDEX jobs_usage_members ON jobs(guild_id, user_id, kind, submitted_at, units)
    WHERE submitted_at IS NOT NULL;
DROP INDEX jobs_guild_accepted;
DROP INDEX jobs_user_accepted;
-- Jobs that will count once MPS accepts them, for admission (a handful at any time).
CREATE INDEX jobs_unaccepted ON jobs(guild_id, user_id, kind, state)
    WHERE submitted_at IS NULL AND state IN ('queued', 'submitting');
-- Failures of a server by category, for /usage.
CREATE INDEX jobs_failed ON jobs(guild_id, created_at, error_category) WHERE state = 'failed';
-- Start-up: the unfinished jobs (a few among a million), each model's recent durations,
-- and the violations still without an incident (by state and category).
CREATE INDEX jobs_unfinished ON jobs(id)
    WHERE state IN ('queued', 'submitting', 'running', 'downloading', 'ready');
CREATE INDEX jobs_done ON jobs(model, kind, id) WHERE mps_status = 'DONE';
DROP INDEX jobs_state;
CREATE INDEX jobs_state ON jobs(state, error_category);
CREATE INDEX incidents_job ON incidents(job_id);
-- Statistics for the planner, so the new indexes are used from the first question on.
ANALYZE jobs;
