//! The audit log: one append-only entry per state change and per denied action.
//!
//! There is no update or delete function here, and the database refuses both (triggers in
//! migration 0002). Entries hold specs (key names, stores, remote keys), never values.

use sqlx::AnyConnection;

use super::clock::now_ms;

/// Who is acting, and the request it came in on.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The user's email (or `system` for the reconciler and seeding).
    pub email: String,
    /// Correlates the entry with request logs.
    pub request_id: String,
}

impl Actor {
    /// An actor with a fresh request id.
    pub fn new(email: impl Into<String>) -> Self {
        Actor {
            email: email.into(),
            request_id: uuid::Uuid::new_v4().simple().to_string(),
        }
    }
}

/// One entry to append.
#[derive(Debug, Default)]
pub struct Entry<'a> {
    /// What: `create`, `update`, `assign`, `unassign`, `delete`, `sync`, …
    pub action: &'a str,
    /// The secret concerned.
    pub secret_id: Option<i64>,
    /// Its name (kept after the secret is gone).
    pub secret_name: Option<&'a str>,
    /// The project concerned.
    pub project_id: Option<i64>,
    /// Spec before (JSON, no values).
    pub before: Option<String>,
    /// Spec after (JSON, no values).
    pub after: Option<String>,
    /// Free-text detail.
    pub detail: Option<String>,
}

/// Appends an entry for an allowed change, inside the caller's transaction.
pub async fn record(
    conn: &mut AnyConnection,
    actor: &Actor,
    entry: Entry<'_>,
) -> Result<(), sqlx::Error> {
    insert(conn, actor, "allowed", entry).await
}

/// Appends an entry for a denied action.
pub async fn record_denied(
    conn: &mut AnyConnection,
    actor: &Actor,
    entry: Entry<'_>,
) -> Result<(), sqlx::Error> {
    insert(conn, actor, "denied", entry).await
}

async fn insert(
    conn: &mut AnyConnection,
    actor: &Actor,
    outcome: &str,
    entry: Entry<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_entries \
         (at, actor, action, outcome, secret_id, secret_name, project_id, before_spec, after_spec, detail, request_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(now_ms())
    .bind(&actor.email)
    .bind(entry.action)
    .bind(outcome)
    .bind(entry.secret_id)
    .bind(entry.secret_name)
    .bind(entry.project_id)
    .bind(entry.before)
    .bind(entry.after)
    .bind(entry.detail)
    .bind(&actor.request_id)
    .execute(conn)
    .await?;
    Ok(())
}
