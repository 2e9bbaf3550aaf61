-- A short-lived feed of "this secret's status changed", written in the transaction that
-- changed it and tailed by the live-update publisher (Server-Sent Events). SQLite commits one
-- writer at a time, so ids appear in commit order. Rows older than a few minutes are pruned.
CREATE TABLE live_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    secret_id  INTEGER NOT NULL,
    at         INTEGER NOT NULL
);
