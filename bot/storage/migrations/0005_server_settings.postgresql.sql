-- PostgreSQL's twin of 0005_server_settings.sql: SQLite's json_quote is to_json here.
-- A server's moderation settings join its other settings: one row of guild_settings per
-- value the server chose (as JSON), written by the server settings store only
-- (bot/rules/server_settings_store.py). Defaults are not copied: a server that never set
-- a value keeps reading the default.
INSERT INTO guild_settings (guild_id, name, value_json, updated_at)
    SELECT guild_id, 'log_channel_id', CAST(log_channel_id AS TEXT), updated_at
    FROM moderation_settings WHERE log_channel_id IS NOT NULL;
INSERT INTO guild_settings (guild_id, name, value_json, updated_at)
    SELECT guild_id, 'moderator_role_id', CAST(moderator_role_id AS TEXT), updated_at
    FROM moderation_settings WHERE moderator_role_id IS NOT NULL;
INSERT INTO guild_settings (guild_id, name, value_json, updated_at)
    SELECT guild_id, 'blocked_words', blocked_words, updated_at
    FROM moderation_settings WHERE blocked_words <> '[]';
INSERT INTO guild_settings (guild_id, name, value_json, updated_at)
    SELECT guild_id, 'warning_text', to_json(warning_text)::text, updated_at
    FROM moderation_settings WHERE warning_text IS NOT NULL;
INSERT INTO guild_settings (guild_id, name, value_json, updated_at)
    SELECT guild_id, 'auto_block_count', CAST(auto_block_count AS TEXT), updated_at
    FROM moderation_settings WHERE auto_block_count <> 0;
INSERT INTO guild_settings (guild_id, name, value_json, updated_at)
    SELECT guild_id, 'auto_block_days', CAST(auto_block_days AS TEXT), updated_at
    FROM moderation_settings WHERE auto_block_days <> 7;
DROP TABLE moderation_settings;
