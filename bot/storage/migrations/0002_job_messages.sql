-- The Discord message that shows each job. Written by the Discord front end only: the
-- engine owns the jobs table and never touches this one.
CREATE TABLE job_messages (
    job_id          INTEGER PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
    channel_id      INTEGER NOT NULL,
    message_id      INTEGER NOT NULL,
    updated_at      REAL NOT NULL
);
