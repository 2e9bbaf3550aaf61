//! What users do to secrets: create, update, delete, sync now, adopt.

use std::collections::BTreeSet;

use crate::domain::labels::parse_selectors;
use crate::domain::status::{AssignmentStatus, Observation};
use crate::domain::validation::{validate_refresh_interval, validate_secret_name, validate_spec};
use crate::model::secret::{Scope, SecretKind, SecretSpec, SecretValues, UseCase};
use crate::server::audit::{self, Actor, Entry};
use crate::server::clock::now_ms;
use crate::server::crypto::Keyring;
use crate::server::db::Db;
use crate::server::errors::{ServiceError, invalid};
use crate::server::work_queue::{self, Op};

use super::assignment_rows::{insert_assignment, request_adoption};
use super::assignments::{AssignmentDiff, change_assignments, namespace_collision};
use super::record::{
    being_deleted, load, project_name, snapshot, snapshot_replacing, spec_json, stale,
};
use super::selector_rows::store_selectors;
use super::status::{finish_if_deleted, observe_in, refresh_rollup};
use super::sync_all::queue_sync;
use super::values::{check_values, load_values, store_values};

/// Longest description we keep.
pub(super) const MAX_DESCRIPTION: usize = 1000;

/// Input of [`create`]: exactly what the create forms send. The name is also the name of the
/// objects in each namespace; values (Kubernetes secrets only) need one per key of the spec.
pub type NewSecret = crate::model::secret::CreateSecretInput;

/// Input of [`update`]. The name, kind and scope of a secret never change.
#[derive(Debug, Clone)]
pub struct SecretChanges {
    /// The new use case; the new spec must have the keys it requires.
    pub use_case: UseCase,
    /// Free text.
    pub description: String,
    /// The new spec, of the same kind.
    pub spec: SecretSpec,
    /// Replacement values, for Kubernetes secrets. Keys of the spec not given here keep their
    /// current value; a key new to the spec needs one.
    pub replace_values: SecretValues,
}

/// Validates what create and update share, and returns the spec in canonical form (refresh
/// interval as Go prints it, `1h0m0s`), which is what a cluster stores and so what we store.
pub(super) fn check_common(
    use_case: UseCase,
    description: &str,
    spec: &SecretSpec,
) -> Result<SecretSpec, ServiceError> {
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(invalid(
            "description",
            format!("must be at most {MAX_DESCRIPTION} characters"),
        ));
    }
    validate_spec(use_case, spec)?;
    let mut canonical = spec.clone();
    if let SecretSpec::External(external) = &mut canonical {
        external.refresh_interval = validate_refresh_interval(&external.refresh_interval)?;
        // The fields only a manifest sets (dataFrom, template, policies) against the CRD
        // schema and the console's rules: a spec arrives as JSON from any client.
        if let Some(error) = crate::server::eso::check_spec(external, use_case)
            .into_iter()
            .next()
        {
            return Err(error.into());
        }
    }
    Ok(canonical)
}

/// Creates a secret. A project secret gets its one assignment (and its cluster work) at once;
/// an organization secret, the projects and selectors it names (see [`create_assigning`]).
pub async fn create(
    db: &Db,
    keys: &Keyring,
    actor: &Actor,
    new: NewSecret,
) -> Result<i64, ServiceError> {
    Ok(create_assigning(db, keys, actor, new).await?.0)
}

/// Creates a secret and, for an organization secret, stores its selectors and assigns it to
/// the projects in `assign_to` and those the selectors match, all in one transaction: exactly
/// as assigning right after creating would (a named project with a same-named object refuses
/// the whole create; a project only a selector matches gets a Failed row saying why), but a
/// refusal leaves nothing written, not even the secret. Returns its id and what was assigned.
pub async fn create_assigning(
    db: &Db,
    keys: &Keyring,
    actor: &Actor,
    new: NewSecret,
) -> Result<(i64, AssignmentDiff), ServiceError> {
    validate_secret_name(&new.name)?;
    check_common(new.use_case, &new.description, &new.spec)?;
    check_values(&new.spec, &new.values)?;
    let selectors = parse_selectors("selectors", &new.selectors)?;
    if new.scope == Scope::Project {
        let refused = |field: &str| {
            invalid(
                field,
                "a project secret stays in its own project; only organization secrets are assigned to other projects or by selector",
            )
        };
        if !new.assign_to.is_empty() {
            return Err(refused("assign_to"));
        }
        if !selectors.is_empty() {
            return Err(refused("selectors"));
        }
    }
    let kind = new.spec.kind();

    let mut tx = db.begin_write().await?;
    let project = match (new.scope, new.project_id) {
        (Scope::Organization, Some(_)) => {
            return Err(invalid(
                "project_id",
                "organization secrets belong to no project; name the projects to assign it to in `assign_to` instead",
            ));
        }
        (Scope::Organization, None) => None,
        (Scope::Project, None) => {
            return Err(invalid(
                "project_id",
                "choose the project this secret belongs to",
            ));
        }
        (Scope::Project, Some(project_id)) => {
            let name = project_name(&mut tx, project_id).await?.ok_or_else(|| {
                invalid(
                    "project_id",
                    format!("there is no project with id {project_id}"),
                )
            })?;
            Some((project_id, name))
        }
    };

    match &project {
        None => {
            let taken: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM secrets WHERE scope = 'Organization' AND name = $1 AND kind = $2",
            )
            .bind(&new.name)
            .bind(kind.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            if taken.is_some() {
                return Err(invalid(
                    "name",
                    format!(
                        "an organization {} secret named `{}` already exists; choose another name",
                        kind.as_str(),
                        new.name
                    ),
                ));
            }
        }
        Some((project_id, project_name)) => {
            if let Some((scope, _)) =
                namespace_collision(&mut tx, *project_id, &new.name, -1).await?
            {
                let message = match scope {
                    Scope::Project => format!(
                        "project `{project_name}` already has a secret named `{}`; choose another name",
                        new.name
                    ),
                    Scope::Organization => format!(
                        "the organization secret `{}` is assigned to project `{project_name}`, and both would create an object with that name in its namespace; choose another name",
                        new.name
                    ),
                };
                return Err(invalid("name", message));
            }
        }
    }

    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO secrets (name, kind, scope, project_id, use_case, description, spec, version, status, \
         deleting, created_by, created_at, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, 'Unassigned', FALSE, $8, $9, $8, $9) RETURNING id",
    )
    .bind(&new.name)
    .bind(kind.as_str())
    .bind(new.scope.as_str())
    .bind(new.project_id)
    .bind(new.use_case.as_str())
    .bind(&new.description)
    .bind(spec_json(&new.spec))
    .bind(&actor.email)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;

    if kind == SecretKind::Kubernetes {
        // Sealed after the insert: the ciphertext is bound to the new row's id.
        store_values(&mut tx, id, &keys.seal(id, &new.values)?, false).await?;
    }
    if let Some((project_id, _)) = project {
        insert_assignment(&mut tx, id, project_id, false).await?;
        refresh_rollup(&mut tx, id).await?;
    }
    audit::record(
        &mut tx,
        actor,
        Entry {
            action: "create",
            secret_id: Some(id),
            secret_name: Some(&new.name),
            project_id: new.project_id,
            after: Some(snapshot(new.use_case, &new.description, &new.spec)),
            ..Entry::default()
        },
    )
    .await?;
    let mut diff = AssignmentDiff::default();
    if new.scope == Scope::Organization && (!new.assign_to.is_empty() || !selectors.is_empty()) {
        // The same steps (and audit entries) as the selector form and the assign form after
        // creating; the named projects' problems are this form's `assign_to`.
        store_selectors(&mut tx, actor, id, &new.name, &selectors).await?;
        let secret = load(&mut tx, id).await?;
        let named = new.assign_to.iter().copied().collect::<BTreeSet<i64>>();
        diff = change_assignments(&mut tx, actor, &secret, named)
            .await
            .map_err(|error| match error {
                ServiceError::Invalid(problem) if problem.field == "projects" => {
                    invalid("assign_to", problem.message)
                }
                other => other,
            })?;
    }
    tx.commit().await?;
    Ok((id, diff))
}

/// Updates a secret's use case, description, spec and values. `expected_version` is the version
/// the user edited: if the secret changed since, nothing is written and the result is Conflict.
pub async fn update(
    db: &Db,
    keys: &Keyring,
    actor: &Actor,
    id: i64,
    expected_version: i64,
    mut changes: SecretChanges,
) -> Result<i64, ServiceError> {
    changes.spec = check_common(changes.use_case, &changes.description, &changes.spec)?;
    let mut tx = db.begin_write().await?;
    let secret = load(&mut tx, id).await?;
    if secret.deleting {
        return Err(being_deleted(&secret));
    }
    if secret.version != expected_version {
        return Err(stale(&secret, expected_version));
    }
    if changes.spec.kind() != secret.kind {
        return Err(invalid(
            "kind",
            "the kind of a secret cannot change; create a new secret of the other kind instead",
        ));
    }

    let sealed = match &changes.spec {
        SecretSpec::Kubernetes(k8s) => {
            let current = load_values(&mut tx, keys, id).await?;
            let merged = SecretValues::from_pairs(k8s.keys.iter().filter_map(|key| {
                changes
                    .replace_values
                    .get(key)
                    .or_else(|| current.get(key))
                    .map(|value| (key.clone(), value.to_owned()))
            }));
            check_values(&changes.spec, &merged)?;
            if let Some(extra) = changes
                .replace_values
                .keys()
                .find(|key| merged.get(key).is_none())
            {
                return Err(invalid(
                    "values",
                    format!(
                        "a value was given for `{extra}`, which is not in the key list; add the key or remove the value"
                    ),
                ));
            }
            Some(keys.seal(id, &merged)?)
        }
        SecretSpec::External(_) => {
            check_values(&changes.spec, &changes.replace_values)?;
            None
        }
    };

    let before = secret.snapshot();
    let updated = sqlx::query(
        "UPDATE secrets SET use_case = $1, description = $2, spec = $3, version = version + 1, \
         updated_by = $4, updated_at = $5 WHERE id = $6 AND version = $7",
    )
    .bind(changes.use_case.as_str())
    .bind(&changes.description)
    .bind(spec_json(&changes.spec))
    .bind(&actor.email)
    .bind(now_ms())
    .bind(id)
    .bind(expected_version)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(stale(&secret, expected_version));
    }
    if let Some(sealed) = sealed {
        store_values(&mut tx, id, &sealed, true).await?;
    }

    let projects: Vec<i64> = sqlx::query_scalar(
        "SELECT project_id FROM assignments WHERE secret_id = $1 ORDER BY project_id",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    for project_id in projects {
        if let Some(state) =
            observe_in(&mut tx, id, project_id, &Observation::DesiredChanged).await?
            && !state.status.is_deleting()
        {
            work_queue::enqueue(&mut tx, id, project_id, Op::Apply).await?;
        }
    }
    refresh_rollup(&mut tx, id).await?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            action: "update",
            secret_id: Some(id),
            secret_name: Some(&secret.name),
            project_id: secret.project_id,
            before: Some(before),
            after: Some(snapshot_replacing(
                changes.use_case,
                &changes.description,
                &changes.spec,
                &changes
                    .replace_values
                    .keys()
                    .map(str::to_owned)
                    .collect::<Vec<_>>(),
            )),
            ..Entry::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(expected_version + 1)
}

/// Deletes a secret: every assignment goes to Deleting and its object is queued for deletion;
/// the secret's row goes when the last one is gone (at once, if it has none). Calling it again
/// retries the deletes that failed.
pub async fn delete(db: &Db, actor: &Actor, id: i64) -> Result<(), ServiceError> {
    let mut tx = db.begin_write().await?;
    let secret = load(&mut tx, id).await?;
    sqlx::query(
        "UPDATE secrets SET deleting = TRUE, updated_by = $1, updated_at = $2 WHERE id = $3",
    )
    .bind(&actor.email)
    .bind(now_ms())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let projects: Vec<i64> =
        sqlx::query_scalar("SELECT project_id FROM assignments WHERE secret_id = $1")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
    for project_id in &projects {
        observe_in(&mut tx, id, *project_id, &Observation::DeleteRequested).await?;
        work_queue::enqueue(&mut tx, id, *project_id, Op::Delete).await?;
    }
    audit::record(
        &mut tx,
        actor,
        Entry {
            action: if secret.deleting {
                "delete-retry"
            } else {
                "delete"
            },
            secret_id: Some(id),
            secret_name: Some(&secret.name),
            project_id: secret.project_id,
            before: Some(secret.snapshot()),
            detail: Some(format!(
                "{} assignment(s) to remove from clusters",
                projects.len()
            )),
            ..Entry::default()
        },
    )
    .await?;
    finish_if_deleted(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// Asks for an immediate re-sync of a secret in the given projects (all, if `None`); a
/// Kubernetes Secret's assignments show Pending until applied and seen again (`queue_sync`).
/// Returns how many were queued.
pub async fn request_sync(
    db: &Db,
    actor: &Actor,
    id: i64,
    project_ids: Option<&[i64]>,
) -> Result<usize, ServiceError> {
    let mut tx = db.begin_write().await?;
    let secret = load(&mut tx, id).await?;
    if secret.deleting {
        return Err(being_deleted(&secret));
    }
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT project_id, status FROM assignments WHERE secret_id = $1")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
    let mut queued = 0;
    for (project_id, status) in rows {
        let wanted = project_ids.is_none_or(|ids| ids.contains(&project_id));
        let deleting = AssignmentStatus::parse(&status).is_some_and(AssignmentStatus::is_deleting);
        if wanted && !deleting {
            queue_sync(
                &mut tx,
                id,
                project_id,
                secret.kind == SecretKind::Kubernetes,
            )
            .await?;
            queued += 1;
        }
    }
    refresh_rollup(&mut tx, id).await?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            action: "sync",
            secret_id: Some(id),
            secret_name: Some(&secret.name),
            project_id: secret.project_id,
            detail: Some(format!("sync requested for {queued} assignment(s)")),
            ..Entry::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(queued)
}

/// Takes over a same-named object the console does not own, in one project (admins only: the
/// server function checks). The next apply of that assignment is a server-side apply with
/// `force`, which replaces the other manager's fields; the request is audited.
pub async fn adopt(db: &Db, actor: &Actor, id: i64, project_id: i64) -> Result<(), ServiceError> {
    let mut tx = db.begin_write().await?;
    let secret = load(&mut tx, id).await?;
    if secret.deleting {
        return Err(being_deleted(&secret));
    }
    let status: Option<String> = sqlx::query_scalar(
        "SELECT status FROM assignments WHERE secret_id = $1 AND project_id = $2",
    )
    .bind(id)
    .bind(project_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(status) = status else {
        return Err(ServiceError::NotFound);
    };
    if AssignmentStatus::parse(&status).is_some_and(AssignmentStatus::is_deleting) {
        return Err(ServiceError::Conflict(format!(
            "`{}` is being removed from this project; it cannot adopt an object there",
            secret.name
        )));
    }
    request_adoption(&mut tx, id, project_id).await?;
    observe_in(&mut tx, id, project_id, &Observation::DesiredChanged).await?;
    work_queue::enqueue(&mut tx, id, project_id, Op::Apply).await?;
    refresh_rollup(&mut tx, id).await?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            action: "adopt",
            secret_id: Some(id),
            secret_name: Some(&secret.name),
            project_id: Some(project_id),
            detail: Some(
                "an existing object of the same name is taken over (server-side apply with force)"
                    .to_owned(),
            ),
            ..Entry::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
