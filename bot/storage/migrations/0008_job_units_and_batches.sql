-- `units`: how many outputs a job bills (images, or videos), which the quotas and /usage
-- count. `batch_id`, `batch_index`, `batch_size`: an ask for several images is several
-- jobs (one task each, since each task makes one image), one batch; `batch_id` is the
-- first job's id (NULL for a job asked alone).
ALTER TABLE jobs ADD COLUMN units INTEGER NOT NULL DEFAULT 1;
ALTER TABLE jobs ADD COLUMN batch_id INTEGER;
ALTER TABLE jobs ADD COLUMN batch_index INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN batch_size INTEGER NOT NULL DEFAULT 1;
-- Before, one task could make up to 4 images (OutputImageCount), kept as "count" in the
-- options JSON (written by Python's json.dumps: `"count": 3,` or `"count": 3}`).
UPDATE jobs SET units = 2 WHERE kind = 'image'
    AND (options_json LIKE '%"count": 2,%' OR options_json LIKE '%"count": 2}%');
UPDATE jobs SET units = 3 WHERE kind = 'image'
    AND (options_json LIKE '%"count": 3,%' OR options_json LIKE '%"count": 3}%');
UPDATE jobs SET units = 4 WHERE kind = 'image'
    AND (options_json LIKE '%"count": 4,%' OR options_json LIKE '%"count": 4}%');
CREATE INDEX jobs_batch ON jobs(batch_id);
