-- Ingest keeps the rollups itself, set-wise: each batch computes every bucket's change once and
-- upserts each rollup row once (gateway/providers/native/ingest/), in SQL both stores share.
-- The per-row triggers that kept them go; the checks that a message's placement never changes
-- stay.
DROP TRIGGER messages_rollup_insert;
DROP TRIGGER messages_rollup_status;
DROP TRIGGER messages_rollup_delete;
DROP TRIGGER sms_rollup_insert;
DROP TRIGGER sms_rollup_status;
DROP TRIGGER sms_debit_insert;
DROP TRIGGER sms_debit_status;
DROP TRIGGER contacts_total_insert;
DROP TRIGGER contacts_total_update;
DROP TRIGGER contacts_total_delete;
DROP TRIGGER email_link_unique;
DROP TRIGGER email_recipient_insert;
DROP TRIGGER email_recipient_sent;
DROP TRIGGER email_recipient_open;
DROP TRIGGER email_recipient_click;
DROP TRIGGER email_recipient_bounce;
DROP TRIGGER email_recipient_unsubscribe;

-- Credits as a ledger, whatever order events arrive in: the balance is billing_accounts'
-- opening balance, plus the billing.credits deltas, less what dispatched messages cost.
-- (A store migrated from the triggers keeps its balances as its opening ones.)
CREATE TABLE billing_ledger (
    tenant_id  TEXT PRIMARY KEY,
    purchased  INTEGER NOT NULL DEFAULT 0,
    included   INTEGER NOT NULL DEFAULT 0,
    spent      INTEGER NOT NULL DEFAULT 0
);

-- sms_messages.debited now reads "dispatched": a sent or delivered status was seen, in any
-- order (a sent after a failed still shows dispatch). A status waiting for its message keeps
-- that too.
ALTER TABLE pending_sms_statuses ADD COLUMN dispatched INTEGER NOT NULL DEFAULT 0;
