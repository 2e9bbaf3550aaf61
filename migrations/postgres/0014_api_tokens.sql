-- Personal API tokens for automation (server::auth::tokens owns this table). A token is shown
-- once when it is created; only its SHA-256 is kept, so a copy of this table signs nobody in.
-- Times are Unix milliseconds. A revoked token keeps its row (for the lists and the audit) with
-- `revoked_at` set; deleting its user deletes its tokens.
CREATE TABLE api_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    hint         TEXT    NOT NULL,
    read_only    BOOLEAN NOT NULL,
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT,
    revoked_by   TEXT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
