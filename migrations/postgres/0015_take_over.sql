-- Set when an admin brings an existing object the console does not own under management
-- ("Manage with the console"): the apply takes it over only while the live object's content
-- (a Secret's type and data, an ExternalSecret's spec) equals what the console would write, so
-- taking ownership adds the console's labels and annotations and never changes the data.
-- Cleared by the first apply that succeeds.
ALTER TABLE assignments ADD COLUMN take_over BOOLEAN NOT NULL DEFAULT FALSE;
