//! The secret record as the write paths read it: loading and locking a row, its snapshot for
//! the audit, and the refusals that depend on its state.

use sqlx::{AnyConnection, Row};

use crate::model::secret::{Scope, SecretKind, SecretSpec, UseCase};
use crate::server::errors::ServiceError;

/// The stored columns of a secret that the write paths need.
pub(super) struct SecretRecord {
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) kind: SecretKind,
    pub(super) scope: Scope,
    pub(super) project_id: Option<i64>,
    pub(super) use_case: UseCase,
    pub(super) description: String,
    pub(super) spec: SecretSpec,
    pub(super) version: i64,
    pub(super) deleting: bool,
    pub(super) updated_by: String,
}

impl SecretRecord {
    /// The audit snapshot: everything an admin may want to compare, never values.
    pub(super) fn snapshot(&self) -> String {
        snapshot(self.use_case, &self.description, &self.spec)
    }
}

pub(super) fn snapshot(use_case: UseCase, description: &str, spec: &SecretSpec) -> String {
    snapshot_replacing(use_case, description, spec, &[])
}

/// The audit snapshot after an update, with the names of the keys whose values it replaced
/// (never the values), so the history can say "value of password replaced".
pub(super) fn snapshot_replacing(
    use_case: UseCase,
    description: &str,
    spec: &SecretSpec,
    values_replaced: &[String],
) -> String {
    let mut snapshot = serde_json::json!({
        "use_case": use_case.as_str(),
        "description": description,
        "spec": spec,
    });
    if !values_replaced.is_empty() {
        snapshot["values_replaced"] = serde_json::json!(values_replaced);
    }
    snapshot.to_string()
}

pub(super) fn spec_json(spec: &SecretSpec) -> String {
    serde_json::to_string(spec).expect("specs serialize")
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
pub(super) async fn load(conn: &mut AnyConnection, id: i64) -> Result<SecretRecord, ServiceError> {
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

pub(super) async fn project_name(
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

pub(super) fn stale(secret: &SecretRecord, expected: i64) -> ServiceError {
    ServiceError::Conflict(format!(
        "`{}` was changed by {} after you opened it (you had version {expected}, it is now at version {}); reload it, then make your change again",
        secret.name, secret.updated_by, secret.version
    ))
}

pub(super) fn being_deleted(secret: &SecretRecord) -> ServiceError {
    ServiceError::Conflict(format!(
        "`{}` is being deleted; it can no longer be changed or assigned",
        secret.name
    ))
}
