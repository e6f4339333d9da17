-- Which jobs' endings their members were shown: a failure on the job's message, or the
-- results posted. Written by the Discord front end only (like job_messages), once the
-- message says so; a failed job without a row is shown at the next start, so an ending is
-- shown exactly once even when the process stops between the ending and the notice.
CREATE TABLE job_notices (
    job_id          INTEGER PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
    shown_at        REAL NOT NULL
);
-- Jobs that ended before this table existed are not shown again.
INSERT INTO job_notices (job_id, shown_at)
    SELECT id, COALESCE(finished_at, updated_at) FROM jobs
    WHERE state IN ('delivered', 'failed', 'cancelled');
-- Start-up: the failures of the last days, to find those never shown.
CREATE INDEX jobs_failed_recent ON jobs(finished_at) WHERE state = 'failed';
