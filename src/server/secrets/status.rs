//! Recorded status: what the clusters report for each assignment (status, reason, applied
//! generation), the rolled-up status of each secret, and the end of a finished removal. The
//! reconciler and the watcher record through here.

use sqlx::{AnyConnection, Row};

use crate::domain::status::{
    self, AssignmentState, AssignmentStatus, FailureClass, Observation, Transition,
};
use crate::server::clock::now_ms;
use crate::server::db::Db;
use crate::server::errors::ServiceError;
use crate::server::live;

use super::assignment_rows::remove_assignment;
use super::record::lock_secret;

/// Recomputes a secret's rolled-up status from its assignments (Deleting only while the
/// secret itself is being deleted: `status::rollup`).
pub(crate) async fn refresh_rollup(
    conn: &mut AnyConnection,
    secret_id: i64,
) -> Result<(), ServiceError> {
    if rollup_changed(conn, secret_id).await? {
        live::emit(conn, secret_id).await?;
    }
    Ok(())
}

/// Recomputes a secret's rolled-up status; whether it changed. The rollup depends only on
/// which statuses occur, so each is read once: a secret assigned to 500 projects is 500 rows,
/// and this runs after every status it records.
async fn rollup_changed(conn: &mut AnyConnection, secret_id: i64) -> Result<bool, ServiceError> {
    let statuses: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT status FROM assignments WHERE secret_id = $1")
            .bind(secret_id)
            .fetch_all(&mut *conn)
            .await?;
    let deleting: Option<i64> = sqlx::query_scalar(
        "SELECT CASE WHEN deleting THEN 1 ELSE 0 END FROM secrets WHERE id = $1",
    )
    .bind(secret_id)
    .fetch_optional(&mut *conn)
    .await?;
    let rolled = status::rollup(
        deleting == Some(1),
        statuses.iter().filter_map(|s| AssignmentStatus::parse(s)),
    );
    let changed = sqlx::query("UPDATE secrets SET status = $1 WHERE id = $2 AND status <> $1")
        .bind(rolled.as_str())
        .bind(secret_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(changed > 0)
}

/// An assignment's state as recorded, with whether it may be adopted.
#[derive(Debug, Clone, PartialEq)]
struct Recorded {
    state: AssignmentState,
    adoptable: bool,
    /// When ESO last fetched the values, as its ExternalSecret last said.
    refreshed_at: Option<i64>,
}

/// Reads the recorded state of one assignment.
async fn recorded(
    conn: &mut AnyConnection,
    secret_id: i64,
    project_id: i64,
) -> Result<Recorded, ServiceError> {
    let row = sqlx::query(
        "SELECT status, reason, applied_generation, eso_refreshed_at, failure, \
         CASE WHEN adoptable THEN 1 ELSE 0 END AS adoptable \
         FROM assignments WHERE secret_id = $1 AND project_id = $2",
    )
    .bind(secret_id)
    .bind(project_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(ServiceError::NotFound)?;
    Ok(Recorded {
        state: AssignmentState {
            status: AssignmentStatus::parse(row.try_get("status")?)
                .unwrap_or(AssignmentStatus::Pending),
            reason: row.try_get("reason")?,
            applied_generation: row.try_get("applied_generation")?,
            failure: row
                .try_get::<Option<String>, _>("failure")?
                .as_deref()
                .and_then(FailureClass::parse),
        },
        adoptable: row.try_get::<i64, _>("adoptable")? == 1,
        refreshed_at: row.try_get("eso_refreshed_at")?,
    })
}

/// What `observation` makes of the recorded state; `None`: the assignment is removed.
fn after(current: &Recorded, observation: &Observation) -> Option<Recorded> {
    match status::transition(&current.state, observation) {
        Transition::Remove => None,
        Transition::Update(next) => {
            // Adoptable while the Failed status is a collision with an object we do not own;
            // any other change of state ends it.
            let foreign = matches!(observation, Observation::ForeignObject { .. });
            let adoptable = if next != current.state || foreign {
                foreign && next.status == AssignmentStatus::Failed
            } else {
                current.adoptable
            };
            let refreshed_at = match observation {
                Observation::ExternalSecret {
                    refreshed_at: Some(at),
                    ..
                } => Some(*at),
                _ => current.refreshed_at,
            };
            Some(Recorded {
                state: next,
                adoptable,
                refreshed_at,
            })
        }
    }
}

/// Applies `observation` to the assignment and stores the result (or removes the row).
pub(super) async fn observe_in(
    conn: &mut AnyConnection,
    secret_id: i64,
    project_id: i64,
    observation: &Observation,
) -> Result<Option<AssignmentState>, ServiceError> {
    let (next, changed) = store_observation(conn, secret_id, project_id, observation).await?;
    if changed {
        live::emit(conn, secret_id).await?;
    }
    Ok(next)
}

/// [`observe_in`] without the live event: the new state, and whether anything was written.
async fn store_observation(
    conn: &mut AnyConnection,
    secret_id: i64,
    project_id: i64,
    observation: &Observation,
) -> Result<(Option<AssignmentState>, bool), ServiceError> {
    let current = recorded(conn, secret_id, project_id).await?;
    let Some(next) = after(&current, observation) else {
        remove_assignment(&mut *conn, secret_id, project_id).await?;
        return Ok((None, true));
    };
    let changed = next != current;
    if changed {
        let synced_now = next.state.status == AssignmentStatus::Synced
            && current.state.status != AssignmentStatus::Synced;
        sqlx::query(
            "UPDATE assignments SET status = $1, reason = $2, applied_generation = $3, updated_at = $4, \
             last_sync_at = CASE WHEN $5 = 1 THEN $4 ELSE last_sync_at END, \
             adoptable = CASE WHEN $8 = 1 THEN TRUE ELSE FALSE END, \
             last_warning = CASE WHEN $9 = 1 THEN NULL ELSE last_warning END, \
             eso_refreshed_at = $10, failure = $11 \
             WHERE secret_id = $6 AND project_id = $7",
        )
        .bind(next.state.status.as_str())
        .bind(next.state.reason.as_deref())
        .bind(next.state.applied_generation)
        .bind(now_ms())
        .bind(i64::from(synced_now))
        .bind(secret_id)
        .bind(project_id)
        .bind(i64::from(next.adoptable))
        // Synced, or a new version applied: the warning kept for the last failure is over.
        .bind(i64::from(matches!(
            next.state.status,
            AssignmentStatus::Synced | AssignmentStatus::Pending
        )))
        .bind(next.refreshed_at)
        .bind(next.state.failure.map(FailureClass::as_str))
        .execute(&mut *conn)
        .await?;
    }
    Ok((Some(next.state), changed))
}

/// Records what the cluster reported about one assignment, then the rollup; a finished delete
/// removes the assignment, and the secret too once it is being deleted and has none left.
/// Returns the assignment's new state (`None` once removed).
///
/// Most reports change nothing (a resync, a watch event repeating what is recorded): those are
/// answered from a read, without waiting for a turn to write behind the work queue's writes. A
/// write that lands between that read and now is no loss: whoever writes an assignment's state
/// (an apply, a user's change) has the watcher judge the object again afterwards.
pub async fn observe(
    db: &Db,
    secret_id: i64,
    project_id: i64,
    observation: &Observation,
) -> Result<Option<AssignmentState>, ServiceError> {
    {
        let mut conn = db.pool().acquire().await?;
        let current = recorded(&mut conn, secret_id, project_id).await?;
        if after(&current, observation).as_ref() == Some(&current) {
            return Ok(Some(current.state));
        }
    }
    let mut tx = db.begin_write().await?;
    lock_secret(&mut tx, secret_id).await?;
    let next = observe_in(&mut tx, secret_id, project_id, observation).await?;
    finish_if_deleted(&mut tx, secret_id).await?;
    tx.commit().await?;
    Ok(next)
}

/// What the cluster reported about one assignment, for [`observe_all`].
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Whose assignment.
    pub secret_id: i64,
    /// In which project.
    pub project_id: i64,
    /// What was seen or done.
    pub observation: Observation,
}

/// Records many reports at once, as [`observe`] records one: those that change nothing are
/// answered from reads, the others written in one transaction, each secret's rollup refreshed
/// once and one live event sent per secret that changed. A report about an assignment that is
/// gone is dropped. Reports about the same assignment are applied in their order.
///
/// A fan-out's statuses arrive in bursts (a watch event for each of hundreds of objects): one
/// transaction each waited its turn behind every other writer.
pub async fn observe_all(db: &Db, reports: &[Report]) -> Result<(), ServiceError> {
    // An assignment is written when any of its reports changes it: a later report that
    // changes nothing against what is recorded may still undo an earlier one.
    let mut changes = std::collections::HashSet::new();
    {
        let mut conn = db.pool().acquire().await?;
        for report in reports {
            let key = (report.secret_id, report.project_id);
            if changes.contains(&key) {
                continue;
            }
            match recorded(&mut conn, report.secret_id, report.project_id).await {
                Ok(current) if after(&current, &report.observation).as_ref() == Some(&current) => {}
                Ok(_) => {
                    changes.insert(key);
                }
                Err(ServiceError::NotFound) => {}
                Err(error) => return Err(error),
            }
        }
    }
    if changes.is_empty() {
        return Ok(());
    }
    let changing: Vec<&Report> = reports
        .iter()
        .filter(|r| changes.contains(&(r.secret_id, r.project_id)))
        .collect();
    let mut tx = db.begin_write().await?;
    observe_all_in(&mut tx, changing).await?;
    tx.commit().await?;
    Ok(())
}

/// [`observe_all`] inside the caller's transaction, without the reads first.
pub async fn observe_all_in<'a>(
    conn: &mut AnyConnection,
    reports: impl IntoIterator<Item = &'a Report>,
) -> Result<(), ServiceError> {
    let reports: Vec<&Report> = reports.into_iter().collect();
    // Locked in one order, so two batches never wait for each other's locks.
    let secrets: std::collections::BTreeSet<i64> = reports.iter().map(|r| r.secret_id).collect();
    for secret_id in &secrets {
        lock_secret(conn, *secret_id).await?;
    }
    let mut changed = std::collections::BTreeSet::new();
    for report in reports {
        match store_observation(
            conn,
            report.secret_id,
            report.project_id,
            &report.observation,
        )
        .await
        {
            Ok((_, true)) => {
                changed.insert(report.secret_id);
            }
            Ok((_, false)) | Err(ServiceError::NotFound) => {}
            Err(error) => return Err(error),
        }
    }
    for secret_id in secrets {
        let settled = settle(conn, secret_id).await?;
        if settled || changed.contains(&secret_id) {
            live::emit(conn, secret_id).await?;
        }
    }
    Ok(())
}

/// Removes a secret that is being deleted once its last assignment is gone; otherwise
/// refreshes its rollup.
pub(super) async fn finish_if_deleted(
    conn: &mut AnyConnection,
    secret_id: i64,
) -> Result<(), ServiceError> {
    if settle(conn, secret_id).await? {
        live::emit(conn, secret_id).await?;
    }
    Ok(())
}

/// [`finish_if_deleted`] without the live event: whether the secret went or its rollup changed.
async fn settle(conn: &mut AnyConnection, secret_id: i64) -> Result<bool, ServiceError> {
    let remaining: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM assignments WHERE secret_id = $1")
            .bind(secret_id)
            .fetch_one(&mut *conn)
            .await?;
    let deleted = if remaining == 0 {
        sqlx::query("DELETE FROM secrets WHERE id = $1 AND deleting = TRUE")
            .bind(secret_id)
            .execute(&mut *conn)
            .await?
            .rows_affected()
    } else {
        0
    };
    if deleted == 0 {
        rollup_changed(conn, secret_id).await
    } else {
        Ok(true)
    }
}

/// The warning kept for an assignment's current failure (see [`record_warning`]).
pub async fn kept_warning(db: &Db, secret_id: i64, project_id: i64) -> Option<String> {
    sqlx::query_scalar(
        "SELECT last_warning FROM assignments WHERE secret_id = $1 AND project_id = $2",
    )
    .bind(secret_id)
    .bind(project_id)
    .fetch_optional(db.pool())
    .await
    .ok()
    .flatten()
    .flatten()
}

/// Records the latest warning event of an assignment's object (shown with its reason). It is
/// kept until the assignment is Synced or applied again: events expire (an hour after their
/// last write by default), and a failure External Secrets Operator does not retry outlives its
/// event. A new warning is sent to open pages: the failure's class is told from it.
///
/// Every judgement of a failing object asks for this (the resync every 15 s among them), and
/// the warning is almost always the one kept: that is answered from a read. On SQLite an
/// `UPDATE` that matches no row still takes the database's write lock, waiting behind every
/// other writer for it.
pub async fn record_warning(
    db: &Db,
    secret_id: i64,
    project_id: i64,
    warning: &str,
) -> Result<(), sqlx::Error> {
    if kept_warning(db, secret_id, project_id).await.as_deref() == Some(warning) {
        return Ok(());
    }
    let mut conn = db.pool().acquire().await?;
    let changed = sqlx::query(
        "UPDATE assignments SET last_warning = $1 WHERE secret_id = $2 AND project_id = $3 \
         AND (last_warning IS NULL OR last_warning <> $1)",
    )
    .bind(warning)
    .bind(secret_id)
    .bind(project_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if changed > 0 {
        live::emit(&mut conn, secret_id).await?;
    }
    Ok(())
}
