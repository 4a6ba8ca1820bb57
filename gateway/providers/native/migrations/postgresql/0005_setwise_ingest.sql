-- Ingest keeps the rollups itself, set-wise: each batch computes every bucket's change once and
-- upserts each rollup row once (gateway/providers/native/ingest/), in SQL both stores share.
-- The per-row triggers that kept them go; the checks that a message's placement never changes
-- stay.
DROP TRIGGER messages_rollup_insert ON messages;
DROP TRIGGER messages_rollup_status ON messages;
DROP TRIGGER messages_rollup_delete ON messages;
DROP TRIGGER sms_rollup_insert ON sms_messages;
DROP TRIGGER sms_rollup_status ON sms_messages;
DROP TRIGGER sms_debit_insert ON sms_messages;
DROP TRIGGER sms_debit_status ON sms_messages;
DROP TRIGGER contacts_total_insert ON contacts;
DROP TRIGGER contacts_total_update ON contacts;
DROP TRIGGER contacts_total_delete ON contacts;
DROP TRIGGER email_link_unique ON email_link_recipients;
DROP TRIGGER email_recipient_insert ON email_recipients;
DROP TRIGGER email_recipient_sent ON email_recipients;
DROP TRIGGER email_recipient_open ON email_recipients;
DROP TRIGGER email_recipient_click ON email_recipients;
DROP TRIGGER email_recipient_bounce ON email_recipients;
DROP TRIGGER email_recipient_unsubscribe ON email_recipients;
DROP FUNCTION messages_rollup_insert();
DROP FUNCTION messages_rollup_status();
DROP FUNCTION messages_rollup_delete();
DROP FUNCTION sms_rollup_insert();
DROP FUNCTION sms_rollup_status();
DROP FUNCTION sms_debit();
DROP FUNCTION contacts_total_insert();
DROP FUNCTION contacts_total_update();
DROP FUNCTION contacts_total_delete();
DROP FUNCTION email_link_unique();
DROP FUNCTION email_recipient_insert();
DROP FUNCTION email_recipient_sent();
DROP FUNCTION email_recipient_first();
DROP FUNCTION email_recipient_bounce();
DROP FUNCTION email_bucket_add(BIGINT, BIGINT, TEXT, TEXT, INTEGER);

-- Credits as a ledger, whatever order events arrive in: the balance is billing_accounts'
-- opening balance, plus the billing.credits deltas, less what dispatched messages cost.
-- (A store migrated from the triggers keeps its balances as its opening ones.)
CREATE TABLE billing_ledger (
    tenant_id  TEXT PRIMARY KEY,
    purchased  BIGINT NOT NULL DEFAULT 0,
    included   BIGINT NOT NULL DEFAULT 0,
    spent      BIGINT NOT NULL DEFAULT 0
);

-- sms_messages.debited now reads "dispatched": a sent or delivered status was seen, in any
-- order (a sent after a failed still shows dispatch). A status waiting for its message keeps
-- that too.
ALTER TABLE pending_sms_statuses ADD COLUMN dispatched INTEGER NOT NULL DEFAULT 0;
