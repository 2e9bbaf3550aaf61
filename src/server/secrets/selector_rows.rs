//! The rows of `secret_selectors` (this is their only writer) and which projects a secret's
//! selectors match now: what `assignments` and `selectors` read to keep a secret's assignments
//! in step with its selectors and the projects' labels.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::AnyConnection;

use crate::domain::labels::{Labels, Selector};
use crate::server::audit::{self, Actor, Entry};
use crate::server::clock::now_ms;
use crate::server::errors::ServiceError;

/// A secret's selectors, in their canonical text, sorted.
pub(super) async fn stored(
    conn: &mut AnyConnection,
    secret_id: i64,
) -> Result<Vec<String>, ServiceError> {
    Ok(sqlx::query_scalar(
        "SELECT selector FROM secret_selectors WHERE secret_id = $1 ORDER BY selector",
    )
    .bind(secret_id)
    .fetch_all(&mut *conn)
    .await?)
}

/// Every project: id, name and labels (a label column that does not parse reads as none).
pub(super) async fn projects(
    conn: &mut AnyConnection,
) -> Result<Vec<(i64, String, Labels)>, ServiceError> {
    let rows: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, name, labels FROM projects ORDER BY name")
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, labels)| (id, name, serde_json::from_str(&labels).unwrap_or_default()))
        .collect())
}

/// Parses stored selectors (each was canonical when saved).
fn parsed(texts: &[String]) -> Vec<Selector> {
    texts
        .iter()
        .filter_map(|text| Selector::parse("selectors", text).ok())
        .collect()
}

/// The projects a secret's selectors match now, each with the first selector matching it.
pub(super) async fn matching_projects(
    conn: &mut AnyConnection,
    secret_id: i64,
) -> Result<BTreeMap<i64, String>, ServiceError> {
    let selectors = parsed(&stored(conn, secret_id).await?);
    if selectors.is_empty() {
        return Ok(BTreeMap::new());
    }
    Ok(projects(conn)
        .await?
        .into_iter()
        .filter_map(|(id, _, labels)| {
            selectors
                .iter()
                .find(|s| s.matches(&labels))
                .map(|s| (id, s.to_string()))
        })
        .collect())
}

/// The selector of the secret that matches `project_id`, if one does.
pub(super) async fn selector_keeping(
    conn: &mut AnyConnection,
    secret_id: i64,
    project_id: i64,
) -> Result<Option<String>, ServiceError> {
    Ok(matching_projects(conn, secret_id)
        .await?
        .remove(&project_id))
}

/// Replaces a secret's selectors, inside the caller's transaction, and audits the change when
/// there is one. Returns whether anything changed.
pub(super) async fn store_selectors(
    conn: &mut AnyConnection,
    actor: &Actor,
    secret_id: i64,
    secret_name: &str,
    selectors: &[Selector],
) -> Result<bool, ServiceError> {
    let before = stored(conn, secret_id).await?;
    let after: BTreeSet<String> = selectors.iter().map(ToString::to_string).collect();
    if before.iter().cloned().collect::<BTreeSet<_>>() == after {
        return Ok(false);
    }
    sqlx::query("DELETE FROM secret_selectors WHERE secret_id = $1")
        .bind(secret_id)
        .execute(&mut *conn)
        .await?;
    let now = now_ms();
    for text in &after {
        sqlx::query(
            "INSERT INTO secret_selectors (secret_id, selector, created_at) VALUES ($1, $2, $3)",
        )
        .bind(secret_id)
        .bind(text)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    audit::record(
        conn,
        actor,
        Entry {
            action: "selectors",
            secret_id: Some(secret_id),
            secret_name: Some(secret_name),
            before: Some(serde_json::json!({ "selectors": before }).to_string()),
            after: Some(serde_json::json!({ "selectors": after }).to_string()),
            detail: Some(if after.is_empty() {
                "removed every selector".to_owned()
            } else {
                format!(
                    "assigned to every project matching {}",
                    after
                        .iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                )
            }),
            ..Entry::default()
        },
    )
    .await?;
    Ok(true)
}
