-- A member's own defaults for /imagine and /animate: one row per preference they set (the
-- value as JSON), per server. Written by the preference store only
-- (bot/storage/preferences.py); a member who set nothing has no rows.
CREATE TABLE member_preferences (
    guild_id        INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    name            TEXT NOT NULL,
    value_json      TEXT NOT NULL,
    updated_at      REAL NOT NULL,
    PRIMARY KEY (guild_id, user_id, name)
);

-- A server's own styles: text added to the prompt, and an optional negative prompt.
-- `name_key` is the name folded for comparison (one "Ghibli" per server, however it is
-- typed); `name` is kept as the admin typed it. Written by the style store only
-- (bot/storage/styles.py).
CREATE TABLE guild_styles (
    guild_id        INTEGER NOT NULL,
    name_key        TEXT NOT NULL,
    name            TEXT NOT NULL,
    prompt          TEXT NOT NULL,
    negative_prompt TEXT,
    created_by      INTEGER NOT NULL,
    created_at      REAL NOT NULL,
    PRIMARY KEY (guild_id, name_key)
);
