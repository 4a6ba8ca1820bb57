-- A webhook source of the platform `gateway` takes the gateway's own events of every area;
-- the platforms' sources take only their own area's. Each source says whether an unknown
-- number in its events registers one (on for the sources that existed, as before).
-- SQLite changes a CHECK only by rebuilding the table.
CREATE TABLE webhook_sources_new (
    name              TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants (id),
    platform          TEXT NOT NULL
                      CHECK (platform IN ('pilotstatus', 'messagesender', 'email', 'gateway')),
    secret            TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    revoked_at        INTEGER,
    register_numbers  INTEGER NOT NULL DEFAULT 1
);

INSERT INTO webhook_sources_new (name, tenant_id, platform, secret, created_at, revoked_at)
SELECT name, tenant_id, platform, secret, created_at, revoked_at FROM webhook_sources;

DROP TABLE webhook_sources;

ALTER TABLE webhook_sources_new RENAME TO webhook_sources;
