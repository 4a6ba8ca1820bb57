-- SMS campaigns and messages, contacts, billing and credits, email campaigns and events,
-- webhook sources and ingest idempotency. Every rollup below is kept by triggers.

CREATE TABLE campaigns (
    id            INTEGER PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    channel       TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
    external_id   TEXT NOT NULL,
    name          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('draft', 'scheduled', 'sending', 'completed',
                                                  'failed', 'canceled')),
    created_at    INTEGER NOT NULL,
    sent_at       INTEGER,
    completed_at  INTEGER,
    UNIQUE (tenant_id, channel, external_id)
);

CREATE INDEX campaigns_by_created ON campaigns (tenant_id, channel, created_at);

-- status: 0 queued, 1 sent, 2 failed, 3 delivered. credits: what the message costs once
-- dispatched; debited marks that it has been charged.
CREATE TABLE sms_messages (
    id           INTEGER PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    campaign_id  INTEGER REFERENCES campaigns (id),
    external_id  TEXT NOT NULL,
    sent_at      INTEGER NOT NULL CHECK (sent_at >= 0),
    status       INTEGER NOT NULL CHECK (status IN (0, 1, 2, 3)),
    is_test      INTEGER NOT NULL DEFAULT 0,
    credits      INTEGER NOT NULL DEFAULT 1,
    debited      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (tenant_id, external_id)
);

CREATE INDEX sms_by_tenant_time ON sms_messages (tenant_id, sent_at);

CREATE TABLE sms_buckets (
    tenant_id  TEXT NOT NULL,
    bucket     INTEGER NOT NULL,
    queued     INTEGER NOT NULL DEFAULT 0,
    sent       INTEGER NOT NULL DEFAULT 0,
    failed     INTEGER NOT NULL DEFAULT 0,
    delivered  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, bucket)
) WITHOUT ROWID;

CREATE TABLE campaign_counts (
    campaign_id  INTEGER PRIMARY KEY,
    queued       INTEGER NOT NULL DEFAULT 0,
    sent         INTEGER NOT NULL DEFAULT 0,
    failed       INTEGER NOT NULL DEFAULT 0,
    delivered    INTEGER NOT NULL DEFAULT 0
);

CREATE TRIGGER sms_rollup_insert AFTER INSERT ON sms_messages
WHEN NEW.is_test = 0
BEGIN
    INSERT INTO sms_buckets (tenant_id, bucket, queued, sent, failed, delivered)
    VALUES (NEW.tenant_id, NEW.sent_at / 900, NEW.status = 0, NEW.status = 1, NEW.status = 2,
            NEW.status = 3)
    ON CONFLICT (tenant_id, bucket) DO UPDATE SET
        queued = queued + excluded.queued, sent = sent + excluded.sent,
        failed = failed + excluded.failed, delivered = delivered + excluded.delivered;
    INSERT INTO campaign_counts (campaign_id, queued, sent, failed, delivered)
    SELECT NEW.campaign_id, NEW.status = 0, NEW.status = 1, NEW.status = 2, NEW.status = 3
    WHERE NEW.campaign_id IS NOT NULL
    ON CONFLICT (campaign_id) DO UPDATE SET
        queued = queued + excluded.queued, sent = sent + excluded.sent,
        failed = failed + excluded.failed, delivered = delivered + excluded.delivered;
END;

CREATE TRIGGER sms_rollup_status AFTER UPDATE OF status ON sms_messages
WHEN NEW.is_test = 0 AND NEW.status <> OLD.status
BEGIN
    UPDATE sms_buckets SET
        queued = queued + (NEW.status = 0) - (OLD.status = 0),
        sent = sent + (NEW.status = 1) - (OLD.status = 1),
        failed = failed + (NEW.status = 2) - (OLD.status = 2),
        delivered = delivered + (NEW.status = 3) - (OLD.status = 3)
    WHERE tenant_id = NEW.tenant_id AND bucket = NEW.sent_at / 900;
    UPDATE campaign_counts SET
        queued = queued + (NEW.status = 0) - (OLD.status = 0),
        sent = sent + (NEW.status = 1) - (OLD.status = 1),
        failed = failed + (NEW.status = 2) - (OLD.status = 2),
        delivered = delivered + (NEW.status = 3) - (OLD.status = 3)
    WHERE campaign_id = NEW.campaign_id;
END;

CREATE TRIGGER sms_placement_is_fixed BEFORE UPDATE OF tenant_id, campaign_id, sent_at, is_test
ON sms_messages
WHEN NEW.tenant_id IS NOT OLD.tenant_id OR NEW.campaign_id IS NOT OLD.campaign_id
     OR NEW.sent_at IS NOT OLD.sent_at OR NEW.is_test IS NOT OLD.is_test
BEGIN
    SELECT RAISE(ABORT, 'an SMS message''s tenant, campaign, send time and test flag cannot change');
END;

-- Contacts, with their current totals kept per tenant.
CREATE TABLE contacts (
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    external_id   TEXT NOT NULL,
    phone         TEXT,
    email         TEXT,
    is_textable   INTEGER NOT NULL DEFAULT 0,
    is_opted_in   INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, external_id)
) WITHOUT ROWID;

CREATE INDEX contacts_by_created ON contacts (tenant_id, created_at);

CREATE TABLE contact_totals (
    tenant_id  TEXT PRIMARY KEY,
    total      INTEGER NOT NULL DEFAULT 0,
    textable   INTEGER NOT NULL DEFAULT 0,
    opted_out  INTEGER NOT NULL DEFAULT 0
);

CREATE TRIGGER contacts_total_insert AFTER INSERT ON contacts
BEGIN
    INSERT INTO contact_totals (tenant_id, total, textable, opted_out)
    VALUES (NEW.tenant_id, 1, NEW.is_textable <> 0, NEW.is_opted_in = 0)
    ON CONFLICT (tenant_id) DO UPDATE SET
        total = total + 1, textable = textable + excluded.textable,
        opted_out = opted_out + excluded.opted_out;
END;

CREATE TRIGGER contacts_total_update AFTER UPDATE OF is_textable, is_opted_in ON contacts
BEGIN
    UPDATE contact_totals SET
        textable = textable + (NEW.is_textable <> 0) - (OLD.is_textable <> 0),
        opted_out = opted_out + (NEW.is_opted_in = 0) - (OLD.is_opted_in = 0)
    WHERE tenant_id = NEW.tenant_id;
END;

CREATE TRIGGER contacts_total_delete AFTER DELETE ON contacts
BEGIN
    UPDATE contact_totals SET
        total = total - 1,
        textable = textable - (OLD.is_textable <> 0),
        opted_out = opted_out - (OLD.is_opted_in = 0)
    WHERE tenant_id = OLD.tenant_id;
END;

-- Billing as MessageSender describes it. available: purchased credits; included: this period's
-- subscription credits, spent first.
CREATE TABLE billing_accounts (
    tenant_id          TEXT PRIMARY KEY REFERENCES tenants (id),
    organization_id    TEXT NOT NULL,
    brand              TEXT,
    billing_status     TEXT NOT NULL,
    pricing_model      TEXT NOT NULL,
    subscription       TEXT,
    portal_urls        TEXT NOT NULL DEFAULT '{}',
    credit_products    TEXT NOT NULL DEFAULT '[]',
    available_credits  INTEGER NOT NULL DEFAULT 0,
    included_credits   INTEGER NOT NULL DEFAULT 0,
    updated_at         INTEGER NOT NULL
);

-- A message is charged once, when it is first known to have been dispatched: sent or delivered
-- (a failure before dispatch costs nothing). Test sends are free.
CREATE TRIGGER sms_debit_insert AFTER INSERT ON sms_messages
WHEN NEW.is_test = 0 AND NEW.status IN (1, 3)
BEGIN
    UPDATE billing_accounts SET
        included_credits = max(included_credits - NEW.credits, 0),
        available_credits = available_credits - max(NEW.credits - included_credits, 0)
    WHERE tenant_id = NEW.tenant_id;
    UPDATE sms_messages SET debited = 1 WHERE id = NEW.id;
END;

CREATE TRIGGER sms_debit_status AFTER UPDATE OF status ON sms_messages
WHEN NEW.is_test = 0 AND NEW.debited = 0 AND NEW.status IN (1, 3)
BEGIN
    UPDATE billing_accounts SET
        included_credits = max(included_credits - NEW.credits, 0),
        available_credits = available_credits - max(NEW.credits - included_credits, 0)
    WHERE tenant_id = NEW.tenant_id;
    UPDATE sms_messages SET debited = 1 WHERE id = NEW.id;
END;

-- Email: one row per (campaign, recipient) holding the first time of each thing that happened
-- to it. bounce: 0 none, 1 soft, 2 hard (a hard bounce outranks a soft one).
CREATE TABLE email_recipients (
    campaign_id      INTEGER NOT NULL REFERENCES campaigns (id),
    recipient        TEXT NOT NULL,
    tenant_id        TEXT NOT NULL,
    sent_at          INTEGER,
    first_open_at    INTEGER,
    first_click_at   INTEGER,
    bounce           INTEGER NOT NULL DEFAULT 0 CHECK (bounce IN (0, 1, 2)),
    bounced_at       INTEGER,
    unsubscribed_at  INTEGER,
    PRIMARY KEY (campaign_id, recipient)
) WITHOUT ROWID;

-- Per campaign and 15-minute bucket of when each thing happened (a histogram counts each event
-- on its own day); cohort_* count by the bucket of the recipient's send time instead.
CREATE TABLE email_buckets (
    campaign_id      INTEGER NOT NULL,
    bucket           INTEGER NOT NULL,
    tenant_id        TEXT NOT NULL,
    sent             INTEGER NOT NULL DEFAULT 0,
    opens            INTEGER NOT NULL DEFAULT 0,
    unique_opens     INTEGER NOT NULL DEFAULT 0,
    clicks           INTEGER NOT NULL DEFAULT 0,
    unique_clicks    INTEGER NOT NULL DEFAULT 0,
    soft_bounces     INTEGER NOT NULL DEFAULT 0,
    hard_bounces     INTEGER NOT NULL DEFAULT 0,
    unsubscribes     INTEGER NOT NULL DEFAULT 0,
    cohort_bounced   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, bucket)
) WITHOUT ROWID;

CREATE INDEX email_buckets_by_tenant ON email_buckets (tenant_id, bucket);

CREATE TABLE email_counts (
    campaign_id    INTEGER PRIMARY KEY,
    sent           INTEGER NOT NULL DEFAULT 0,
    opened         INTEGER NOT NULL DEFAULT 0,
    clicked        INTEGER NOT NULL DEFAULT 0,
    opens          INTEGER NOT NULL DEFAULT 0,
    clicks         INTEGER NOT NULL DEFAULT 0,
    soft_bounced   INTEGER NOT NULL DEFAULT 0,
    hard_bounced   INTEGER NOT NULL DEFAULT 0,
    unsubscribed   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE email_links (
    campaign_id  INTEGER NOT NULL,
    url          TEXT NOT NULL,
    clicks       INTEGER NOT NULL DEFAULT 0,
    unique_clicks INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, url)
) WITHOUT ROWID;

CREATE TABLE email_link_recipients (
    campaign_id  INTEGER NOT NULL,
    url          TEXT NOT NULL,
    recipient    TEXT NOT NULL,
    PRIMARY KEY (campaign_id, url, recipient)
) WITHOUT ROWID;

CREATE TRIGGER email_link_unique AFTER INSERT ON email_link_recipients
BEGIN
    UPDATE email_links SET unique_clicks = unique_clicks + 1
    WHERE campaign_id = NEW.campaign_id AND url = NEW.url;
END;

-- The recipient triggers move counts between buckets when a "first time" moves earlier (a late
-- event), and count a recipient once in the campaign totals.
CREATE TRIGGER email_recipient_insert AFTER INSERT ON email_recipients
BEGIN
    INSERT INTO email_counts (campaign_id, sent, opened, clicked, soft_bounced, hard_bounced,
                              unsubscribed)
    VALUES (NEW.campaign_id, NEW.sent_at IS NOT NULL, NEW.first_open_at IS NOT NULL,
            NEW.first_click_at IS NOT NULL, NEW.bounce = 1, NEW.bounce = 2,
            NEW.unsubscribed_at IS NOT NULL)
    ON CONFLICT (campaign_id) DO UPDATE SET
        sent = sent + excluded.sent, opened = opened + excluded.opened,
        clicked = clicked + excluded.clicked, soft_bounced = soft_bounced + excluded.soft_bounced,
        hard_bounced = hard_bounced + excluded.hard_bounced,
        unsubscribed = unsubscribed + excluded.unsubscribed;
    INSERT INTO email_buckets (campaign_id, bucket, tenant_id, sent, cohort_bounced)
    SELECT NEW.campaign_id, NEW.sent_at / 900, NEW.tenant_id, 1, NEW.bounce > 0
    WHERE NEW.sent_at IS NOT NULL
    ON CONFLICT (campaign_id, bucket) DO UPDATE SET
        sent = sent + 1, cohort_bounced = cohort_bounced + excluded.cohort_bounced;
    INSERT INTO email_buckets (campaign_id, bucket, tenant_id, unique_opens)
    SELECT NEW.campaign_id, NEW.first_open_at / 900, NEW.tenant_id, 1
    WHERE NEW.first_open_at IS NOT NULL
    ON CONFLICT (campaign_id, bucket) DO UPDATE SET unique_opens = unique_opens + 1;
    INSERT INTO email_buckets (campaign_id, bucket, tenant_id, unique_clicks)
    SELECT NEW.campaign_id, NEW.first_click_at / 900, NEW.tenant_id, 1
    WHERE NEW.first_click_at IS NOT NULL
    ON CONFLICT (campaign_id, bucket) DO UPDATE SET unique_clicks = unique_clicks + 1;
    INSERT INTO email_buckets (campaign_id, bucket, tenant_id, soft_bounces, hard_bounces)
    SELECT NEW.campaign_id, NEW.bounced_at / 900, NEW.tenant_id, NEW.bounce = 1, NEW.bounce = 2
    WHERE NEW.bounce > 0
    ON CONFLICT (campaign_id, bucket) DO UPDATE SET
        soft_bounces = soft_bounces + excluded.soft_bounces,
        hard_bounces = hard_bounces + excluded.hard_bounces;
    INSERT INTO email_buckets (campaign_id, bucket, tenant_id, unsubscribes)
    SELECT NEW.campaign_id, NEW.unsubscribed_at / 900, NEW.tenant_id, 1
    WHERE NEW.unsubscribed_at IS NOT NULL
    ON CONFLICT (campaign_id, bucket) DO UPDATE SET unsubscribes = unsubscribes + 1;
END;

CREATE TRIGGER email_recipient_sent AFTER UPDATE OF sent_at ON email_recipients
WHEN OLD.sent_at IS NULL AND NEW.sent_at IS NOT NULL
BEGIN
    UPDATE email_counts SET sent = sent + 1 WHERE campaign_id = NEW.campaign_id;
    INSERT INTO email_buckets (campaign_id, bucket, tenant_id, sent, cohort_bounced)
    VALUES (NEW.campaign_id, NEW.sent_at / 900, NEW.tenant_id, 1, NEW.bounce > 0)
    ON CONFLICT (campaign_id, bucket) DO UPDATE SET
        sent = sent + 1, cohort_bounced = cohort_bounced + excluded.cohort_bounced;
END;

CREATE TRIGGER email_recipient_open AFTER UPDATE OF first_open_at ON email_recipients
WHEN NEW.first_open_at IS NOT OLD.first_open_at
BEGIN
    UPDATE email_counts SET opened = opened + (OLD.first_open_at IS NULL)
    WHERE campaign_id = NEW.campaign_id;
    UPDATE email_buckets SET unique_opens = unique_opens - 1
    WHERE campaign_id = NEW.campaign_id AND bucket = OLD.first_open_at / 900;
    INSERT INTO email_buckets (campaign_id, bucket, tenant_id, unique_opens)
    VALUES (NEW.campaign_id, NEW.first_open_at / 900, NEW.tenant_id, 1)
    ON CONFLICT (campaign_id, bucket) DO UPDATE SET unique_opens = unique_opens + 1;
END;

CREATE TRIGGER email_recipient_click AFTER UPDATE OF first_click_at ON email_recipients
WHEN NEW.first_click_at IS NOT OLD.first_click_at
BEGIN
    UPDATE email_counts SET clicked = clicked + (OLD.first_click_at IS NULL)
    WHERE campaign_id = NEW.campaign_id;
    UPDATE email_buckets SET unique_clicks = unique_clicks - 1
    WHERE campaign_id = NEW.campaign_id AND bucket = OLD.first_click_at / 900;
    INSERT INTO email_buckets (campaign_id, bucket, tenant_id, unique_clicks)
    VALUES (NEW.campaign_id, NEW.first_click_at / 900, NEW.tenant_id, 1)
    ON CONFLICT (campaign_id, bucket) DO UPDATE SET unique_clicks = unique_clicks + 1;
END;

CREATE TRIGGER email_recipient_bounce AFTER UPDATE OF bounce, bounced_at ON email_recipients
WHEN NEW.bounce IS NOT OLD.bounce OR NEW.bounced_at IS NOT OLD.bounced_at
BEGIN
    UPDATE email_counts SET
        soft_bounced = soft_bounced + (NEW.bounce = 1) - (OLD.bounce = 1),
        hard_bounced = hard_bounced + (NEW.bounce = 2) - (OLD.bounce = 2)
    WHERE campaign_id = NEW.campaign_id;
    UPDATE email_buckets SET
        soft_bounces = soft_bounces - (OLD.bounce = 1),
        hard_bounces = hard_bounces - (OLD.bounce = 2)
    WHERE OLD.bounce > 0 AND campaign_id = NEW.campaign_id AND bucket = OLD.bounced_at / 900;
    INSERT INTO email_buckets (campaign_id, bucket, tenant_id, soft_bounces, hard_bounces)
    VALUES (NEW.campaign_id, NEW.bounced_at / 900, NEW.tenant_id, NEW.bounce = 1, NEW.bounce = 2)
    ON CONFLICT (campaign_id, bucket) DO UPDATE SET
        soft_bounces = soft_bounces + excluded.soft_bounces,
        hard_bounces = hard_bounces + excluded.hard_bounces;
    UPDATE email_buckets SET cohort_bounced = cohort_bounced + 1
    WHERE OLD.bounce = 0 AND NEW.sent_at IS NOT NULL AND campaign_id = NEW.campaign_id
          AND bucket = NEW.sent_at / 900;
END;

CREATE TRIGGER email_recipient_unsubscribe AFTER UPDATE OF unsubscribed_at ON email_recipients
WHEN NEW.unsubscribed_at IS NOT OLD.unsubscribed_at
BEGIN
    UPDATE email_counts SET unsubscribed = unsubscribed + (OLD.unsubscribed_at IS NULL)
    WHERE campaign_id = NEW.campaign_id;
    UPDATE email_buckets SET unsubscribes = unsubscribes - 1
    WHERE campaign_id = NEW.campaign_id AND bucket = OLD.unsubscribed_at / 900;
    INSERT INTO email_buckets (campaign_id, bucket, tenant_id, unsubscribes)
    VALUES (NEW.campaign_id, NEW.unsubscribed_at / 900, NEW.tenant_id, 1)
    ON CONFLICT (campaign_id, bucket) DO UPDATE SET unsubscribes = unsubscribes + 1;
END;

-- Event ids already applied, per tenant: a webhook retried or an import replayed counts once.
CREATE TABLE ingested_events (
    tenant_id  TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, event_id)
) WITHOUT ROWID;

-- Webhook endpoints: POST /webhooks/{name}, signed with the source's secret, for one tenant.
CREATE TABLE webhook_sources (
    name        TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    platform    TEXT NOT NULL CHECK (platform IN ('pilotstatus', 'messagesender', 'email')),
    secret      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

-- SMS status events for messages not yet known (WhatsApp's wait in pending_statuses).
CREATE TABLE pending_sms_statuses (
    tenant_id    TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    status       INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, external_id)
) WITHOUT ROWID;
