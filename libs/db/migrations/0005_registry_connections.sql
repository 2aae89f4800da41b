-- Presence is ordered by connection: when the sensor's current MQTT connection was accepted (a Last Will or
-- disconnect of an older connection, possibly reported late by another gateway replica, is then ignored).
ALTER TABLE sensors ADD COLUMN IF NOT EXISTS connected_at timestamptz;
-- What the device reports about itself beyond the known status fields (bounded by the contract). Kept apart
-- from `metadata`, which only operators write: a device can neither overwrite an operator's key nor grow it.
ALTER TABLE sensors ADD COLUMN IF NOT EXISTS reported_metadata jsonb NOT NULL DEFAULT '{}'::jsonb;
