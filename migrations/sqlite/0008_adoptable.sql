-- Whether an assignment's Failed status is a collision with a same-named object the console
-- does not own, which an admin may adopt: recorded by the status engine from what the
-- reconciler saw, so the page no longer reads it from the reason's words.
ALTER TABLE assignments ADD COLUMN adoptable BOOLEAN NOT NULL DEFAULT FALSE;
