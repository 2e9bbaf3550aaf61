-- Assigning an organization secret by selector (issue 21, point 1). Projects carry labels
-- (a JSON object of Kubernetes-style `key: value` pairs); a secret may name selectors over them
-- (`env=prod,team=payments`, `tier in (a,b)`, `!legacy`), and each project a selector matches
-- is assigned the secret, including projects created or relabelled later. An assignment that
-- only a selector keeps is marked `by_selector`, so it goes when no selector matches any more;
-- one named explicitly stays.
ALTER TABLE projects ADD COLUMN labels TEXT NOT NULL DEFAULT '{}';
ALTER TABLE assignments ADD COLUMN by_selector BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE secret_selectors (
    secret_id  BIGINT  NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
    -- the selector in its canonical text (`domain::labels::Selector`'s Display)
    selector   TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (secret_id, selector)
);
