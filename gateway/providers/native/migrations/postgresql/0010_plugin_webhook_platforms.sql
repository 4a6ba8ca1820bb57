-- Platforms are plugins: a webhook source's platform is any installed platform's webhook name
-- (the gateway checks it against those when the source is created), not one of a fixed list.
ALTER TABLE webhook_sources DROP CONSTRAINT webhook_sources_platform_check;

ALTER TABLE webhook_sources ADD CONSTRAINT webhook_sources_platform_check
    CHECK (length(platform) BETWEEN 1 AND 64);
