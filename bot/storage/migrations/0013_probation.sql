-- Probation: the results of a member on probation (a role, or a recent join) are held for
-- a moderator. One row per held batch, by its first job's id; the result files stay on
-- disk while the jobs wait in `ready`. Written by the moderation core (bot/moderation/).
CREATE TABLE probation_holds (
    job_id          INTEGER PRIMARY KEY REFERENCES jobs(id),
    guild_id        INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    created_at      REAL NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',
    decided_by      INTEGER,
    decided_at      REAL,
    log_channel_id  INTEGER,
    log_message_id  INTEGER,
    told_at         REAL
);
CREATE INDEX probation_holds_guild ON probation_holds(guild_id, status);
