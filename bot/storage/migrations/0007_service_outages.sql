-- Times the Tencent Cloud account was refused for a reason only its operator can fix
-- (arrears, an unregistered account, a region or action not offered, a rejected key):
-- Creates stop until a probe succeeds. Written by the engine (bot/storage/outages.py);
-- `outage_notices` records which servers' log channels were told, so each is told once.
CREATE TABLE service_outages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    code            TEXT NOT NULL,
    message         TEXT,
    started_at      REAL NOT NULL,
    ended_at        REAL
);
CREATE INDEX service_outages_open ON service_outages(ended_at);
CREATE TABLE outage_notices (
    outage_id       INTEGER NOT NULL REFERENCES service_outages(id),
    guild_id        INTEGER NOT NULL,
    posted_at       REAL NOT NULL,
    PRIMARY KEY (outage_id, guild_id)
);
