-- Per-server settings chosen by the server's admins. Written by the server settings
-- store only (bot/rules/server_settings_store.py); a server that set nothing has no rows and
-- reads the tunables' defaults.
CREATE TABLE guild_settings (
    guild_id        INTEGER NOT NULL,
    name            TEXT NOT NULL,
    value_json      TEXT NOT NULL,
    updated_at      REAL NOT NULL,
    PRIMARY KEY (guild_id, name)
);

CREATE TABLE guild_role_limits (
    guild_id        INTEGER NOT NULL,
    role_id         INTEGER NOT NULL,
    daily_per_user  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, role_id)
);

CREATE TABLE guild_user_limits (
    guild_id        INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    daily_per_user  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

CREATE TABLE guild_channels (
    guild_id        INTEGER NOT NULL,
    channel_id      INTEGER NOT NULL,
    PRIMARY KEY (guild_id, channel_id)
);

-- Quotas count the jobs MPS accepted in a day or a month, per server and per member.
CREATE INDEX jobs_guild_accepted ON jobs(guild_id, kind, submitted_at)
    WHERE submitted_at IS NOT NULL;
CREATE INDEX jobs_user_accepted ON jobs(guild_id, user_id, kind, submitted_at)
    WHERE submitted_at IS NOT NULL;
