-- Browser sessions (tower-sessions records, MessagePack-encoded).
CREATE TABLE sessions (
    id          TEXT    PRIMARY KEY NOT NULL,
    data        BLOB    NOT NULL,
    expiry_unix INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry_unix);
