-- When External Secrets Operator last fetched an assignment's values (its ExternalSecret's
-- `status.refreshTime`, Unix milliseconds), so the detail page can say when ESO last refreshed
-- and when it will next: a real ESO sees a change at the provider only then (or on Sync now).
ALTER TABLE assignments ADD COLUMN eso_refreshed_at BIGINT;
