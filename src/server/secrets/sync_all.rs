//! Sync all: every assignment of one project, or of every project on one cluster, queued for a
//! re-sync through the work queue (the reconciler applies them at its own pace, so a cluster of
//! 500 projects is a few short transactions here, not 500 cluster calls in a request).

use sqlx::AnyConnection;

use crate::domain::status::{AssignmentStatus, Observation};
use crate::model::sync::{SyncBatch, SyncItem};
use crate::server::audit::{self, Actor, Entry};
use crate::server::clock::now_ms;
use crate::server::db::Db;
use crate::server::errors::ServiceError;
use crate::server::live;
use crate::server::work_queue::{self, Op};

use super::record::lock_secret;
use super::status::{observe_in, refresh_rollup};

/// Assignments one transaction queues at most: short transactions, so that the reconciler's
/// own writes (which wait for the same write turn) are not held back by a large Sync all.
const CHUNK: usize = 100;

/// What a Sync all covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncScope {
    /// Every assignment in this project (`projects.id`).
    Project(i64),
    /// Every assignment in every project on this cluster (`clusters.id`).
    Cluster(i64),
}

/// Queues one assignment's re-sync, in the caller's transaction (which holds the secret's
/// lock). A Kubernetes Secret (`kubernetes`) is applied again from the stored values and shows
/// Pending until it is seen again, so its last sync marks the re-apply. An ExternalSecret is
/// asked to fetch again (`force-sync`) and keeps its status and kept warning: ESO's next fetch
/// time marks the sync, and a failure's detail outlives the request.
///
/// Open pages are told about the ExternalSecret too, though nothing changed yet: a progress
/// line counts from the states the stream reported, and `refreshTime` has whole seconds, so a
/// fetch in the same second as the one before changes no recorded state and sends no event.
/// Without this one, such a row would wait for an event that never comes.
pub(super) async fn queue_sync(
    conn: &mut AnyConnection,
    secret_id: i64,
    project_id: i64,
    kubernetes: bool,
) -> Result<(), ServiceError> {
    work_queue::enqueue(&mut *conn, secret_id, project_id, Op::Sync).await?;
    if kubernetes {
        observe_in(conn, secret_id, project_id, &Observation::DesiredChanged).await?;
    } else {
        live::emit(conn, secret_id).await?;
    }
    Ok(())
}

/// One assignment in scope, as first read.
#[derive(Debug, Clone, sqlx::FromRow)]
struct InScope {
    secret_id: i64,
    project_id: i64,
    kind: String,
    scope: String,
}

/// Queues a re-sync of every assignment in `scope`; with `project_secrets_only` (team members)
/// only of project secrets, organization secrets being the admins'. Assignments being removed
/// are left alone. Audited once, naming the project or cluster and how many were queued.
pub async fn sync_all(
    db: &Db,
    actor: &Actor,
    scope: SyncScope,
    project_secrets_only: bool,
) -> Result<SyncBatch, ServiceError> {
    let requested_at = now_ms();
    let (named, filter, id) = match scope {
        SyncScope::Project(id) => ("SELECT name FROM projects WHERE id = $1", "p.id = $1", id),
        SyncScope::Cluster(id) => (
            "SELECT name FROM clusters WHERE id = $1",
            "p.cluster_id = $1",
            id,
        ),
    };
    let name: String = sqlx::query_scalar(named)
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or(ServiceError::NotFound)?;
    let rows: Vec<InScope> = sqlx::query_as(&format!(
        "SELECT a.secret_id, a.project_id, s.kind, s.scope FROM assignments a \
         JOIN secrets s ON s.id = a.secret_id JOIN projects p ON p.id = a.project_id \
         WHERE {filter} AND NOT s.deleting ORDER BY a.secret_id, a.project_id"
    ))
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let mut batch = SyncBatch {
        requested_at,
        ..SyncBatch::default()
    };
    let (wanted, refused): (Vec<InScope>, Vec<InScope>) = rows
        .into_iter()
        .partition(|row| !project_secrets_only || row.scope == "Project");
    batch.skipped = i64::try_from(refused.len()).unwrap_or(i64::MAX);
    let mut secrets = 0;
    let mut start = 0;
    while start < wanted.len() {
        // Whole secrets per transaction (each secret's lock is taken once, in id order).
        let mut end = (start + CHUNK).min(wanted.len());
        while end < wanted.len() && wanted[end].secret_id == wanted[end - 1].secret_id {
            end += 1;
        }
        let mut tx = db.begin_write().await?;
        let mut last = None;
        for row in &wanted[start..end] {
            if last != Some(row.secret_id) {
                if let Some(previous) = last {
                    refresh_rollup(&mut tx, previous).await?;
                }
                lock_secret(&mut tx, row.secret_id).await?;
                last = Some(row.secret_id);
                secrets += 1;
            }
            // Read again under the lock: it may have been unassigned or deleted meanwhile.
            let status: Option<String> = sqlx::query_scalar(
                "SELECT a.status FROM assignments a JOIN secrets s ON s.id = a.secret_id \
                 WHERE a.secret_id = $1 AND a.project_id = $2 AND NOT s.deleting",
            )
            .bind(row.secret_id)
            .bind(row.project_id)
            .fetch_optional(&mut *tx)
            .await?;
            let removing = status
                .as_deref()
                .and_then(AssignmentStatus::parse)
                .is_none_or(AssignmentStatus::is_deleting);
            if removing {
                batch.skipped += 1;
                continue;
            }
            queue_sync(
                &mut tx,
                row.secret_id,
                row.project_id,
                row.kind == "Kubernetes",
            )
            .await?;
            batch.items.push(SyncItem {
                secret_id: row.secret_id,
                project_id: row.project_id,
                external: row.kind == "External",
            });
        }
        if let Some(previous) = last {
            refresh_rollup(&mut tx, previous).await?;
        }
        tx.commit().await?;
        start = end;
    }
    let mut tx = db.begin_write().await?;
    let (project_id, place) = match scope {
        SyncScope::Project(id) => (Some(id), format!("project {name}")),
        SyncScope::Cluster(_) => (None, format!("cluster {name}")),
    };
    audit::record(
        &mut tx,
        actor,
        Entry {
            action: "sync all",
            project_id,
            detail: Some(format!(
                "sync requested for {} assignment(s) of {secrets} secret(s) in {place}",
                batch.items.len()
            )),
            ..Entry::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(batch)
}
