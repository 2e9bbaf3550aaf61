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

use super::assignment_rows::{insert_assignment, insert_held_assignment, set_by_selector};
use super::record::{SecretRecord, being_deleted, load, project_name};
use super::selector_rows::{matching_projects, selector_keeping};
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
            // A selector would put it straight back: say which, and what to change.
            if let Some(selector) = selector_keeping(&mut tx, id, project_id).await? {
                let project = project_name(&mut tx, project_id).await?.unwrap_or_default();
                return Err(ServiceError::Conflict(format!(
                    "`{}` is assigned to project `{project}` by the selector `{selector}`; change the secret's selectors or the project's labels to remove it",
                    secret.name
                )));
            }
            let mut desired = named_projects(&mut tx, id).await?;
            desired.remove(&project_id);
            change_assignments(&mut tx, actor, &secret, desired).await?
        }
    };
    tx.commit().await?;
    Ok(diff)
}

/// One current assignment as the declarative paths read it.
#[derive(Debug, Clone, Copy)]
struct Current {
    status: AssignmentStatus,
    /// Only a selector keeps it (it was not named).
    by_selector: bool,
}

async fn current_assignments(
    tx: &mut AnyConnection,
    secret_id: i64,
) -> Result<BTreeMap<i64, Current>, ServiceError> {
    Ok(sqlx::query(
        "SELECT project_id, status, CASE WHEN by_selector THEN 1 ELSE 0 END AS by_selector \
         FROM assignments WHERE secret_id = $1",
    )
    .bind(secret_id)
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|row| -> Result<_, sqlx::Error> {
        let status: String = row.try_get("status")?;
        Ok((
            row.try_get("project_id")?,
            Current {
                status: AssignmentStatus::parse(&status).unwrap_or(AssignmentStatus::Pending),
                by_selector: row.try_get::<i64, _>("by_selector")? == 1,
            },
        ))
    })
    .collect::<Result<_, _>>()?)
}

/// The projects a secret is assigned to by name (not only by a selector), leaving out those
/// being unassigned.
pub(super) async fn named_projects(
    tx: &mut AnyConnection,
    secret_id: i64,
) -> Result<BTreeSet<i64>, ServiceError> {
    Ok(current_assignments(tx, secret_id)
        .await?
        .into_iter()
        .filter(|(_, c)| !c.by_selector && !c.status.is_deleting())
        .map(|(project, _)| project)
        .collect())
}

/// Makes a secret's assignments the projects named in `named` plus every project its
/// selectors match now. A named project that already has an object of that name refuses the
/// whole change; a matched one gets a Failed row saying why, and the others go ahead. An
/// assignment only a selector keeps goes when no selector matches any more; a named one stays.
/// Each change is audited.
pub(super) async fn change_assignments(
    tx: &mut AnyConnection,
    actor: &Actor,
    secret: &SecretRecord,
    named: BTreeSet<i64>,
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
    let current = current_assignments(tx, secret.id).await?;
    // Project → the first selector matching it.
    let matched: BTreeMap<i64, String> = matching_projects(tx, secret.id).await?;

    // Every named project must exist; names of the others are for the audit entries.
    let mut names = BTreeMap::new();
    for project_id in named.iter().chain(current.keys()).chain(matched.keys()) {
        let name = project_name(tx, *project_id).await?.ok_or_else(|| {
            invalid(
                "projects",
                format!("there is no project with id {project_id}"),
            )
        })?;
        names.insert(*project_id, name);
    }

    let mut diff = AssignmentDiff::default();
    let mut held = Vec::new();
    for (project_id, name) in &names {
        let is_named = named.contains(project_id);
        if !is_named && !matched.contains_key(project_id) {
            continue;
        }
        match current.get(project_id) {
            Some(c) if !status::can_reassign(Some(c.status)) => {
                // A selector waits for the removal to finish; a name is told to.
                if is_named {
                    return Err(ServiceError::Conflict(format!(
                        "`{}` is still being removed from project `{name}`; wait for that to finish (or retry it if it failed), then assign it again",
                        secret.name
                    )));
                }
            }
            Some(c) => {
                if c.by_selector == is_named {
                    set_by_selector(tx, secret.id, *project_id, !is_named).await?;
                }
            }
            None => {
                if let Some((scope, kind)) =
                    namespace_collision(tx, *project_id, &secret.name, secret.id).await?
                {
                    let reason = format!(
                        "project `{name}` already has a {} {} secret named `{}`, and both would create an object with that name in its namespace; rename one of them first",
                        scope.as_str().to_lowercase(),
                        kind.as_str(),
                        secret.name
                    );
                    if is_named {
                        return Err(invalid("projects", reason));
                    }
                    held.push((*project_id, reason));
                    continue;
                }
                diff.added.push(*project_id);
            }
        }
    }
    diff.removed = current
        .iter()
        .filter(|(project_id, c)| {
            !named.contains(project_id)
                && !matched.contains_key(project_id)
                && !c.status.is_deleting()
        })
        .map(|(project_id, _)| *project_id)
        .collect();

    for project_id in &diff.added {
        let by_selector = !named.contains(project_id);
        insert_assignment(tx, secret.id, *project_id, by_selector).await?;
    }
    for (project_id, reason) in &held {
        insert_held_assignment(tx, secret.id, *project_id, reason.clone()).await?;
    }
    for project_id in &diff.removed {
        observe_in(tx, secret.id, *project_id, &Observation::DeleteRequested).await?;
        work_queue::enqueue(tx, secret.id, *project_id, Op::Delete).await?;
    }
    refresh_rollup(tx, secret.id).await?;
    let name_of = |id: &i64| {
        names
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("project {id}"))
    };
    // What names asked for: one entry, as before selectors.
    let by_name = |ids: &[i64]| -> Vec<String> {
        ids.iter()
            .filter(|id| named.contains(id) || current.get(id).is_some_and(|c| !c.by_selector))
            .map(name_of)
            .collect()
    };
    let (named_added, named_removed) = (by_name(&diff.added), by_name(&diff.removed));
    if !named_added.is_empty() || !named_removed.is_empty() {
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
                after: Some(serde_json::json!({ "projects": named }).to_string()),
                detail: Some(
                    [
                        ("assigned to", &named_added),
                        ("unassigned from", &named_removed),
                    ]
                    .iter()
                    .filter(|(_, names)| !names.is_empty())
                    .map(|(what, names)| format!("{what} {}", names.join(", ")))
                    .collect::<Vec<_>>()
                    .join("; "),
                ),
                ..Entry::default()
            },
        )
        .await?;
    }
    // What selectors did: one entry per project, saying which selector and why.
    let selector_changes = diff
        .added
        .iter()
        .filter(|id| !named.contains(id))
        .map(|id| {
            let selector = matched.get(id).cloned().unwrap_or_default();
            ("assign-by-selector", *id, format!("assigned to {} because its labels match `{selector}`", name_of(id)))
        })
        .chain(held.iter().map(|(id, reason)| {
            let selector = matched.get(id).cloned().unwrap_or_default();
            ("assign-by-selector", *id, format!("matched {} by `{selector}`, but not applied there: {reason}", name_of(id)))
        }))
        .chain(
            diff.removed
                .iter()
                .filter(|id| current.get(id).is_some_and(|c| c.by_selector))
                .map(|id| {
                    ("unassign-by-selector", *id, format!("unassigned from {}: no selector of the secret matches its labels any more", name_of(id)))
                }),
        )
        .collect::<Vec<_>>();
    for (action, project_id, detail) in selector_changes {
        audit::record(
            tx,
            actor,
            Entry {
                action,
                secret_id: Some(secret.id),
                secret_name: Some(&secret.name),
                project_id: Some(project_id),
                detail: Some(detail),
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
    let mut wanted = named_projects(&mut tx, id).await?;
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
