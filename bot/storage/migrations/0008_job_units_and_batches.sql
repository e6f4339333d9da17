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
UPDATE jobs SET units = CAST(json_extract(options_json, '$.count') AS INTEGER)
    WHERE kind = 'image' AND CASE WHEN json_valid(options_json)
        THEN json_type(options_json, '$.count') = 'integer'
            AND json_extract(options_json, '$.count') > 1
        ELSE 0 END;
CREATE INDEX jobs_batch ON jobs(batch_id);
