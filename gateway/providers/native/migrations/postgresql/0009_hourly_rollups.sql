-- Each 15-minute rollup summed again per UTC hour, kept by triggers on the rollup itself (so
-- every writer of a rollup keeps its hours). A local day then reads its whole hours here and
-- only the quarters at its edges (zones at :30 and :45) from the 15-minute rollup: a 90-day
-- window reads some 2,200 rows instead of 8,640 per number or tenant, in any zone.
-- The triggers are statement-level, over the statement's transition tables: one set-wise upsert
-- per rollup statement (row-level PL/pgSQL triggers cost bulk import about a third).

CREATE TABLE message_hours (
    number_id        BIGINT NOT NULL,
    hour             BIGINT NOT NULL,
    queued           INTEGER NOT NULL DEFAULT 0,
    sent             INTEGER NOT NULL DEFAULT 0,
    failed           INTEGER NOT NULL DEFAULT 0,
    delivered        INTEGER NOT NULL DEFAULT 0,
    read             INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (number_id, hour)
);

INSERT INTO message_hours (number_id, hour, queued, sent, failed, delivered, read)
SELECT number_id, bucket / 4, sum(queued), sum(sent), sum(failed), sum(delivered), sum(read)
FROM message_buckets GROUP BY number_id, bucket / 4;

CREATE FUNCTION message_hours_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO message_hours (number_id, hour, queued, sent, failed, delivered, read)
    SELECT number_id, bucket / 4, sum(queued), sum(sent), sum(failed), sum(delivered), sum(read)
    FROM inserted GROUP BY number_id, bucket / 4 ORDER BY 1, 2
    ON CONFLICT (number_id, hour) DO UPDATE SET
        queued = message_hours.queued + excluded.queued,
        sent = message_hours.sent + excluded.sent,
        failed = message_hours.failed + excluded.failed,
        delivered = message_hours.delivered + excluded.delivered,
        read = message_hours.read + excluded.read;
    RETURN NULL;
END;
$$;

CREATE TRIGGER message_hours_inserted AFTER INSERT ON message_buckets
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION message_hours_inserted();

CREATE FUNCTION message_hours_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO message_hours (number_id, hour, queued, sent, failed, delivered, read)
    SELECT number_id, hour, sum(queued), sum(sent), sum(failed), sum(delivered), sum(read)
    FROM (SELECT number_id, bucket / 4 AS hour, queued, sent, failed, delivered, read FROM updated
        UNION ALL SELECT number_id, bucket / 4, -queued, -sent, -failed, -delivered, -read FROM replaced) AS moved GROUP BY number_id, hour ORDER BY 1, 2
    ON CONFLICT (number_id, hour) DO UPDATE SET
        queued = message_hours.queued + excluded.queued,
        sent = message_hours.sent + excluded.sent,
        failed = message_hours.failed + excluded.failed,
        delivered = message_hours.delivered + excluded.delivered,
        read = message_hours.read + excluded.read;
    RETURN NULL;
END;
$$;

CREATE TRIGGER message_hours_updated AFTER UPDATE ON message_buckets
    REFERENCING OLD TABLE AS replaced NEW TABLE AS updated
    FOR EACH STATEMENT EXECUTE FUNCTION message_hours_updated();

CREATE FUNCTION message_hours_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO message_hours (number_id, hour, queued, sent, failed, delivered, read)
    SELECT number_id, bucket / 4, -sum(queued), -sum(sent), -sum(failed), -sum(delivered), -sum(read)
    FROM removed GROUP BY number_id, bucket / 4 ORDER BY 1, 2
    ON CONFLICT (number_id, hour) DO UPDATE SET
        queued = message_hours.queued + excluded.queued,
        sent = message_hours.sent + excluded.sent,
        failed = message_hours.failed + excluded.failed,
        delivered = message_hours.delivered + excluded.delivered,
        read = message_hours.read + excluded.read;
    RETURN NULL;
END;
$$;

CREATE TRIGGER message_hours_removed AFTER DELETE ON message_buckets
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION message_hours_removed();

CREATE TABLE tenant_message_hours (
    tenant_id        TEXT NOT NULL,
    hour             BIGINT NOT NULL,
    queued           INTEGER NOT NULL DEFAULT 0,
    sent             INTEGER NOT NULL DEFAULT 0,
    failed           INTEGER NOT NULL DEFAULT 0,
    delivered        INTEGER NOT NULL DEFAULT 0,
    read             INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, hour)
);

INSERT INTO tenant_message_hours (tenant_id, hour, queued, sent, failed, delivered, read)
SELECT tenant_id, bucket / 4, sum(queued), sum(sent), sum(failed), sum(delivered), sum(read)
FROM tenant_message_buckets GROUP BY tenant_id, bucket / 4;

CREATE FUNCTION tenant_message_hours_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tenant_message_hours (tenant_id, hour, queued, sent, failed, delivered, read)
    SELECT tenant_id, bucket / 4, sum(queued), sum(sent), sum(failed), sum(delivered), sum(read)
    FROM inserted GROUP BY tenant_id, bucket / 4 ORDER BY 1, 2
    ON CONFLICT (tenant_id, hour) DO UPDATE SET
        queued = tenant_message_hours.queued + excluded.queued,
        sent = tenant_message_hours.sent + excluded.sent,
        failed = tenant_message_hours.failed + excluded.failed,
        delivered = tenant_message_hours.delivered + excluded.delivered,
        read = tenant_message_hours.read + excluded.read;
    RETURN NULL;
END;
$$;

CREATE TRIGGER tenant_message_hours_inserted AFTER INSERT ON tenant_message_buckets
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION tenant_message_hours_inserted();

CREATE FUNCTION tenant_message_hours_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tenant_message_hours (tenant_id, hour, queued, sent, failed, delivered, read)
    SELECT tenant_id, hour, sum(queued), sum(sent), sum(failed), sum(delivered), sum(read)
    FROM (SELECT tenant_id, bucket / 4 AS hour, queued, sent, failed, delivered, read FROM updated
        UNION ALL SELECT tenant_id, bucket / 4, -queued, -sent, -failed, -delivered, -read FROM replaced) AS moved GROUP BY tenant_id, hour ORDER BY 1, 2
    ON CONFLICT (tenant_id, hour) DO UPDATE SET
        queued = tenant_message_hours.queued + excluded.queued,
        sent = tenant_message_hours.sent + excluded.sent,
        failed = tenant_message_hours.failed + excluded.failed,
        delivered = tenant_message_hours.delivered + excluded.delivered,
        read = tenant_message_hours.read + excluded.read;
    RETURN NULL;
END;
$$;

CREATE TRIGGER tenant_message_hours_updated AFTER UPDATE ON tenant_message_buckets
    REFERENCING OLD TABLE AS replaced NEW TABLE AS updated
    FOR EACH STATEMENT EXECUTE FUNCTION tenant_message_hours_updated();

CREATE FUNCTION tenant_message_hours_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tenant_message_hours (tenant_id, hour, queued, sent, failed, delivered, read)
    SELECT tenant_id, bucket / 4, -sum(queued), -sum(sent), -sum(failed), -sum(delivered), -sum(read)
    FROM removed GROUP BY tenant_id, bucket / 4 ORDER BY 1, 2
    ON CONFLICT (tenant_id, hour) DO UPDATE SET
        queued = tenant_message_hours.queued + excluded.queued,
        sent = tenant_message_hours.sent + excluded.sent,
        failed = tenant_message_hours.failed + excluded.failed,
        delivered = tenant_message_hours.delivered + excluded.delivered,
        read = tenant_message_hours.read + excluded.read;
    RETURN NULL;
END;
$$;

CREATE TRIGGER tenant_message_hours_removed AFTER DELETE ON tenant_message_buckets
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION tenant_message_hours_removed();

CREATE TABLE sms_hours (
    tenant_id        TEXT NOT NULL,
    hour             BIGINT NOT NULL,
    queued           INTEGER NOT NULL DEFAULT 0,
    sent             INTEGER NOT NULL DEFAULT 0,
    failed           INTEGER NOT NULL DEFAULT 0,
    delivered        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, hour)
);

INSERT INTO sms_hours (tenant_id, hour, queued, sent, failed, delivered)
SELECT tenant_id, bucket / 4, sum(queued), sum(sent), sum(failed), sum(delivered)
FROM sms_buckets GROUP BY tenant_id, bucket / 4;

CREATE FUNCTION sms_hours_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sms_hours (tenant_id, hour, queued, sent, failed, delivered)
    SELECT tenant_id, bucket / 4, sum(queued), sum(sent), sum(failed), sum(delivered)
    FROM inserted GROUP BY tenant_id, bucket / 4 ORDER BY 1, 2
    ON CONFLICT (tenant_id, hour) DO UPDATE SET
        queued = sms_hours.queued + excluded.queued,
        sent = sms_hours.sent + excluded.sent,
        failed = sms_hours.failed + excluded.failed,
        delivered = sms_hours.delivered + excluded.delivered;
    RETURN NULL;
END;
$$;

CREATE TRIGGER sms_hours_inserted AFTER INSERT ON sms_buckets
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION sms_hours_inserted();

CREATE FUNCTION sms_hours_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sms_hours (tenant_id, hour, queued, sent, failed, delivered)
    SELECT tenant_id, hour, sum(queued), sum(sent), sum(failed), sum(delivered)
    FROM (SELECT tenant_id, bucket / 4 AS hour, queued, sent, failed, delivered FROM updated
        UNION ALL SELECT tenant_id, bucket / 4, -queued, -sent, -failed, -delivered FROM replaced) AS moved GROUP BY tenant_id, hour ORDER BY 1, 2
    ON CONFLICT (tenant_id, hour) DO UPDATE SET
        queued = sms_hours.queued + excluded.queued,
        sent = sms_hours.sent + excluded.sent,
        failed = sms_hours.failed + excluded.failed,
        delivered = sms_hours.delivered + excluded.delivered;
    RETURN NULL;
END;
$$;

CREATE TRIGGER sms_hours_updated AFTER UPDATE ON sms_buckets
    REFERENCING OLD TABLE AS replaced NEW TABLE AS updated
    FOR EACH STATEMENT EXECUTE FUNCTION sms_hours_updated();

CREATE FUNCTION sms_hours_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sms_hours (tenant_id, hour, queued, sent, failed, delivered)
    SELECT tenant_id, bucket / 4, -sum(queued), -sum(sent), -sum(failed), -sum(delivered)
    FROM removed GROUP BY tenant_id, bucket / 4 ORDER BY 1, 2
    ON CONFLICT (tenant_id, hour) DO UPDATE SET
        queued = sms_hours.queued + excluded.queued,
        sent = sms_hours.sent + excluded.sent,
        failed = sms_hours.failed + excluded.failed,
        delivered = sms_hours.delivered + excluded.delivered;
    RETURN NULL;
END;
$$;

CREATE TRIGGER sms_hours_removed AFTER DELETE ON sms_buckets
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION sms_hours_removed();

CREATE TABLE email_hours (
    campaign_id      BIGINT NOT NULL,
    hour             BIGINT NOT NULL,
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
);

CREATE INDEX email_hours_by_tenant ON email_hours (tenant_id, hour);

INSERT INTO email_hours (campaign_id, hour, tenant_id, sent, opens, unique_opens, clicks, unique_clicks, soft_bounces, hard_bounces, unsubscribes, cohort_bounced)
SELECT campaign_id, bucket / 4, tenant_id, sum(sent), sum(opens), sum(unique_opens), sum(clicks), sum(unique_clicks), sum(soft_bounces), sum(hard_bounces), sum(unsubscribes), sum(cohort_bounced)
FROM email_buckets GROUP BY campaign_id, bucket / 4, tenant_id;

CREATE FUNCTION email_hours_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO email_hours (campaign_id, hour, tenant_id, sent, opens, unique_opens, clicks, unique_clicks, soft_bounces, hard_bounces, unsubscribes, cohort_bounced)
    SELECT campaign_id, bucket / 4, tenant_id, sum(sent), sum(opens), sum(unique_opens), sum(clicks), sum(unique_clicks), sum(soft_bounces), sum(hard_bounces), sum(unsubscribes), sum(cohort_bounced)
    FROM inserted GROUP BY campaign_id, bucket / 4, tenant_id ORDER BY 1, 2
    ON CONFLICT (campaign_id, hour) DO UPDATE SET
        sent = email_hours.sent + excluded.sent,
        opens = email_hours.opens + excluded.opens,
        unique_opens = email_hours.unique_opens + excluded.unique_opens,
        clicks = email_hours.clicks + excluded.clicks,
        unique_clicks = email_hours.unique_clicks + excluded.unique_clicks,
        soft_bounces = email_hours.soft_bounces + excluded.soft_bounces,
        hard_bounces = email_hours.hard_bounces + excluded.hard_bounces,
        unsubscribes = email_hours.unsubscribes + excluded.unsubscribes,
        cohort_bounced = email_hours.cohort_bounced + excluded.cohort_bounced;
    RETURN NULL;
END;
$$;

CREATE TRIGGER email_hours_inserted AFTER INSERT ON email_buckets
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION email_hours_inserted();

CREATE FUNCTION email_hours_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO email_hours (campaign_id, hour, tenant_id, sent, opens, unique_opens, clicks, unique_clicks, soft_bounces, hard_bounces, unsubscribes, cohort_bounced)
    SELECT campaign_id, hour, tenant_id, sum(sent), sum(opens), sum(unique_opens), sum(clicks), sum(unique_clicks), sum(soft_bounces), sum(hard_bounces), sum(unsubscribes), sum(cohort_bounced)
    FROM (SELECT campaign_id, bucket / 4 AS hour, tenant_id, sent, opens, unique_opens, clicks, unique_clicks, soft_bounces, hard_bounces, unsubscribes, cohort_bounced FROM updated
        UNION ALL SELECT campaign_id, bucket / 4, tenant_id, -sent, -opens, -unique_opens, -clicks, -unique_clicks, -soft_bounces, -hard_bounces, -unsubscribes, -cohort_bounced FROM replaced) AS moved GROUP BY campaign_id, hour, tenant_id ORDER BY 1, 2
    ON CONFLICT (campaign_id, hour) DO UPDATE SET
        sent = email_hours.sent + excluded.sent,
        opens = email_hours.opens + excluded.opens,
        unique_opens = email_hours.unique_opens + excluded.unique_opens,
        clicks = email_hours.clicks + excluded.clicks,
        unique_clicks = email_hours.unique_clicks + excluded.unique_clicks,
        soft_bounces = email_hours.soft_bounces + excluded.soft_bounces,
        hard_bounces = email_hours.hard_bounces + excluded.hard_bounces,
        unsubscribes = email_hours.unsubscribes + excluded.unsubscribes,
        cohort_bounced = email_hours.cohort_bounced + excluded.cohort_bounced;
    RETURN NULL;
END;
$$;

CREATE TRIGGER email_hours_updated AFTER UPDATE ON email_buckets
    REFERENCING OLD TABLE AS replaced NEW TABLE AS updated
    FOR EACH STATEMENT EXECUTE FUNCTION email_hours_updated();

CREATE FUNCTION email_hours_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO email_hours (campaign_id, hour, tenant_id, sent, opens, unique_opens, clicks, unique_clicks, soft_bounces, hard_bounces, unsubscribes, cohort_bounced)
    SELECT campaign_id, bucket / 4, tenant_id, -sum(sent), -sum(opens), -sum(unique_opens), -sum(clicks), -sum(unique_clicks), -sum(soft_bounces), -sum(hard_bounces), -sum(unsubscribes), -sum(cohort_bounced)
    FROM removed GROUP BY campaign_id, bucket / 4, tenant_id ORDER BY 1, 2
    ON CONFLICT (campaign_id, hour) DO UPDATE SET
        sent = email_hours.sent + excluded.sent,
        opens = email_hours.opens + excluded.opens,
        unique_opens = email_hours.unique_opens + excluded.unique_opens,
        clicks = email_hours.clicks + excluded.clicks,
        unique_clicks = email_hours.unique_clicks + excluded.unique_clicks,
        soft_bounces = email_hours.soft_bounces + excluded.soft_bounces,
        hard_bounces = email_hours.hard_bounces + excluded.hard_bounces,
        unsubscribes = email_hours.unsubscribes + excluded.unsubscribes,
        cohort_bounced = email_hours.cohort_bounced + excluded.cohort_bounced;
    RETURN NULL;
END;
$$;

CREATE TRIGGER email_hours_removed AFTER DELETE ON email_buckets
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION email_hours_removed();
