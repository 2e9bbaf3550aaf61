//! The rows of `assignments`: the only module that inserts or deletes them, or sets their
//! adoption flag (their status columns are `status`'s). The declarative set of a secret's
//! assignments (`assignments`) and the status engine (`status`) both come here.

use sqlx::AnyConnection;

use crate::domain::status::{AssignmentState, AssignmentStatus};
use crate::server::clock::now_ms;
use crate::server::db::Db;
use crate::server::errors::ServiceError;
use crate::server::live;
use crate::server::work_queue::{self, Op};

/// Adds the assignment of a secret to a project, Pending, with its apply queued;
/// `by_selector`: only a selector of the secret asks for it (it goes when none matches).
pub(super) async fn insert_assignment(
    conn: &mut AnyConnection,
    secret_id: i64,
    project_id: i64,
    by_selector: bool,
) -> Result<(), ServiceError> {
    let state = AssignmentState::new();
    insert_row(conn, secret_id, project_id, &state, by_selector).await?;
    work_queue::enqueue(&mut *conn, secret_id, project_id, Op::Apply).await?;
    live::emit(conn, secret_id).await?;
    Ok(())
}

/// Adds a selector's assignment that cannot be applied: another secret already lands an
/// object of that name in the project's namespace. Failed with `reason` on that project's row
/// only, and nothing is queued (applying would fight over the other secret's object).
pub(super) async fn insert_held_assignment(
    conn: &mut AnyConnection,
    secret_id: i64,
    project_id: i64,
    reason: String,
) -> Result<(), ServiceError> {
    let state = AssignmentState {
        status: AssignmentStatus::Failed,
        reason: Some(reason),
        applied_generation: None,
        failure: None,
    };
    insert_row(conn, secret_id, project_id, &state, true).await?;
    live::emit(conn, secret_id).await?;
    Ok(())
}

async fn insert_row(
    conn: &mut AnyConnection,
    secret_id: i64,
    project_id: i64,
    state: &AssignmentState,
    by_selector: bool,
) -> Result<(), ServiceError> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO assignments (secret_id, project_id, status, reason, by_selector, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(secret_id)
    .bind(project_id)
    .bind(state.status.as_str())
    .bind(state.reason.as_deref())
    .bind(by_selector)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records whether only a selector keeps an assignment (`true`) or it was named (`false`).
pub(super) async fn set_by_selector(
    conn: &mut AnyConnection,
    secret_id: i64,
    project_id: i64,
    by_selector: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE assignments SET by_selector = $1 WHERE secret_id = $2 AND project_id = $3")
        .bind(by_selector)
        .bind(secret_id)
        .bind(project_id)
        .execute(conn)
        .await?;
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

/// Marks an assignment's applies as a take-over of the existing object of its name ("Manage
/// with the console"): it is taken only while its content equals what the console writes.
pub(super) async fn request_take_over(
    conn: &mut AnyConnection,
    secret_id: i64,
    project_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE assignments SET take_over = TRUE WHERE secret_id = $1 AND project_id = $2")
        .bind(secret_id)
        .bind(project_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends a take-over: the object is the console's once one apply succeeded.
pub async fn end_take_over(db: &Db, assignment_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE assignments SET take_over = FALSE WHERE id = $1")
        .bind(assignment_id)
        .execute(db.pool())
        .await?;
    Ok(())
}
