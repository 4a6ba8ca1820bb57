-- WhatsApp messages by final status per tenant and 15-minute bucket, beside the per-number
-- rollup, so that a tenant-wide figure (the channel comparison) reads 96 rows a day whatever
-- the tenant's number count: summed over 10,000 numbers it held the store for seconds. The
-- minutes of a range off the 15-minute grid (one ending now) come from the tenant's messages
-- by time, not from each number's.
CREATE TABLE tenant_message_buckets (
    tenant_id  TEXT NOT NULL,
    bucket     INTEGER NOT NULL,
    queued     INTEGER NOT NULL DEFAULT 0,
    sent       INTEGER NOT NULL DEFAULT 0,
    failed     INTEGER NOT NULL DEFAULT 0,
    delivered  INTEGER NOT NULL DEFAULT 0,
    read       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, bucket)
) WITHOUT ROWID;

INSERT INTO tenant_message_buckets (tenant_id, bucket, queued, sent, failed, delivered, read)
SELECT n.tenant_id, b.bucket, sum(b.queued), sum(b.sent), sum(b.failed), sum(b.delivered),
       sum(b.read)
FROM message_buckets AS b JOIN numbers AS n ON n.id = b.number_id
GROUP BY n.tenant_id, b.bucket;

CREATE INDEX messages_by_tenant_time ON messages (tenant_id, sent_at);

-- A page of a tenant's campaigns of every channel, newest first, read in index order: ordered by
-- (tenant_id, channel, created_at) only, each page sorted all of the tenant's campaigns.
CREATE INDEX campaigns_by_tenant_created ON campaigns (tenant_id, created_at, id);
