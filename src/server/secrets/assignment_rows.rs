//! The rows of `assignments`: the only module that inserts or deletes them, or sets their
//! adoption flag (their status columns are `status`'s). The declarative set of a secret's
//! assignments (`assignments`) and the status engine (`status`) both come here.

use sqlx::AnyConnection;

use crate::domain::status::AssignmentState;
use crate::server::clock::now_ms;
use crate::server::db::Db;
use crate::server::errors::ServiceError;
use crate::server::live;
use crate::server::work_queue::{self, Op};

/// Adds the assignment of a secret to a project, Pending, with its apply queued.
pub(super) async fn insert_assignment(
    conn: &mut AnyConnection,
    secret_id: i64,
    project_id: i64,
) -> Result<(), ServiceError> {
    let state = AssignmentState::new();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO assignments (secret_id, project_id, status, reason, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(secret_id)
    .bind(project_id)
    .bind(state.status.as_str())
    .bind(state.reason)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    work_queue::enqueue(&mut *conn, secret_id, project_id, Op::Apply).await?;
    live::emit(conn, secret_id).await?;
    Ok(())
}

/// Removes the row of a finished removal (the status engine decides when).
pub(super) async fn remove_assignment(
    conn: &mut AnyConnection,
    secret_id: i64,
    project_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM assignments WHERE secret_id = $1 AND project_id = $2")
        .bind(secret_id)
        .bind(project_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks an assignment's next apply as an adoption (a forced apply over a foreign object).
pub(super) async fn request_adoption(
    conn: &mut AnyConnection,
    secret_id: i64,
    project_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE assignments SET adopt = TRUE WHERE secret_id = $1 AND project_id = $2")
        .bind(secret_id)
        .bind(project_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends an adoption request: it applies to one apply only.
pub async fn end_adoption(db: &Db, assignment_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE assignments SET adopt = FALSE WHERE id = $1")
        .bind(assignment_id)
        .execute(db.pool())
        .await?;
    Ok(())
}
