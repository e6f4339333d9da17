-- Repeated blocked-word attempts of a member are grouped into one open incident: its number
-- of attempts and when the latest was made (also what the cooldown counts from), and each
-- repeated attempt's words kept in incident_attempts. Written by the moderation core
-- (bot/moderation/) only.
ALTER TABLE incidents ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
ALTER TABLE incidents ADD COLUMN last_attempt_at REAL;
UPDATE incidents SET last_attempt_at = created_at;
CREATE INDEX incidents_attempts ON incidents(guild_id, user_id, code, last_attempt_at);

CREATE TABLE incident_attempts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id     INTEGER NOT NULL REFERENCES incidents(id),
    guild_id        INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    channel_id      INTEGER,
    prompt          TEXT,
    negative_prompt TEXT,
    model           TEXT,
    created_at      REAL NOT NULL
);
CREATE INDEX incident_attempts_incident ON incident_attempts(incident_id, id);
CREATE INDEX incident_attempts_member ON incident_attempts(guild_id, user_id, created_at);
