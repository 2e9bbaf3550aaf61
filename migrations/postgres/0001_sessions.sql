-- Browser sessions (tower-sessions records, MessagePack-encoded).
CREATE TABLE sessions (
    id          TEXT   PRIMARY KEY NOT NULL,
    data        BYTEA  NOT NULL,
    expiry_unix BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry_unix);
