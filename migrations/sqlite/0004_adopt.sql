-- Set when an admin explicitly adopts a same-named object the console does not own: the next
-- apply of this assignment takes it over (server-side apply with force), then it is cleared.
ALTER TABLE assignments ADD COLUMN adopt BOOLEAN NOT NULL DEFAULT FALSE;
