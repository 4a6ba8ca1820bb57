-- A counter per tenant that ingest bumps in the same transaction as the data, so that every
-- gateway process can tell whose cached answers went stale ('__keys__' counts key changes).
CREATE TABLE tenant_versions (
    tenant_id  TEXT PRIMARY KEY,
    version    BIGINT NOT NULL
);
