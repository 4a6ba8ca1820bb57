-- A WhatsApp number may live at an upstream platform: its data is then fetched, not stored.
ALTER TABLE numbers ADD COLUMN source TEXT NOT NULL DEFAULT 'native';
