-- Each 15-minute rollup summed again per UTC hour, kept by triggers on the rollup itself (so
-- every writer of a rollup keeps its hours). A local day then reads its whole hours here and
-- only the quarters at its edges (zones at :30 and :45) from the 15-minute rollup: a 90-day
-- window reads some 2,200 rows instead of 8,640 per number or tenant, in any zone.

CREATE TABLE message_hours (
    number_id        INTEGER NOT NULL,
    hour             INTEGER NOT NULL,
    queued           INTEGER NOT NULL DEFAULT 0,
    sent             INTEGER NOT NULL DEFAULT 0,
    failed           INTEGER NOT NULL DEFAULT 0,
    delivered        INTEGER NOT NULL DEFAULT 0,
    read             INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (number_id, hour)
) WITHOUT ROWID;

INSERT INTO message_hours (number_id, hour, queued, sent, failed, delivered, read)
SELECT number_id, bucket / 4, sum(queued), sum(sent), sum(failed), sum(delivered), sum(read)
FROM message_buckets GROUP BY number_id, bucket / 4;

CREATE TRIGGER message_hours_insert AFTER INSERT ON message_buckets BEGIN
    INSERT INTO message_hours (number_id, hour, queued, sent, failed, delivered, read)
    VALUES (NEW.number_id, NEW.bucket / 4, NEW.queued, NEW.sent, NEW.failed, NEW.delivered, NEW.read)
    ON CONFLICT (number_id, hour) DO UPDATE SET queued = message_hours.queued + excluded.queued, sent = message_hours.sent + excluded.sent, failed = message_hours.failed + excluded.failed, delivered = message_hours.delivered + excluded.delivered, read = message_hours.read + excluded.read;
END;

-- Ingest only ever moves a row's counters: one statement then; a row moved to another
-- key or hour (by hand) leaves its old hour and joins its new one.
CREATE TRIGGER message_hours_update AFTER UPDATE ON message_buckets
    WHEN NEW.number_id = OLD.number_id AND NEW.bucket / 4 = OLD.bucket / 4 BEGIN
    UPDATE message_hours SET queued = queued + NEW.queued - OLD.queued, sent = sent + NEW.sent - OLD.sent, failed = failed + NEW.failed - OLD.failed, delivered = delivered + NEW.delivered - OLD.delivered, read = read + NEW.read - OLD.read
    WHERE number_id = NEW.number_id AND hour = NEW.bucket / 4;
END;

CREATE TRIGGER message_hours_move AFTER UPDATE ON message_buckets
    WHEN NOT (NEW.number_id = OLD.number_id AND NEW.bucket / 4 = OLD.bucket / 4) BEGIN
    UPDATE message_hours SET queued = queued - OLD.queued, sent = sent - OLD.sent, failed = failed - OLD.failed, delivered = delivered - OLD.delivered, read = read - OLD.read
    WHERE number_id = OLD.number_id AND hour = OLD.bucket / 4;
    INSERT INTO message_hours (number_id, hour, queued, sent, failed, delivered, read)
    VALUES (NEW.number_id, NEW.bucket / 4, NEW.queued, NEW.sent, NEW.failed, NEW.delivered, NEW.read)
    ON CONFLICT (number_id, hour) DO UPDATE SET queued = message_hours.queued + excluded.queued, sent = message_hours.sent + excluded.sent, failed = message_hours.failed + excluded.failed, delivered = message_hours.delivered + excluded.delivered, read = message_hours.read + excluded.read;
END;

CREATE TRIGGER message_hours_delete AFTER DELETE ON message_buckets BEGIN
    UPDATE message_hours SET queued = queued - OLD.queued, sent = sent - OLD.sent, failed = failed - OLD.failed, delivered = delivered - OLD.delivered, read = read - OLD.read
    WHERE number_id = OLD.number_id AND hour = OLD.bucket / 4;
END;

CREATE TABLE tenant_message_hours (
    tenant_id        TEXT NOT NULL,
    hour             INTEGER NOT NULL,
    queued           INTEGER NOT NULL DEFAULT 0,
    sent             INTEGER NOT NULL DEFAULT 0,
    failed           INTEGER NOT NULL DEFAULT 0,
    delivered        INTEGER NOT NULL DEFAULT 0,
    read             INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, hour)
) WITHOUT ROWID;

INSERT INTO tenant_message_hours (tenant_id, hour, queued, sent, failed, delivered, read)
SELECT tenant_id, bucket / 4, sum(queued), sum(sent), sum(failed), sum(delivered), sum(read)
FROM tenant_message_buckets GROUP BY tenant_id, bucket / 4;

CREATE TRIGGER tenant_message_hours_insert AFTER INSERT ON tenant_message_buckets BEGIN
    INSERT INTO tenant_message_hours (tenant_id, hour, queued, sent, failed, delivered, read)
    VALUES (NEW.tenant_id, NEW.bucket / 4, NEW.queued, NEW.sent, NEW.failed, NEW.delivered, NEW.read)
    ON CONFLICT (tenant_id, hour) DO UPDATE SET queued = tenant_message_hours.queued + excluded.queued, sent = tenant_message_hours.sent + excluded.sent, failed = tenant_message_hours.failed + excluded.failed, delivered = tenant_message_hours.delivered + excluded.delivered, read = tenant_message_hours.read + excluded.read;
END;

-- Ingest only ever moves a row's counters: one statement then; a row moved to another
-- key or hour (by hand) leaves its old hour and joins its new one.
CREATE TRIGGER tenant_message_hours_update AFTER UPDATE ON tenant_message_buckets
    WHEN NEW.tenant_id = OLD.tenant_id AND NEW.bucket / 4 = OLD.bucket / 4 BEGIN
    UPDATE tenant_message_hours SET queued = queued + NEW.queued - OLD.queued, sent = sent + NEW.sent - OLD.sent, failed = failed + NEW.failed - OLD.failed, delivered = delivered + NEW.delivered - OLD.delivered, read = read + NEW.read - OLD.read
    WHERE tenant_id = NEW.tenant_id AND hour = NEW.bucket / 4;
END;

CREATE TRIGGER tenant_message_hours_move AFTER UPDATE ON tenant_message_buckets
    WHEN NOT (NEW.tenant_id = OLD.tenant_id AND NEW.bucket / 4 = OLD.bucket / 4) BEGIN
    UPDATE tenant_message_hours SET queued = queued - OLD.queued, sent = sent - OLD.sent, failed = failed - OLD.failed, delivered = delivered - OLD.delivered, read = read - OLD.read
    WHERE tenant_id = OLD.tenant_id AND hour = OLD.bucket / 4;
    INSERT INTO tenant_message_hours (tenant_id, hour, queued, sent, failed, delivered, read)
    VALUES (NEW.tenant_id, NEW.bucket / 4, NEW.queued, NEW.sent, NEW.failed, NEW.delivered, NEW.read)
    ON CONFLICT (tenant_id, hour) DO UPDATE SET queued = tenant_message_hours.queued + excluded.queued, sent = tenant_message_hours.sent + excluded.sent, failed = tenant_message_hours.failed + excluded.failed, delivered = tenant_message_hours.delivered + excluded.delivered, read = tenant_message_hours.read + excluded.read;
END;

CREATE TRIGGER tenant_message_hours_delete AFTER DELETE ON tenant_message_buckets BEGIN
    UPDATE tenant_message_hours SET queued = queued - OLD.queued, sent = sent - OLD.sent, failed = failed - OLD.failed, delivered = delivered - OLD.delivered, read = read - OLD.read
    WHERE tenant_id = OLD.tenant_id AND hour = OLD.bucket / 4;
END;

CREATE TABLE sms_hours (
    tenant_id        TEXT NOT NULL,
    hour             INTEGER NOT NULL,
    queued           INTEGER NOT NULL DEFAULT 0,
    sent             INTEGER NOT NULL DEFAULT 0,
    failed           INTEGER NOT NULL DEFAULT 0,
    delivered        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, hour)
) WITHOUT ROWID;

INSERT INTO sms_hours (tenant_id, hour, queued, sent, failed, delivered)
SELECT tenant_id, bucket / 4, sum(queued), sum(sent), sum(failed), sum(delivered)
FROM sms_buckets GROUP BY tenant_id, bucket / 4;

CREATE TRIGGER sms_hours_insert AFTER INSERT ON sms_buckets BEGIN
    INSERT INTO sms_hours (tenant_id, hour, queued, sent, failed, delivered)
    VALUES (NEW.tenant_id, NEW.bucket / 4, NEW.queued, NEW.sent, NEW.failed, NEW.delivered)
    ON CONFLICT (tenant_id, hour) DO UPDATE SET queued = sms_hours.queued + excluded.queued, sent = sms_hours.sent + excluded.sent, failed = sms_hours.failed + excluded.failed, delivered = sms_hours.delivered + excluded.delivered;
END;

-- Ingest only ever moves a row's counters: one statement then; a row moved to another
-- key or hour (by hand) leaves its old hour and joins its new one.
CREATE TRIGGER sms_hours_update AFTER UPDATE ON sms_buckets
    WHEN NEW.tenant_id = OLD.tenant_id AND NEW.bucket / 4 = OLD.bucket / 4 BEGIN
    UPDATE sms_hours SET queued = queued + NEW.queued - OLD.queued, sent = sent + NEW.sent - OLD.sent, failed = failed + NEW.failed - OLD.failed, delivered = delivered + NEW.delivered - OLD.delivered
    WHERE tenant_id = NEW.tenant_id AND hour = NEW.bucket / 4;
END;

CREATE TRIGGER sms_hours_move AFTER UPDATE ON sms_buckets
    WHEN NOT (NEW.tenant_id = OLD.tenant_id AND NEW.bucket / 4 = OLD.bucket / 4) BEGIN
    UPDATE sms_hours SET queued = queued - OLD.queued, sent = sent - OLD.sent, failed = failed - OLD.failed, delivered = delivered - OLD.delivered
    WHERE tenant_id = OLD.tenant_id AND hour = OLD.bucket / 4;
    INSERT INTO sms_hours (tenant_id, hour, queued, sent, failed, delivered)
    VALUES (NEW.tenant_id, NEW.bucket / 4, NEW.queued, NEW.sent, NEW.failed, NEW.delivered)
    ON CONFLICT (tenant_id, hour) DO UPDATE SET queued = sms_hours.queued + excluded.queued, sent = sms_hours.sent + excluded.sent, failed = sms_hours.failed + excluded.failed, delivered = sms_hours.delivered + excluded.delivered;
END;

CREATE TRIGGER sms_hours_delete AFTER DELETE ON sms_buckets BEGIN
    UPDATE sms_hours SET queued = queued - OLD.queued, sent = sent - OLD.sent, failed = failed - OLD.failed, delivered = delivered - OLD.delivered
    WHERE tenant_id = OLD.tenant_id AND hour = OLD.bucket / 4;
END;

CREATE TABLE email_hours (
    campaign_id      INTEGER NOT NULL,
    hour             INTEGER NOT NULL,
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
    PRIMARY KEY (campaign_id, hour)
) WITHOUT ROWID;

CREATE INDEX email_hours_by_tenant ON email_hours (tenant_id, hour);

INSERT INTO email_hours (campaign_id, hour, tenant_id, sent, opens, unique_opens, clicks, unique_clicks, soft_bounces, hard_bounces, unsubscribes, cohort_bounced)
SELECT campaign_id, bucket / 4, tenant_id, sum(sent), sum(opens), sum(unique_opens), sum(clicks), sum(unique_clicks), sum(soft_bounces), sum(hard_bounces), sum(unsubscribes), sum(cohort_bounced)
FROM email_buckets GROUP BY campaign_id, bucket / 4, tenant_id;

CREATE TRIGGER email_hours_insert AFTER INSERT ON email_buckets BEGIN
    INSERT INTO email_hours (campaign_id, hour, tenant_id, sent, opens, unique_opens, clicks, unique_clicks, soft_bounces, hard_bounces, unsubscribes, cohort_bounced)
    VALUES (NEW.campaign_id, NEW.bucket / 4, NEW.tenant_id, NEW.sent, NEW.opens, NEW.unique_opens, NEW.clicks, NEW.unique_clicks, NEW.soft_bounces, NEW.hard_bounces, NEW.unsubscribes, NEW.cohort_bounced)
    ON CONFLICT (campaign_id, hour) DO UPDATE SET sent = email_hours.sent + excluded.sent, opens = email_hours.opens + excluded.opens, unique_opens = email_hours.unique_opens + excluded.unique_opens, clicks = email_hours.clicks + excluded.clicks, unique_clicks = email_hours.unique_clicks + excluded.unique_clicks, soft_bounces = email_hours.soft_bounces + excluded.soft_bounces, hard_bounces = email_hours.hard_bounces + excluded.hard_bounces, unsubscribes = email_hours.unsubscribes + excluded.unsubscribes, cohort_bounced = email_hours.cohort_bounced + excluded.cohort_bounced;
END;

-- Ingest only ever moves a row's counters: one statement then; a row moved to another
-- key or hour (by hand) leaves its old hour and joins its new one.
CREATE TRIGGER email_hours_update AFTER UPDATE ON email_buckets
    WHEN NEW.campaign_id = OLD.campaign_id AND NEW.bucket / 4 = OLD.bucket / 4 BEGIN
    UPDATE email_hours SET sent = sent + NEW.sent - OLD.sent, opens = opens + NEW.opens - OLD.opens, unique_opens = unique_opens + NEW.unique_opens - OLD.unique_opens, clicks = clicks + NEW.clicks - OLD.clicks, unique_clicks = unique_clicks + NEW.unique_clicks - OLD.unique_clicks, soft_bounces = soft_bounces + NEW.soft_bounces - OLD.soft_bounces, hard_bounces = hard_bounces + NEW.hard_bounces - OLD.hard_bounces, unsubscribes = unsubscribes + NEW.unsubscribes - OLD.unsubscribes, cohort_bounced = cohort_bounced + NEW.cohort_bounced - OLD.cohort_bounced
    WHERE campaign_id = NEW.campaign_id AND hour = NEW.bucket / 4;
END;

CREATE TRIGGER email_hours_move AFTER UPDATE ON email_buckets
    WHEN NOT (NEW.campaign_id = OLD.campaign_id AND NEW.bucket / 4 = OLD.bucket / 4) BEGIN
    UPDATE email_hours SET sent = sent - OLD.sent, opens = opens - OLD.opens, unique_opens = unique_opens - OLD.unique_opens, clicks = clicks - OLD.clicks, unique_clicks = unique_clicks - OLD.unique_clicks, soft_bounces = soft_bounces - OLD.soft_bounces, hard_bounces = hard_bounces - OLD.hard_bounces, unsubscribes = unsubscribes - OLD.unsubscribes, cohort_bounced = cohort_bounced - OLD.cohort_bounced
    WHERE campaign_id = OLD.campaign_id AND hour = OLD.bucket / 4;
    INSERT INTO email_hours (campaign_id, hour, tenant_id, sent, opens, unique_opens, clicks, unique_clicks, soft_bounces, hard_bounces, unsubscribes, cohort_bounced)
    VALUES (NEW.campaign_id, NEW.bucket / 4, NEW.tenant_id, NEW.sent, NEW.opens, NEW.unique_opens, NEW.clicks, NEW.unique_clicks, NEW.soft_bounces, NEW.hard_bounces, NEW.unsubscribes, NEW.cohort_bounced)
    ON CONFLICT (campaign_id, hour) DO UPDATE SET sent = email_hours.sent + excluded.sent, opens = email_hours.opens + excluded.opens, unique_opens = email_hours.unique_opens + excluded.unique_opens, clicks = email_hours.clicks + excluded.clicks, unique_clicks = email_hours.unique_clicks + excluded.unique_clicks, soft_bounces = email_hours.soft_bounces + excluded.soft_bounces, hard_bounces = email_hours.hard_bounces + excluded.hard_bounces, unsubscribes = email_hours.unsubscribes + excluded.unsubscribes, cohort_bounced = email_hours.cohort_bounced + excluded.cohort_bounced;
END;

CREATE TRIGGER email_hours_delete AFTER DELETE ON email_buckets BEGIN
    UPDATE email_hours SET sent = sent - OLD.sent, opens = opens - OLD.opens, unique_opens = unique_opens - OLD.unique_opens, clicks = clicks - OLD.clicks, unique_clicks = unique_clicks - OLD.unique_clicks, soft_bounces = soft_bounces - OLD.soft_bounces, hard_bounces = hard_bounces - OLD.hard_bounces, unsubscribes = unsubscribes - OLD.unsubscribes, cohort_bounced = cohort_bounced - OLD.cohort_bounced
    WHERE campaign_id = OLD.campaign_id AND hour = OLD.bucket / 4;
END;
