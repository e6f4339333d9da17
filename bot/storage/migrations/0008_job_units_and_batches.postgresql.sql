-- PostgreSQL's twin of 0008_job_units_and_batches.sql: the options JSON is read with
-- PostgreSQL's own JSON functions (jobs written by this bot always hold valid JSON).
-- `units`: how many outputs a job bills (images, or videos), which the quotas and /usage
-- count. `batch_id`, `batch_index`, `batch_size`: an ask for several images is several
-- jobs (one task each, since each task makes one image), one batch; `batch_id` is the
-- first job's id (NULL for a job asked alone). Each job of a batch bills 1.
ALTER TABLE jobs ADD COLUMN units INTEGER NOT NULL DEFAULT 1;
ALTER TABLE jobs ADD COLUMN batch_id INTEGER;
ALTER TABLE jobs ADD COLUMN batch_index INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN batch_size INTEGER NOT NULL DEFAULT 1;
-- Before, one task could make up to 4 images (OutputImageCount), kept as "count" in the
-- options JSON: an older image job bills its count (a whole number above 1), any other
-- job 1 (a video task always made one video).
UPDATE jobs SET units = CAST(options_json::jsonb ->> 'count' AS INTEGER)
    WHERE kind = 'image' AND jsonb_typeof(options_json::jsonb -> 'count') = 'number'
        AND options_json::jsonb ->> 'count' ~ '^[0-9]{1,9}$'
        AND CAST(options_json::jsonb ->> 'count' AS INTEGER) > 1;
CREATE INDEX jobs_batch ON jobs(batch_id);
