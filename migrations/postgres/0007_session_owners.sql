-- Session ids are stored as their SHA-256 (server::db::session_store), so a copy of this table
-- holds no cookie that signs anyone in; and each session names its user, so "sign out
-- everywhere" and disabling a user can end all of theirs at once. Sessions stored before this
-- held their ids in the clear: they end (everyone signs in again).
DELETE FROM sessions;
ALTER TABLE sessions ADD COLUMN user_id BIGINT;
CREATE INDEX sessions_user ON sessions (user_id);
