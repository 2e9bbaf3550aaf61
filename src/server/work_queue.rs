//! The durable queue of cluster work, and the only module that writes `work_items`. Rows are
//! written in the same transaction that changes desired state, so a crash can lose neither the
//! change nor the work it implies; the reconciler claims them, and finishes or retries each.

use std::time::Duration;

use sqlx::{AnyConnection, Row};

use super::clock::now_ms;
use super::db::Db;

/// What to do to an assignment's object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Create or update it by server-side apply.
    Apply,
    /// Delete it.
    Delete,
    /// Ask the controller to re-sync it now.
    Sync,
}

impl Op {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Apply => "apply",
            Op::Delete => "delete",
            Op::Sync => "sync",
        }
    }

    /// The op of a stored name. Anything else is an apply (the op that converges whatever
    /// the row asked for).
    fn from_stored(name: &str) -> Self {
        match name {
            "delete" => Op::Delete,
            "sync" => Op::Sync,
            _ => Op::Apply,
        }
    }
}

/// Queues `op` for the assignment of `secret_id` to `project_id`. One row per assignment: a
/// newer request replaces a pending one (a sync never downgrades a pending apply or delete) and
/// bumps its sequence number.
pub async fn enqueue(
    conn: &mut AnyConnection,
    secret_id: i64,
    project_id: i64,
    op: Op,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO work_items (secret_id, project_id, cluster_id, op, seq, attempts, not_before, created_at) \
         SELECT $1, $2, p.cluster_id, $3, 1, 0, $4, $4 FROM projects p WHERE p.id = $2 \
         ON CONFLICT (secret_id, project_id) DO UPDATE SET \
           op = CASE WHEN excluded.op = 'sync' AND work_items.op <> 'sync' THEN work_items.op ELSE excluded.op END, \
           seq = work_items.seq + 1, attempts = 0, not_before = excluded.not_before, last_error = NULL",
    )
    .bind(secret_id)
    .bind(project_id)
    .bind(op.as_str())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A claimed work row.
#[derive(Debug, Clone)]
pub struct Item {
    /// The row's id.
    pub id: i64,
    /// Whose object.
    pub secret_id: i64,
    /// In which project.
    pub project_id: i64,
    /// What to do.
    pub op: Op,
    /// Bumped by every newer request for the same assignment.
    pub seq: i64,
    /// Failed tries so far.
    pub attempts: i64,
}

/// How long a claim holds a row (a worker that dies releases it by expiry).
const CLAIM_MS: i64 = 60_000;

/// Claims up to `limit` due rows of `cluster_id` for [`CLAIM_MS`]; a row another replica
/// claimed meanwhile is left to it.
pub async fn claim(db: &Db, cluster_id: i64, limit: usize) -> Result<Vec<Item>, sqlx::Error> {
    let now = now_ms();
    let rows = sqlx::query(
        "SELECT id, secret_id, project_id, op, seq, attempts FROM work_items \
         WHERE cluster_id = $1 AND not_before <= $2 AND (locked_until IS NULL OR locked_until < $2) \
         ORDER BY not_before, id LIMIT $3",
    )
    .bind(cluster_id)
    .bind(now)
    .bind(i64::try_from(limit).unwrap_or(64))
    .fetch_all(db.pool())
    .await?;
    let mut claimed = Vec::new();
    if rows.is_empty() {
        return Ok(claimed);
    }
    let mut tx = db.begin_write().await?;
    for row in rows {
        let item = Item {
            id: row.try_get("id")?,
            secret_id: row.try_get("secret_id")?,
            project_id: row.try_get("project_id")?,
            op: Op::from_stored(row.try_get("op")?),
            seq: row.try_get("seq")?,
            attempts: row.try_get("attempts")?,
        };
        // Another replica may have claimed it meanwhile: only a row still free is ours.
        let taken = sqlx::query(
            "UPDATE work_items SET locked_until = $1 WHERE id = $2 AND seq = $3 \
             AND (locked_until IS NULL OR locked_until < $4)",
        )
        .bind(now + CLAIM_MS)
        .bind(item.id)
        .bind(item.seq)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if taken == 1 {
            claimed.push(item);
        }
    }
    tx.commit().await?;
    Ok(claimed)
}

/// Makes every change of `cluster_id` that waits out a retry delay due now; how many.
pub async fn retry_now(db: &Db, cluster_id: i64) -> Result<u64, sqlx::Error> {
    let _turn = db.write_turn().await;
    let now = now_ms();
    Ok(sqlx::query(
        "UPDATE work_items SET not_before = $1 WHERE cluster_id = $2 AND attempts > 0 AND not_before > $1",
    )
    .bind(now)
    .bind(cluster_id)
    .execute(db.pool())
    .await?
    .rows_affected())
}

/// The work of `item` is done: its row goes, unless a newer request arrived meanwhile (then
/// it is released for the next round). In the caller's write transaction: the reconciler
/// finishes a batch of rows in one.
pub async fn complete(conn: &mut AnyConnection, item: &Item) -> Result<(), sqlx::Error> {
    let removed = sqlx::query("DELETE FROM work_items WHERE id = $1 AND seq = $2")
        .bind(item.id)
        .bind(item.seq)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if removed == 0 {
        release(conn, item).await?;
    }
    Ok(())
}

/// The work of `item` failed with `error`: tried again after `delay` (a newer request
/// meanwhile is released as it is). In the caller's write transaction.
pub async fn retry_later(
    conn: &mut AnyConnection,
    item: &Item,
    delay: Duration,
    error: &str,
) -> Result<(), sqlx::Error> {
    let not_before = now_ms() + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2);
    let updated = sqlx::query(
        "UPDATE work_items SET attempts = attempts + 1, not_before = $1, locked_until = NULL, \
         last_error = $2 WHERE id = $3 AND seq = $4",
    )
    .bind(not_before)
    .bind(error)
    .bind(item.id)
    .bind(item.seq)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if updated == 0 {
        release(conn, item).await?;
    }
    Ok(())
}

/// Releases the claim on `item`'s row (a newer request replaced it while it was worked).
async fn release(conn: &mut AnyConnection, item: &Item) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE work_items SET locked_until = NULL WHERE id = $1")
        .bind(item.id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Releases every claim on `cluster_id`'s rows (held by a leader that died mid-work).
pub async fn release_claims(db: &Db, cluster_id: i64) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("UPDATE work_items SET locked_until = NULL WHERE cluster_id = $1")
            .bind(cluster_id)
            .execute(db.pool())
            .await?
            .rows_affected(),
    )
}

/// How many assignments of `project_id` still have cluster work queued (a project is not
/// deleted while its objects are being removed).
pub async fn queued_for_project(
    conn: &mut AnyConnection,
    project_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM work_items WHERE project_id = $1")
        .bind(project_id)
        .fetch_one(conn)
        .await
}
