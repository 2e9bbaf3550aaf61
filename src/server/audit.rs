//! The audit log: one append-only entry per state change and per denied action.
//!
//! There is no update or delete function here, and the database refuses both (triggers in
//! migration 0002). Entries hold specs (key names, stores, remote keys), never values. Changes
//! to people and power (sign-ins, users, memberships, allowlists, projects, tokens) are entries
//! too, naming the user concerned (`target`) and, for sign-ins, the client address. The Audit
//! page reads them back here ([`page`]), newest first.

use sqlx::{AnyConnection, Row};

use super::clock::now_ms;
use super::db::Db;
use crate::model::audit::{AuditFilter, AuditPage, AuditRecord};

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
    /// The user a change to people concerns (their email).
    pub target: Option<&'a str>,
    /// Where the request came from (sign-ins).
    pub client_address: Option<&'a str>,
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
         (at, actor, action, outcome, secret_id, secret_name, project_id, before_spec, after_spec, \
          detail, request_id, target, client_address) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
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
    .bind(entry.target)
    .bind(entry.client_address)
    .execute(conn)
    .await?;
    Ok(())
}

/// Appends an entry on a connection of its own, for a change that has no transaction (a
/// sign-in, a sign-out).
pub async fn record_now(
    db: &Db,
    actor: &Actor,
    allowed: bool,
    entry: Entry<'_>,
) -> Result<(), sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    let outcome = if allowed { "allowed" } else { "denied" };
    insert(&mut conn, actor, outcome, entry).await
}

/// Action of a successful sign-in.
pub const SIGN_IN: &str = "sign-in";
/// Action of a refused sign-in (outcome `denied`).
pub const SIGN_IN_FAILED: &str = "sign-in-failed";

/// Records a sign-in attempt of `account` (as typed, or as the identity provider named it)
/// from `address`: one entry, `sign-in` or `sign-in-failed`. `how` says by what means
/// (`password`, `single sign-on`, …) and why a failure failed. Public for every sign-in
/// method; a failure to write is logged, not raised (the sign-in's answer does not depend on it).
pub async fn sign_in(db: &Db, account: &str, address: &str, succeeded: bool, how: &str) {
    let account: String = account.trim().to_lowercase().chars().take(254).collect();
    let actor = Actor::new(if account.is_empty() {
        "(no account)".to_owned()
    } else {
        account
    });
    let entry = Entry {
        action: if succeeded { SIGN_IN } else { SIGN_IN_FAILED },
        target: Some(&actor.email),
        client_address: Some(address),
        detail: Some(how.to_owned()),
        ..Entry::default()
    };
    if let Err(error) = record_now(db, &actor, succeeded, entry).await {
        tracing::error!(%error, "cannot write the audit entry of a sign-in");
    }
}

/// Rows one export reads at a time.
pub const EXPORT_BATCH: i64 = 500;

/// Entries matching `filter`, newest first, at most `limit` (older than `filter.before`).
pub async fn entries(
    db: &Db,
    filter: &AuditFilter,
    limit: i64,
) -> Result<Vec<AuditRecord>, sqlx::Error> {
    let mut clauses = Vec::new();
    let mut binds: Vec<String> = Vec::new();
    for (column, value) in [
        ("a.actor = ", &filter.actor),
        ("a.action = ", &filter.action),
        ("a.secret_name = ", &filter.secret),
        ("p.name = ", &filter.project),
    ] {
        let value = value.trim();
        if !value.is_empty() {
            binds.push(value.to_owned());
            clauses.push(format!("{column}${}", binds.len()));
        }
    }
    if let Some(before) = filter.before {
        clauses.push(format!("a.id < {before}"));
    }
    let filter_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let sql = format!(
        "SELECT a.id, a.at, a.actor, a.action, a.outcome, a.project_id, p.name AS project, \
         a.secret_name, a.target, a.client_address, a.detail \
         FROM audit_entries a LEFT JOIN projects p ON p.id = a.project_id \
         {filter_sql} ORDER BY a.id DESC LIMIT {limit}"
    );
    let mut query = sqlx::query(&sql);
    for value in &binds {
        query = query.bind(value);
    }
    let rows = query.fetch_all(db.pool()).await?;
    rows.iter()
        .map(|row| {
            Ok(AuditRecord {
                id: row.try_get("id")?,
                at: row.try_get("at")?,
                actor: row.try_get("actor")?,
                action: row.try_get("action")?,
                outcome: row.try_get("outcome")?,
                project_id: row.try_get("project_id")?,
                project: row.try_get("project")?,
                secret: row.try_get("secret_name")?,
                target: row.try_get("target")?,
                client_address: row.try_get("client_address")?,
                detail: row.try_get("detail")?,
            })
        })
        .collect()
}

/// One page of the Audit page: `page_size` entries matching `filter`, newest first, the
/// cursor of the next page, and every action name for the filter's choices.
pub async fn page(db: &Db, filter: &AuditFilter, page_size: i64) -> Result<AuditPage, sqlx::Error> {
    let mut entries = entries(db, filter, page_size + 1).await?;
    let next_before = if entries.len() > usize::try_from(page_size).unwrap_or(usize::MAX) {
        entries.pop();
        entries.last().map(|e| e.id)
    } else {
        None
    };
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT action FROM audit_entries ORDER BY action")
            .fetch_all(db.pool())
            .await?;
    Ok(AuditPage {
        entries,
        next_before,
        actions,
    })
}
