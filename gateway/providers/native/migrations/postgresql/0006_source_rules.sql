-- A webhook source of the platform `gateway` takes the gateway's own events of every area;
-- the platforms' sources take only their own area's. Each source says whether an unknown
-- number in its events registers one (on for the sources that existed, as before).
ALTER TABLE webhook_sources DROP CONSTRAINT webhook_sources_platform_check;

ALTER TABLE webhook_sources ADD CONSTRAINT webhook_sources_platform_check
    CHECK (platform IN ('pilotstatus', 'messagesender', 'email', 'gateway'));

ALTER TABLE webhook_sources ADD COLUMN register_numbers INTEGER NOT NULL DEFAULT 1;
