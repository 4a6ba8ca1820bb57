-- Tenants, API keys, WhatsApp numbers, messages and the 15-minute delivery rollups.

CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    is_demo     INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);

CREATE TABLE numbers (
    id            INTEGER PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    phone_number  TEXT NOT NULL,
    display_name  TEXT,
    created_at    INTEGER NOT NULL,
    UNIQUE (tenant_id, phone_number)
);

-- Only hashes of the key and of the key id are stored; `handle` is the public name of a key.
CREATE TABLE api_keys (
    handle       TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    key_hash     TEXT NOT NULL UNIQUE,
    key_id_hash  TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL CHECK (kind IN ('number', 'tenant')),
    number_id    INTEGER REFERENCES numbers (id),
    scopes       TEXT NOT NULL,
    label        TEXT,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    CHECK (kind = 'number' OR number_id IS NULL)
);

-- status is the rank of the final status: 0 queued, 1 sent, 2 failed, 3 delivered, 4 read.
CREATE TABLE messages (
    id           INTEGER PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    number_id    INTEGER NOT NULL REFERENCES numbers (id),
    external_id  TEXT NOT NULL,
    sent_at      INTEGER NOT NULL CHECK (sent_at >= 0),
    status       INTEGER NOT NULL CHECK (status BETWEEN 0 AND 4),
    is_test      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (tenant_id, external_id)
);

CREATE INDEX messages_by_number_time ON messages (number_id, sent_at);

-- Status events for messages not yet known, kept at their highest status until the message
-- arrives.
CREATE TABLE pending_statuses (
    tenant_id    TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    status       INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, external_id)
) WITHOUT ROWID;

-- Messages by final status per number and 15-minute UTC bucket of send time (test sends left
-- out). Local days fold from these at read time, so a 90-day dashboard reads at most
-- 90 * 96 rows per number whatever the message count.
CREATE TABLE message_buckets (
    number_id  INTEGER NOT NULL,
    bucket     INTEGER NOT NULL,
    queued     INTEGER NOT NULL DEFAULT 0,
    sent       INTEGER NOT NULL DEFAULT 0,
    failed     INTEGER NOT NULL DEFAULT 0,
    delivered  INTEGER NOT NULL DEFAULT 0,
    read       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (number_id, bucket)
) WITHOUT ROWID;

-- The rollups are kept by triggers so that no write path can forget them.
CREATE TRIGGER messages_rollup_insert AFTER INSERT ON messages
WHEN NEW.is_test = 0
BEGIN
    INSERT INTO message_buckets (number_id, bucket, queued, sent, failed, delivered, read)
    VALUES (NEW.number_id, NEW.sent_at / 900, NEW.status = 0, NEW.status = 1, NEW.status = 2,
            NEW.status = 3, NEW.status = 4)
    ON CONFLICT (number_id, bucket) DO UPDATE SET
        queued = queued + excluded.queued,
        sent = sent + excluded.sent,
        failed = failed + excluded.failed,
        delivered = delivered + excluded.delivered,
        read = read + excluded.read;
END;

CREATE TRIGGER messages_rollup_status AFTER UPDATE OF status ON messages
WHEN NEW.is_test = 0 AND NEW.status <> OLD.status
BEGIN
    UPDATE message_buckets SET
        queued = queued + (NEW.status = 0) - (OLD.status = 0),
        sent = sent + (NEW.status = 1) - (OLD.status = 1),
        failed = failed + (NEW.status = 2) - (OLD.status = 2),
        delivered = delivered + (NEW.status = 3) - (OLD.status = 3),
        read = read + (NEW.status = 4) - (OLD.status = 4)
    WHERE number_id = NEW.number_id AND bucket = NEW.sent_at / 900;
END;

CREATE TRIGGER messages_rollup_delete AFTER DELETE ON messages
WHEN OLD.is_test = 0
BEGIN
    UPDATE message_buckets SET
        queued = queued - (OLD.status = 0),
        sent = sent - (OLD.status = 1),
        failed = failed - (OLD.status = 2),
        delivered = delivered - (OLD.status = 3),
        read = read - (OLD.status = 4)
    WHERE number_id = OLD.number_id AND bucket = OLD.sent_at / 900;
END;

-- A message's number, send time and test flag place it in its bucket for good.
CREATE TRIGGER messages_placement_is_fixed BEFORE UPDATE OF number_id, sent_at, is_test ON messages
WHEN NEW.number_id IS NOT OLD.number_id OR NEW.sent_at IS NOT OLD.sent_at
     OR NEW.is_test IS NOT OLD.is_test
BEGIN
    SELECT RAISE(ABORT, 'a message''s number, send time and test flag cannot change');
END;
