//! The services that change secrets and their assignments.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::{AnyConnection, Row};

use super::{ServiceError, invalid};
use crate::domain::status::{self, AssignmentState, AssignmentStatus, Observation, Transition};
use crate::domain::validation::{
    validate_refresh_interval, validate_secret_name, validate_spec, validate_values_size,
};
use crate::model::secret::{Scope, SecretKind, SecretSpec, SecretValues, UseCase};
use crate::server::audit::{self, Actor, Entry};
use crate::server::crypto::{Envelope, Keyring, Sealed};
use crate::server::db::Db;
use crate::server::live;
use crate::server::now_ms;
use crate::server::work_queue::{self, Op};

/// Longest description we keep.
const MAX_DESCRIPTION: usize = 1000;

/// Input of [`create`]: exactly what the create forms send. The name is also the name of the
/// objects in each namespace; values (Kubernetes secrets only) need one per key of the spec.
pub type NewSecret = crate::model::secret::CreateSecretInput;

/// Input of [`update`]. The name, kind and scope of a secret never change.
#[derive(Debug, Clone)]
pub struct SecretChanges {
    /// Use case.
    pub use_case: UseCase,
    /// Free text.
    pub description: String,
    /// The new spec, of the same kind.
    pub spec: SecretSpec,
    /// Replacement values, for Kubernetes secrets. Keys of the spec not given here keep their
    /// current value; a key new to the spec needs one.
    pub replace_values: SecretValues,
}

/// What [`set_assignments`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssignmentDiff {
    /// Projects newly assigned.
    pub added: Vec<i64>,
    /// Projects being unassigned.
    pub removed: Vec<i64>,
}

/// The stored columns of a secret that the write paths need.
struct SecretRecord {
    id: i64,
    name: String,
    kind: SecretKind,
    scope: Scope,
    project_id: Option<i64>,
    use_case: UseCase,
    description: String,
    spec: SecretSpec,
    version: i64,
    deleting: bool,
    updated_by: String,
}

impl SecretRecord {
    /// The audit snapshot: everything an admin may want to compare, never values.
    fn snapshot(&self) -> String {
        snapshot(self.use_case, &self.description, &self.spec)
    }
}

fn snapshot(use_case: UseCase, description: &str, spec: &SecretSpec) -> String {
    serde_json::json!({
        "use_case": use_case.as_str(),
        "description": description,
        "spec": spec,
    })
    .to_string()
}

fn spec_json(spec: &SecretSpec) -> String {
    serde_json::to_string(spec).expect("specs serialize")
}

/// Validates what create and update share, and returns the spec in canonical form (refresh
/// interval as Go prints it, `1h0m0s`), which is what a cluster stores and so what we store.
fn check_common(
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
    }
    Ok(canonical)
}

/// Checks that `values` holds exactly one value per key of a Kubernetes spec.
fn check_values(spec: &SecretSpec, values: &SecretValues) -> Result<(), ServiceError> {
    match spec {
        SecretSpec::External(_) => {
            if !values.is_empty() {
                return Err(invalid(
                    "values",
                    "External secrets take no values: the store holds them. Remove the values, or create a Kubernetes secret.",
                ));
            }
        }
        SecretSpec::Kubernetes(k8s) => {
            let wanted: BTreeSet<&str> = k8s.keys.iter().map(String::as_str).collect();
            if let Some(extra) = values.keys().find(|key| !wanted.contains(key)) {
                return Err(invalid(
                    "values",
                    format!(
                        "a value was given for `{extra}`, which is not in the key list; add the key or remove the value"
                    ),
                ));
            }
            if let Some(missing) = k8s.keys.iter().find(|key| values.get(key).is_none()) {
                return Err(invalid(
                    &format!("values.{missing}"),
                    "enter a value for this key",
                ));
            }
            validate_values_size(values.total_bytes())?;
        }
    }
    Ok(())
}

/// Takes the secret's row lock first, so that every transaction touching a secret's rows
/// (user changes, and the statuses the reconciler records) locks them in one order: the
/// secret, then its assignments. Two orders deadlocked on PostgreSQL (the truth checker found
/// it). SQLite needs nothing: `BEGIN IMMEDIATE` lets one writer in at a time.
/// (`NO KEY UPDATE`: rows that merely reference the secret, like audit entries, do not wait.)
pub(crate) async fn lock_secret(conn: &mut AnyConnection, id: i64) -> Result<(), ServiceError> {
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT id FROM secrets WHERE id = $1 FOR NO KEY UPDATE")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The secret, its row locked for the rest of the transaction (see [`lock_secret`]).
async fn load(conn: &mut AnyConnection, id: i64) -> Result<SecretRecord, ServiceError> {
    lock_secret(conn, id).await?;
    let row = sqlx::query(
        "SELECT id, name, kind, scope, project_id, use_case, description, spec, version, \
         CASE WHEN deleting THEN 1 ELSE 0 END AS deleting, updated_by FROM secrets WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(ServiceError::NotFound)?;
    let corrupt =
        |what: &str| ServiceError::Conflict(format!("stored secret {id} has an unreadable {what}"));
    Ok(SecretRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: SecretKind::parse(row.try_get("kind")?).ok_or_else(|| corrupt("kind"))?,
        scope: Scope::parse(row.try_get("scope")?).ok_or_else(|| corrupt("scope"))?,
        project_id: row.try_get("project_id")?,
        use_case: UseCase::parse(row.try_get("use_case")?).ok_or_else(|| corrupt("use case"))?,
        description: row.try_get("description")?,
        spec: serde_json::from_str(row.try_get("spec")?).map_err(|_| corrupt("spec"))?,
        version: row.try_get("version")?,
        deleting: row.try_get::<i64, _>("deleting")? != 0,
        updated_by: row.try_get("updated_by")?,
    })
}

async fn project_name(
    conn: &mut AnyConnection,
    project_id: i64,
) -> Result<Option<String>, ServiceError> {
    Ok(
        sqlx::query_scalar("SELECT name FROM projects WHERE id = $1")
            .bind(project_id)
            .fetch_optional(conn)
            .await?,
    )
}

/// Another secret that would land an object named `name` in `project_id`'s namespace: a
/// project secret there, or an organization secret assigned there.
async fn namespace_collision(
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

/// Recomputes a secret's rolled-up status from its assignments.
pub(crate) async fn refresh_rollup(
    conn: &mut AnyConnection,
    secret_id: i64,
) -> Result<(), ServiceError> {
    let statuses: Vec<String> =
        sqlx::query_scalar("SELECT status FROM assignments WHERE secret_id = $1")
            .bind(secret_id)
            .fetch_all(&mut *conn)
            .await?;
    let rolled = status::rollup(statuses.iter().filter_map(|s| AssignmentStatus::parse(s)));
    let changed = sqlx::query("UPDATE secrets SET status = $1 WHERE id = $2 AND status <> $1")
        .bind(rolled.as_str())
        .bind(secret_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if changed > 0 {
        live::emit(conn, secret_id).await?;
    }
    Ok(())
}

async fn insert_assignment(
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

/// Applies `observation` to the assignment and stores the result (or removes the row).
async fn observe_in(
    conn: &mut AnyConnection,
    secret_id: i64,
    project_id: i64,
    observation: &Observation,
) -> Result<Option<AssignmentState>, ServiceError> {
    let row = sqlx::query("SELECT status, reason, applied_generation FROM assignments WHERE secret_id = $1 AND project_id = $2")
        .bind(secret_id)
        .bind(project_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let current = AssignmentState {
        status: AssignmentStatus::parse(row.try_get("status")?)
            .unwrap_or(AssignmentStatus::Pending),
        reason: row.try_get("reason")?,
        applied_generation: row.try_get("applied_generation")?,
    };
    match status::transition(&current, observation) {
        Transition::Remove => {
            sqlx::query("DELETE FROM assignments WHERE secret_id = $1 AND project_id = $2")
                .bind(secret_id)
                .bind(project_id)
                .execute(&mut *conn)
                .await?;
            live::emit(conn, secret_id).await?;
            Ok(None)
        }
        Transition::Update(next) => {
            if next != current {
                let synced_now = next.status == AssignmentStatus::Synced
                    && current.status != AssignmentStatus::Synced;
                sqlx::query(
                    "UPDATE assignments SET status = $1, reason = $2, applied_generation = $3, updated_at = $4, \
                     last_sync_at = CASE WHEN $5 = 1 THEN $4 ELSE last_sync_at END \
                     WHERE secret_id = $6 AND project_id = $7",
                )
                .bind(next.status.as_str())
                .bind(next.reason.as_deref())
                .bind(next.applied_generation)
                .bind(now_ms())
                .bind(i64::from(synced_now))
                .bind(secret_id)
                .bind(project_id)
                .execute(&mut *conn)
                .await?;
                live::emit(conn, secret_id).await?;
            }
            Ok(Some(next))
        }
    }
}

/// Records what the cluster reported about one assignment, then the rollup; a finished delete
/// removes the assignment, and the secret too once it is being deleted and has none left.
/// Returns the assignment's new state (`None` once removed).
pub async fn observe(
    db: &Db,
    secret_id: i64,
    project_id: i64,
    observation: &Observation,
) -> Result<Option<AssignmentState>, ServiceError> {
    let mut tx = db.begin_write().await?;
    lock_secret(&mut tx, secret_id).await?;
    let next = observe_in(&mut tx, secret_id, project_id, observation).await?;
    finish_if_deleted(&mut tx, secret_id).await?;
    tx.commit().await?;
    Ok(next)
}

/// Removes a secret that is being deleted once its last assignment is gone; otherwise
/// refreshes its rollup.
async fn finish_if_deleted(conn: &mut AnyConnection, secret_id: i64) -> Result<(), ServiceError> {
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
        refresh_rollup(conn, secret_id).await?;
    } else {
        live::emit(conn, secret_id).await?;
    }
    Ok(())
}

/// Creates a secret. A project secret gets its one assignment (and its cluster work) at once.
pub async fn create(
    db: &Db,
    keys: &Keyring,
    actor: &Actor,
    new: NewSecret,
) -> Result<i64, ServiceError> {
    validate_secret_name(&new.name)?;
    check_common(new.use_case, &new.description, &new.spec)?;
    check_values(&new.spec, &new.values)?;
    let kind = new.spec.kind();

    let mut tx = db.begin_write().await?;
    let project = match (new.scope, new.project_id) {
        (Scope::Organization, Some(_)) => {
            return Err(invalid(
                "project_id",
                "organization secrets belong to no project; assign them to projects after creating them",
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
        insert_assignment(&mut tx, id, project_id).await?;
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
    tx.commit().await?;
    Ok(id)
}

async fn store_values(
    conn: &mut AnyConnection,
    secret_id: i64,
    sealed: &Sealed,
    replace: bool,
) -> Result<(), ServiceError> {
    let sql = if replace {
        "UPDATE secret_values SET master_key_id = $2, wrapped_key = $3, nonce = $4, ciphertext = $5, fingerprint = $6, \
         envelope = $7 WHERE secret_id = $1"
    } else {
        "INSERT INTO secret_values (secret_id, master_key_id, wrapped_key, nonce, ciphertext, fingerprint, envelope) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    };
    sqlx::query(sql)
        .bind(secret_id)
        .bind(&sealed.master_key_id)
        .bind(&sealed.wrapped_key)
        .bind(&sealed.nonce)
        .bind(&sealed.ciphertext)
        .bind(&sealed.fingerprint)
        .bind(sealed.envelope.as_i64())
        .execute(conn)
        .await?;
    Ok(())
}

/// Reads a `secret_values` row (its `envelope`, `master_key_id`, `wrapped_key`, `nonce`,
/// `ciphertext` and `fingerprint` columns).
pub(crate) fn sealed_from_row(row: &sqlx::any::AnyRow) -> Result<Sealed, sqlx::Error> {
    let envelope = Envelope::from_i64(row.try_get("envelope")?).map_err(|error| {
        sqlx::Error::ColumnDecode {
            index: "envelope".to_owned(),
            source: Box::new(error),
        }
    })?;
    Ok(Sealed {
        envelope,
        master_key_id: row.try_get("master_key_id")?,
        wrapped_key: row.try_get("wrapped_key")?,
        nonce: row.try_get("nonce")?,
        ciphertext: row.try_get("ciphertext")?,
        fingerprint: row.try_get("fingerprint")?,
    })
}

/// Decrypts a secret's values, for the reconciler to write into a cluster. Server-side only:
/// no server function returns them.
pub async fn decrypt_values(
    db: &Db,
    keys: &Keyring,
    secret_id: i64,
) -> Result<SecretValues, ServiceError> {
    let mut conn = db.pool().acquire().await?;
    load_values(&mut conn, keys, secret_id).await
}

/// Loads and decrypts a secret's values inside a transaction.
async fn load_values(
    conn: &mut AnyConnection,
    keys: &Keyring,
    secret_id: i64,
) -> Result<SecretValues, ServiceError> {
    let row = sqlx::query(
        "SELECT envelope, master_key_id, wrapped_key, nonce, ciphertext, fingerprint FROM secret_values WHERE secret_id = $1",
    )
    .bind(secret_id)
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else {
        return Ok(SecretValues::default());
    };
    Ok(keys.open(secret_id, &sealed_from_row(&row)?)?)
}

fn stale(secret: &SecretRecord, expected: i64) -> ServiceError {
    ServiceError::Conflict(format!(
        "`{}` was changed by {} after you opened it (you had version {expected}, it is now at version {}); reload it, then make your change again",
        secret.name, secret.updated_by, secret.version
    ))
}

fn being_deleted(secret: &SecretRecord) -> ServiceError {
    ServiceError::Conflict(format!(
        "`{}` is being deleted; it can no longer be changed or assigned",
        secret.name
    ))
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
            after: Some(snapshot(
                changes.use_case,
                &changes.description,
                &changes.spec,
            )),
            ..Entry::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(expected_version + 1)
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

async fn change_assignments(
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

/// Asks for an immediate re-sync of a secret in the given projects (all, if `None`). Returns how
/// many assignments were queued.
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
            work_queue::enqueue(&mut tx, id, project_id, Op::Sync).await?;
            queued += 1;
        }
    }
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
    sqlx::query("UPDATE assignments SET adopt = TRUE WHERE secret_id = $1 AND project_id = $2")
        .bind(id)
        .bind(project_id)
        .execute(&mut *tx)
        .await?;
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
