//! The durable queue of cluster work. Rows are written in the same transaction that changes
//! desired state, so a crash can lose neither the change nor the work it implies.

use sqlx::AnyConnection;

use super::now_ms;

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
