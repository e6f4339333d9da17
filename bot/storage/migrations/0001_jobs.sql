-- Jobs, their result files, moderation incidents.
CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,
    guild_id        INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    state           TEXT NOT NULL,
    model           TEXT NOT NULL,
    prompt          TEXT,
    request_json    TEXT NOT NULL,
    options_json    TEXT NOT NULL DEFAULT '{}',
    frontend_json   TEXT NOT NULL DEFAULT '{}',
    locale          TEXT,
    task_id         TEXT,
    mps_status      TEXT,
    error_code      TEXT,
    error_message   TEXT,
    error_category  TEXT,
    created_at      REAL NOT NULL,
    submitted_at    REAL,
    mps_final_at    REAL,
    finished_at     REAL,
    updated_at      REAL NOT NULL
);
CREATE INDEX jobs_state ON jobs(state);
CREATE INDEX jobs_user ON jobs(guild_id, user_id, id DESC);
CREATE UNIQUE INDEX jobs_task ON jobs(task_id) WHERE task_id IS NOT NULL;

CREATE TABLE job_results (
    job_id          INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    idx             INTEGER NOT NULL,
    path            TEXT NOT NULL,
    filename        TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size            INTEGER NOT NULL,
    sha256          TEXT NOT NULL,
    PRIMARY KEY (job_id, idx)
);

CREATE TABLE incidents (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id          INTEGER NOT NULL REFERENCES jobs(id),
    guild_id        INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    prompt          TEXT,
    negative_prompt TEXT,
    code            TEXT NOT NULL,
    message         TEXT,
    created_at      REAL NOT NULL,
    status          TEXT NOT NULL DEFAULT 'open',
    reviewer_id     INTEGER,
    reviewed_at     REAL,
    note            TEXT
);
CREATE INDEX incidents_guild ON incidents(guild_id, status, id DESC);
