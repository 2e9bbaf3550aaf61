-- The secrets domain: clusters, projects, users and memberships, secrets and their encrypted
-- values, assignments with observed status, the append-only audit log, and the durable queue
-- of cluster work. Times are Unix milliseconds (UTC).

CREATE TABLE clusters (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    -- 'simulated' (built in) or 'kubeconfig' (a context in the configured kubeconfig)
    connection  TEXT    NOT NULL CHECK (connection IN ('simulated', 'kubeconfig')),
    context     TEXT,
    created_at  BIGINT NOT NULL
);

CREATE TABLE projects (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                 TEXT    NOT NULL UNIQUE,
    cluster_id           BIGINT NOT NULL REFERENCES clusters (id),
    namespace            TEXT    NOT NULL,
    -- JSON arrays: the stores and remote-key prefixes team members may reference
    allowed_stores       TEXT    NOT NULL DEFAULT '[]',
    allowed_key_prefixes TEXT    NOT NULL DEFAULT '[]',
    created_at           BIGINT NOT NULL,
    UNIQUE (cluster_id, namespace)
);

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL
);

CREATE TABLE memberships (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, project_id)
);
CREATE INDEX memberships_project ON memberships (project_id);

CREATE TABLE secrets (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('External', 'Kubernetes')),
    scope       TEXT    NOT NULL CHECK (scope IN ('Organization', 'Project')),
    project_id  BIGINT REFERENCES projects (id),
    use_case    TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    -- JSON of model::secret::SecretSpec: store, refresh interval, key names. Never values.
    spec        TEXT    NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1,
    -- the rolled-up status, kept in step with the assignments, for filtering and sorting
    status      TEXT    NOT NULL DEFAULT 'Unassigned',
    deleting    BOOLEAN NOT NULL DEFAULT FALSE,
    created_by  TEXT    NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_by  TEXT    NOT NULL,
    updated_at  BIGINT NOT NULL,
    CONSTRAINT secrets_project_scope CHECK ((scope = 'Project') = (project_id IS NOT NULL))
);
CREATE UNIQUE INDEX secrets_org_name ON secrets (name, kind) WHERE scope = 'Organization';
CREATE UNIQUE INDEX secrets_project_name ON secrets (project_id, name) WHERE scope = 'Project';
CREATE INDEX secrets_updated ON secrets (updated_at);
CREATE INDEX secrets_status ON secrets (status);

-- Values of Kubernetes secrets: AES-256-GCM under a per-secret data key, which is itself
-- wrapped by the master key (kept outside the database).
CREATE TABLE secret_values (
    secret_id     BIGINT PRIMARY KEY REFERENCES secrets (id) ON DELETE CASCADE,
    master_key_id TEXT    NOT NULL,
    wrapped_key   BYTEA    NOT NULL,
    nonce         BYTEA    NOT NULL,
    ciphertext    BYTEA    NOT NULL,
    -- keyed hash of the plaintext, to detect drift without decrypting
    fingerprint   TEXT    NOT NULL
);

CREATE TABLE assignments (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    secret_id          BIGINT NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
    project_id         BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    status             TEXT    NOT NULL DEFAULT 'Pending',
    reason             TEXT,
    applied_generation BIGINT,
    last_sync_at       BIGINT,
    last_warning       TEXT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    UNIQUE (secret_id, project_id)
);
CREATE INDEX assignments_project ON assignments (project_id);

-- Append-only: who did what to which secret, with the spec before and after. Never values.
CREATE TABLE audit_entries (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    outcome     TEXT    NOT NULL CHECK (outcome IN ('allowed', 'denied')),
    secret_id   BIGINT,
    secret_name TEXT,
    project_id  BIGINT,
    before_spec TEXT,
    after_spec  TEXT,
    detail      TEXT,
    request_id  TEXT
);
CREATE INDEX audit_entries_secret ON audit_entries (secret_id, at);
CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only';
END;
$$;
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only();

-- Durable cluster work, enqueued in the transaction that changes desired state. One row per
-- assignment: a newer request replaces an older one and bumps `seq`, so a worker that
-- finishes an outdated request does not delete the newer one.
CREATE TABLE work_items (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    secret_id    BIGINT NOT NULL,
    project_id   BIGINT NOT NULL,
    cluster_id   BIGINT NOT NULL,
    op           TEXT    NOT NULL CHECK (op IN ('apply', 'delete', 'sync')),
    seq          BIGINT NOT NULL DEFAULT 1,
    attempts     BIGINT NOT NULL DEFAULT 0,
    not_before   BIGINT NOT NULL,
    locked_until BIGINT,
    last_error   TEXT,
    created_at   BIGINT NOT NULL,
    UNIQUE (secret_id, project_id)
);
CREATE INDEX work_items_due ON work_items (cluster_id, not_before);
