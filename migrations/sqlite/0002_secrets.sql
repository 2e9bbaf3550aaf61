-- The secrets domain: clusters, projects, users and memberships, secrets and their encrypted
-- values, assignments with observed status, the append-only audit log, and the durable queue
-- of cluster work. Times are Unix milliseconds (UTC).

CREATE TABLE clusters (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL UNIQUE,
    -- 'simulated' (built in) or 'kubeconfig' (a context in the configured kubeconfig)
    connection  TEXT    NOT NULL CHECK (connection IN ('simulated', 'kubeconfig')),
    context     TEXT,
    created_at  INTEGER NOT NULL
);

CREATE TABLE projects (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    name                 TEXT    NOT NULL UNIQUE,
    cluster_id           INTEGER NOT NULL REFERENCES clusters (id),
    namespace            TEXT    NOT NULL,
    -- JSON arrays: the stores and remote-key prefixes team members may reference
    allowed_stores       TEXT    NOT NULL DEFAULT '[]',
    allowed_key_prefixes TEXT    NOT NULL DEFAULT '[]',
    created_at           INTEGER NOT NULL,
    UNIQUE (cluster_id, namespace)
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    INTEGER NOT NULL
);

CREATE TABLE memberships (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, project_id)
);
CREATE INDEX memberships_project ON memberships (project_id);

CREATE TABLE secrets (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('External', 'Kubernetes')),
    scope       TEXT    NOT NULL CHECK (scope IN ('Organization', 'Project')),
    project_id  INTEGER REFERENCES projects (id),
    use_case    TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    -- JSON of model::secret::SecretSpec: store, refresh interval, key names. Never values.
    spec        TEXT    NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    -- the rolled-up status, kept in step with the assignments, for filtering and sorting
    status      TEXT    NOT NULL DEFAULT 'Unassigned',
    deleting    BOOLEAN NOT NULL DEFAULT FALSE,
    created_by  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_by  TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL,
    CONSTRAINT secrets_project_scope CHECK ((scope = 'Project') = (project_id IS NOT NULL))
);
CREATE UNIQUE INDEX secrets_org_name ON secrets (name, kind) WHERE scope = 'Organization';
CREATE UNIQUE INDEX secrets_project_name ON secrets (project_id, name) WHERE scope = 'Project';
CREATE INDEX secrets_updated ON secrets (updated_at);
CREATE INDEX secrets_status ON secrets (status);

-- Values of Kubernetes secrets: AES-256-GCM under a per-secret data key, which is itself
-- wrapped by the master key (kept outside the database).
CREATE TABLE secret_values (
    secret_id     INTEGER PRIMARY KEY REFERENCES secrets (id) ON DELETE CASCADE,
    master_key_id TEXT    NOT NULL,
    wrapped_key   BLOB    NOT NULL,
    nonce         BLOB    NOT NULL,
    ciphertext    BLOB    NOT NULL,
    -- keyed hash of the plaintext, to detect drift without decrypting
    fingerprint   TEXT    NOT NULL
);

CREATE TABLE assignments (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    secret_id          INTEGER NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
    project_id         INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    status             TEXT    NOT NULL DEFAULT 'Pending',
    reason             TEXT,
    applied_generation INTEGER,
    last_sync_at       INTEGER,
    last_warning       TEXT,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    UNIQUE (secret_id, project_id)
);
CREATE INDEX assignments_project ON assignments (project_id);

-- Append-only: who did what to which secret, with the spec before and after. Never values.
CREATE TABLE audit_entries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    outcome     TEXT    NOT NULL CHECK (outcome IN ('allowed', 'denied')),
    secret_id   INTEGER,
    secret_name TEXT,
    project_id  INTEGER,
    before_spec TEXT,
    after_spec  TEXT,
    detail      TEXT,
    request_id  TEXT
);
CREATE INDEX audit_entries_secret ON audit_entries (secret_id, at);
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, 'audit entries are append-only');
END;
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, 'audit entries are append-only');
END;

-- Durable cluster work, enqueued in the transaction that changes desired state. One row per
-- assignment: a newer request replaces an older one and bumps `seq`, so a worker that
-- finishes an outdated request does not delete the newer one.
CREATE TABLE work_items (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    secret_id    INTEGER NOT NULL,
    project_id   INTEGER NOT NULL,
    cluster_id   INTEGER NOT NULL,
    op           TEXT    NOT NULL CHECK (op IN ('apply', 'delete', 'sync')),
    seq          INTEGER NOT NULL DEFAULT 1,
    attempts     INTEGER NOT NULL DEFAULT 0,
    not_before   INTEGER NOT NULL,
    locked_until INTEGER,
    last_error   TEXT,
    created_at   INTEGER NOT NULL,
    UNIQUE (secret_id, project_id)
);
CREATE INDEX work_items_due ON work_items (cluster_id, not_before);
