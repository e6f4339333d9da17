-- Moderation: incidents (now also without a job: a server's blocked words stop a prompt
-- before any job exists), the server's moderation settings, blocks, appeals, warnings
-- waiting for a member whose DMs are closed, and the audit log of every moderator action.
-- Written by the moderation core (bot/moderation/) only.
CREATE TABLE incidents_v2 (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id        INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    channel_id      INTEGER,
    job_id          INTEGER REFERENCES jobs(id),
    prompt          TEXT,
    negative_prompt TEXT,
    model           TEXT,
    reference       TEXT,
    code            TEXT NOT NULL,
    message         TEXT,
    created_at      REAL NOT NULL,
    status          TEXT NOT NULL DEFAULT 'open',
    reviewer_id     INTEGER,
    reviewed_at     REAL,
    note            TEXT,
    log_channel_id  INTEGER,
    log_message_id  INTEGER
);
INSERT INTO incidents_v2 (id, guild_id, user_id, job_id, prompt, negative_prompt, code, message,
    created_at, status, reviewer_id, reviewed_at, note)
    SELECT id, guild_id, user_id, job_id, prompt, negative_prompt, code, message, created_at,
        status, reviewer_id, reviewed_at, note FROM incidents;
DROP TABLE incidents;
ALTER TABLE incidents_v2 RENAME TO incidents;
CREATE INDEX incidents_guild ON incidents(guild_id, status, id DESC);
CREATE INDEX incidents_member ON incidents(guild_id, user_id, created_at);

CREATE TABLE moderation_settings (
    guild_id          INTEGER PRIMARY KEY,
    log_channel_id    INTEGER,
    moderator_role_id INTEGER,
    blocked_words     TEXT NOT NULL DEFAULT '[]',
    warning_text      TEXT,
    auto_block_count  INTEGER NOT NULL DEFAULT 0,
    auto_block_days   INTEGER NOT NULL DEFAULT 7,
    updated_at        REAL NOT NULL
);

CREATE TABLE blocks (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    created_by   INTEGER,
    created_at   REAL NOT NULL,
    until        REAL,
    incident_id  INTEGER REFERENCES incidents(id),
    lifted_at    REAL,
    lifted_by    INTEGER
);
CREATE INDEX blocks_member ON blocks(guild_id, user_id, id DESC);

CREATE TABLE appeals (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    block_id        INTEGER NOT NULL UNIQUE REFERENCES blocks(id),
    guild_id        INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    created_at      REAL NOT NULL,
    status          TEXT NOT NULL DEFAULT 'open',
    decided_by      INTEGER,
    decided_at      REAL,
    log_channel_id  INTEGER,
    log_message_id  INTEGER
);

CREATE TABLE pending_warnings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    text        TEXT NOT NULL,
    created_at  REAL NOT NULL,
    shown_at    REAL
);
CREATE INDEX pending_warnings_member ON pending_warnings(guild_id, user_id, shown_at);

CREATE TABLE moderation_audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id    INTEGER NOT NULL,
    actor_id    INTEGER,
    action      TEXT NOT NULL,
    user_id     INTEGER,
    incident_id INTEGER,
    block_id    INTEGER,
    reason      TEXT,
    created_at  REAL NOT NULL
);
CREATE INDEX moderation_audit_member ON moderation_audit(guild_id, user_id, id DESC);
