-- Platforms are plugins: a webhook source's platform is any installed platform's webhook name
-- (the gateway checks it against those when the source is created), not one of a fixed list.
-- SQLite changes a CHECK only by rebuilding the table.
CREATE TABLE webhook_sources_new (
    name              TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants (id),
    platform          TEXT NOT NULL CHECK (length(platform) BETWEEN 1 AND 64),
    secret            TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    revoked_at        INTEGER,
    register_numbers  INTEGER NOT NULL DEFAULT 1
);

INSERT INTO webhook_sources_new
    (name, tenant_id, platform, secret, created_at, revoked_at, register_numbers)
SELECT name, tenant_id, platform, secret, created_at, revoked_at, register_numbers
FROM webhook_sources;

DROP TABLE webhook_sources;

ALTER TABLE webhook_sources_new RENAME TO webhook_sources;
