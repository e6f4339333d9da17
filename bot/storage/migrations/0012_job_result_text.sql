-- A result that is a text rather than a file: what the image tool Describe answers
-- (DescribeImageTaskDetail's Output.Content). Kept with its job, since the member may
-- press "Imagine this" on it long after it was posted.
ALTER TABLE jobs ADD COLUMN result_text TEXT;
