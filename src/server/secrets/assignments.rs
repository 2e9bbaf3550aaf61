//! The declarative set of a secret's assignments: adding and removing projects, name
//! collisions in a namespace, and unassigning.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::{AnyConnection, Row};

use crate::domain::status::{self, AssignmentStatus, Observation};
use crate::model::secret::{Scope, SecretKind};
use crate::server::audit::{self, Actor, Entry};
use crate::server::db::Db;
use crate::server::errors::{ServiceError, invalid};
use crate::server::work_queue::{self, Op};

use super::assignment_rows::insert_assignment;
use super::record::{SecretRecord, being_deleted, load, project_name};
use super::status::{observe_in, refresh_rollup};

/// What [`set_assignments`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssignmentDiff {
    /// Projects newly assigned.
    pub added: Vec<i64>,
    /// Projects being unassigned.
    pub removed: Vec<i64>,
}

/// Another secret that would land an object named `name` in `project_id`'s namespace: a
/// project secret there, or an organization secret assigned there.
pub(super) async fn namespace_collision(
    conn: &mut AnyConnection,
    project_id: i64,
    name: &str,
    except_secret_id: i64,
) -> Result<Option<(Scope, SecretKind)>, ServiceError> {
    let row = sqlx::query(
        "SELECT s.scope, s.kind FROM secrets s \
         WHERE s.name = $1 AND s.id <> $3 AND ( \
           (s.scope = 'Project' AND s.project_id = $2) \
           OR EXISTS (SELECT 1 FROM assignments a WHERE a.secret_id = s.id AND a.project_id = $2)) \
         LIMIT 1",
    )
    .bind(name)
    .bind(project_id)
    .bind(except_secret_id)
    .fetch_optional(conn)
    .await?;
    row.map(|row| -> Result<_, ServiceError> {
        Ok((
            Scope::parse(row.try_get("scope")?).unwrap_or(Scope::Organization),
            SecretKind::parse(row.try_get("kind")?).unwrap_or(SecretKind::External),
        ))
    })
    .transpose()
}

/// Makes the set of projects an organization secret is assigned to exactly `project_ids`:
/// assigns the new ones, unassigns the missing ones. Refused as a whole if any new project
/// already has an object of that name, or if a project being re-assigned is still being
/// unassigned.
pub async fn set_assignments(
    db: &Db,
    actor: &Actor,
    id: i64,
    project_ids: &[i64],
) -> Result<AssignmentDiff, ServiceError> {
    let mut tx = db.begin_write().await?;
    let secret = load(&mut tx, id).await?;
    let diff = change_assignments(
        &mut tx,
        actor,
        &secret,
        project_ids.iter().copied().collect(),
    )
    .await?;
    tx.commit().await?;
    Ok(diff)
}

/// Unassigns one project from an organization secret. On an assignment whose removal failed,
/// retries the removal.
pub async fn unassign(
    db: &Db,
    actor: &Actor,
    id: i64,
    project_id: i64,
) -> Result<AssignmentDiff, ServiceError> {
    let mut tx = db.begin_write().await?;
    let secret = load(&mut tx, id).await?;
    let statuses: BTreeMap<i64, AssignmentStatus> = sqlx::query_as::<_, (i64, String)>(
        "SELECT project_id, status FROM assignments WHERE secret_id = $1",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|(project, status)| {
        (
            project,
            AssignmentStatus::parse(&status).unwrap_or(AssignmentStatus::Pending),
        )
    })
    .collect();
    let diff = match statuses.get(&project_id) {
        None => return Err(ServiceError::NotFound),
        Some(status) if status.is_deleting() => {
            observe_in(&mut tx, id, project_id, &Observation::DeleteRequested).await?;
            work_queue::enqueue(&mut tx, id, project_id, Op::Delete).await?;
            refresh_rollup(&mut tx, id).await?;
            audit::record(
                &mut tx,
                actor,
                Entry {
                    action: "unassign-retry",
                    secret_id: Some(id),
                    secret_name: Some(&secret.name),
                    project_id: Some(project_id),
                    ..Entry::default()
                },
            )
            .await?;
            AssignmentDiff {
                added: Vec::new(),
                removed: vec![project_id],
            }
        }
        Some(_) => {
            let desired = statuses
                .iter()
                .filter(|(project, status)| **project != project_id && !status.is_deleting())
                .map(|(project, _)| *project)
                .collect();
            change_assignments(&mut tx, actor, &secret, desired).await?
        }
    };
    tx.commit().await?;
    Ok(diff)
}

pub(super) async fn change_assignments(
    tx: &mut AnyConnection,
    actor: &Actor,
    secret: &SecretRecord,
    desired: BTreeSet<i64>,
) -> Result<AssignmentDiff, ServiceError> {
    if secret.scope == Scope::Project {
        return Err(invalid(
            "projects",
            "a project secret stays in its own project and cannot be assigned to others; create an organization secret to share it",
        ));
    }
    if secret.deleting {
        return Err(being_deleted(secret));
    }
    let current: BTreeMap<i64, AssignmentStatus> =
        sqlx::query("SELECT project_id, status FROM assignments WHERE secret_id = $1")
            .bind(secret.id)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|row| -> Result<_, sqlx::Error> {
                let status: String = row.try_get("status")?;
                Ok((
                    row.try_get("project_id")?,
                    AssignmentStatus::parse(&status).unwrap_or(AssignmentStatus::Pending),
                ))
            })
            .collect::<Result<_, _>>()?;

    // Every named project must exist; names of the current ones are for the audit entry.
    let mut names = BTreeMap::new();
    for project_id in desired.iter().chain(current.keys()) {
        let name = project_name(tx, *project_id).await?.ok_or_else(|| {
            invalid(
                "projects",
                format!("there is no project with id {project_id}"),
            )
        })?;
        names.insert(*project_id, name);
    }

    let mut diff = AssignmentDiff::default();
    for (project_id, name) in names.iter().filter(|(id, _)| desired.contains(id)) {
        match current.get(project_id) {
            Some(status) if !status::can_reassign(Some(*status)) => {
                return Err(ServiceError::Conflict(format!(
                    "`{}` is still being removed from project `{name}`; wait for that to finish (or retry it if it failed), then assign it again",
                    secret.name
                )));
            }
            Some(_) => {}
            None => {
                if let Some((scope, kind)) =
                    namespace_collision(tx, *project_id, &secret.name, secret.id).await?
                {
                    return Err(invalid(
                        "projects",
                        format!(
                            "project `{name}` already has a {} {} secret named `{}`, and both would create an object with that name in its namespace; rename one of them first",
                            scope.as_str().to_lowercase(),
                            kind.as_str(),
                            secret.name
                        ),
                    ));
                }
                diff.added.push(*project_id);
            }
        }
    }
    diff.removed = current
        .iter()
        .filter(|(project_id, status)| !desired.contains(project_id) && !status.is_deleting())
        .map(|(project_id, _)| *project_id)
        .collect();

    for project_id in &diff.added {
        insert_assignment(tx, secret.id, *project_id).await?;
    }
    for project_id in &diff.removed {
        observe_in(tx, secret.id, *project_id, &Observation::DeleteRequested).await?;
        work_queue::enqueue(tx, secret.id, *project_id, Op::Delete).await?;
    }
    refresh_rollup(tx, secret.id).await?;
    if !diff.added.is_empty() || !diff.removed.is_empty() {
        let listed = |ids: &[i64]| -> Vec<String> {
            ids.iter()
                .map(|id| {
                    names
                        .get(id)
                        .cloned()
                        .unwrap_or_else(|| format!("project {id}"))
                })
                .collect()
        };
        audit::record(
            tx,
            actor,
            Entry {
                action: "assign",
                secret_id: Some(secret.id),
                secret_name: Some(&secret.name),
                before: Some(
                    serde_json::json!({ "projects": current.keys().collect::<Vec<_>>() })
                        .to_string(),
                ),
                after: Some(serde_json::json!({ "projects": desired }).to_string()),
                detail: Some(
                    [
                        ("assigned to", &diff.added),
                        ("unassigned from", &diff.removed),
                    ]
                    .iter()
                    .filter(|(_, ids)| !ids.is_empty())
                    .map(|(what, ids)| format!("{what} {}", listed(ids).join(", ")))
                    .collect::<Vec<_>>()
                    .join("; "),
                ),
                ..Entry::default()
            },
        )
        .await?;
    }
    Ok(diff)
}

/// Adds projects to (`add`) or removes them from a secret's assignments, reading the current
/// set in the same transaction, so a concurrent change by someone else is kept, not undone.
/// Assignments already being removed stay as they are.
pub async fn change_projects(
    db: &Db,
    actor: &Actor,
    id: i64,
    projects: &[i64],
    add: bool,
) -> Result<AssignmentDiff, ServiceError> {
    let mut tx = db.begin_write().await?;
    let secret = load(&mut tx, id).await?;
    let current: Vec<i64> = sqlx::query_scalar(
        "SELECT project_id FROM assignments WHERE secret_id = $1 \
         AND status NOT IN ('Deleting', 'DeleteFailed')",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    let mut wanted: BTreeSet<i64> = current.into_iter().collect();
    for project in projects {
        if add {
            wanted.insert(*project);
        } else {
            wanted.remove(project);
        }
    }
    let diff = change_assignments(&mut tx, actor, &secret, wanted).await?;
    tx.commit().await?;
    Ok(diff)
}
