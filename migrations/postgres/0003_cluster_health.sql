-- Whether each cluster's API server answers, as last probed by the reconciling replica.
ALTER TABLE clusters ADD COLUMN health TEXT NOT NULL DEFAULT 'unknown'
    CHECK (health IN ('unknown', 'reachable', 'unreachable'));
ALTER TABLE clusters ADD COLUMN health_checked_at BIGINT;
-- Why it is unreachable, in words (never a credential).
ALTER TABLE clusters ADD COLUMN health_error TEXT;
-- The API server's gitVersion, when it answered.
ALTER TABLE clusters ADD COLUMN server_version TEXT;
