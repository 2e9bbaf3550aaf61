-- People and power: an admin can disable a user, change their role and reset their password,
-- and every such change (and every sign-in, successful or not) is one audit entry.
--
-- `must_change_password`: set by a password reset; the user chooses a new password at their
-- next sign-in before anything else (server::auth).
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
-- Audit entries about people: whom an entry concerns (the user's email, for user changes) and
-- the client address a sign-in came from.
ALTER TABLE audit_entries ADD COLUMN target TEXT;
ALTER TABLE audit_entries ADD COLUMN client_address TEXT;
-- The Audit page filters by actor, action and project, newest first (by id).
CREATE INDEX audit_entries_actor ON audit_entries (actor, id);
CREATE INDEX audit_entries_action ON audit_entries (action, id);
CREATE INDEX audit_entries_project ON audit_entries (project_id, id);
