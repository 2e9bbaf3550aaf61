//! Bringing existing objects under management: the Secrets and ExternalSecrets in a project's
//! namespace that no assignment owns (`server::cluster::unmanaged` sorts them), and "Manage
//! with the console", which makes one a project secret without changing its data.
//!
//! A Secret's values are read once and sealed like any Kubernetes secret's (never shown,
//! logged or audited); an ExternalSecret's spec is taken as it is. The new secret, its
//! assignment and its take-over flag are written in one transaction with the audit entries:
//! the reconciler then takes the object only while its content equals what the console would
//! write (`reconcile::plan`), so taking ownership adds the console's labels and annotations and
//! never rewrites the data.

use std::collections::BTreeSet;

use sqlx::{AnyConnection, Row};

use crate::model::secret::{KubernetesSpec, Scope, SecretSpec, SecretValues, UseCase};
use crate::model::unmanaged::{ObjectKind, UnmanagedAnswer};
use crate::server::audit::{self, Actor, Entry};
use crate::server::clock::now_ms;
use crate::server::cluster::registry::ClusterHandle;
use crate::server::cluster::unmanaged::{self, Existing, Known};
use crate::server::crypto::Keyring;
use crate::server::db::Db;
use crate::server::errors::{ServiceError, invalid};

use super::assignment_rows::{insert_assignment, request_take_over};
use super::assignments::namespace_collision;
use super::commands::check_common;
use super::protected::ProtectedNames;
use super::record::{snapshot, spec_json};
use super::status::refresh_rollup;
use super::values::{check_values, store_values};

/// Where a project's objects are.
struct Place {
    namespace: String,
    cluster: String,
}

async fn place(conn: &mut AnyConnection, project_id: i64) -> Result<Place, ServiceError> {
    let row = sqlx::query(
        "SELECT p.namespace AS namespace, c.name AS cluster FROM projects p \
         JOIN clusters c ON c.id = p.cluster_id WHERE p.id = $1",
    )
    .bind(project_id)
    .fetch_optional(conn)
    .await?
    .ok_or(ServiceError::NotFound)?;
    Ok(Place {
        namespace: row.try_get("namespace")?,
        cluster: row.try_get("cluster")?,
    })
}

/// The ids of the project's assignments, and the names of the console's secrets that land an
/// object in its namespace.
async fn known_here(
    conn: &mut AnyConnection,
    project_id: i64,
) -> Result<(BTreeSet<String>, BTreeSet<String>), ServiceError> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM assignments WHERE project_id = $1")
        .bind(project_id)
        .fetch_all(&mut *conn)
        .await?;
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT s.name FROM secrets s WHERE (s.scope = 'Project' AND s.project_id = $1) \
         OR EXISTS (SELECT 1 FROM assignments a WHERE a.secret_id = s.id AND a.project_id = $1)",
    )
    .bind(project_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok((
        ids.into_iter().map(|id| id.to_string()).collect(),
        names.into_iter().collect(),
    ))
}

fn namespace<'a>(cluster: &'a ClusterHandle, place: &'a Place) -> unmanaged::Namespace<'a> {
    unmanaged::Namespace {
        client: &cluster.client,
        name: &place.namespace,
        es_version: cluster.eso.api_version(),
    }
}

fn handle<'a>(clusters: &'a [ClusterHandle], place: &Place) -> Option<&'a ClusterHandle> {
    clusters.iter().find(|c| c.name == place.cluster)
}

/// A cluster's failure in words (the details, which name its address, go to the log).
fn unreachable(place: &Place, error: &kube::Error) -> String {
    tracing::warn!(cluster = %place.cluster, namespace = %place.namespace, %error, "unmanaged objects: cannot read the namespace");
    match error {
        kube::Error::Api(_) => format!(
            "cluster {} refused to list namespace `{}`",
            place.cluster, place.namespace
        ),
        _ => format!("cluster {} could not be reached", place.cluster),
    }
}

/// The objects in project `project_id`'s namespace that no assignment owns (for admins: the
/// server function checks), or why its cluster could not be asked.
pub async fn list_unmanaged(
    db: &Db,
    clusters: &[ClusterHandle],
    protected: &ProtectedNames,
    project_id: i64,
) -> Result<UnmanagedAnswer, ServiceError> {
    let mut conn = db.pool().acquire().await?;
    let place = place(&mut conn, project_id).await?;
    let (assignments, console_names) = known_here(&mut conn, project_id).await?;
    drop(conn);
    let Some(cluster) = handle(clusters, &place) else {
        return Ok(UnmanagedAnswer::CouldNotList(format!(
            "cluster {} is not registered on this console",
            place.cluster
        )));
    };
    let found = match unmanaged::list_namespace(namespace(cluster, &place)).await {
        Ok(found) => found,
        Err(error) => return Ok(UnmanagedAnswer::CouldNotList(unreachable(&place, &error))),
    };
    let is_protected = |name: &str| protected.check(name).is_err();
    let known = Known {
        assignments: &assignments,
        console_names: &console_names,
        protected: &is_protected,
    };
    Ok(UnmanagedAnswer::Listed(unmanaged::unmanaged(
        &found, &known,
    )))
}

/// "Manage with the console": makes the `kind` object `name` in project `project_id`'s
/// namespace a project secret of that name, with its assignment marked to take the object
/// over without writing its data (admins only: the server function checks). Returns the new
/// secret's id. Refused, naming why, when the object is not there, not one the console may
/// manage, or not one it can hold as it is.
pub async fn manage(
    db: &Db,
    keys: &Keyring,
    clusters: &[ClusterHandle],
    protected: &ProtectedNames,
    actor: &Actor,
    (project_id, kind, name): (i64, ObjectKind, &str),
) -> Result<i64, ServiceError> {
    let mut conn = db.pool().acquire().await?;
    let place = place(&mut conn, project_id).await?;
    let (assignments, console_names) = known_here(&mut conn, project_id).await?;
    drop(conn);
    let cluster = handle(clusters, &place).ok_or_else(|| {
        ServiceError::Conflict(format!(
            "cluster {} is not registered on this console",
            place.cluster
        ))
    })?;
    let what = format!(
        "{} `{name}` in namespace `{}` on cluster {}",
        kind.as_str(),
        place.namespace,
        place.cluster
    );
    let object = unmanaged::read(namespace(cluster, &place), kind, name)
        .await
        .map_err(|error| ServiceError::Conflict(unreachable(&place, &error)))?
        .ok_or_else(|| invalid("name", format!("there is no {what}")))?;
    let is_protected = |name: &str| protected.check(name).is_err();
    let known = Known {
        assignments: &assignments,
        console_names: &console_names,
        protected: &is_protected,
    };
    if !unmanaged::listed(&object, &known, kind) {
        return Err(invalid(
            "name",
            format!("{what} is not one the console may bring under management"),
        ));
    }
    let described = unmanaged::unmanaged(
        &match kind {
            ObjectKind::Secret => unmanaged::Found {
                secrets: vec![object.clone()],
                ..unmanaged::Found::default()
            },
            ObjectKind::ExternalSecret => unmanaged::Found {
                external_secrets: vec![object.clone()],
                ..unmanaged::Found::default()
            },
        },
        &known,
    );
    if let Some(why) = described.into_iter().find_map(|o| o.blocked) {
        return Err(invalid("name", format!("{what} cannot be managed: {why}")));
    }
    let (spec, values) = match unmanaged::take(&object, kind).map_err(|why| invalid("name", why))? {
        Existing::Secret {
            secret_type,
            values,
        } => (
            SecretSpec::Kubernetes(KubernetesSpec {
                secret_type,
                keys: values.keys().map(str::to_owned).collect(),
            }),
            values,
        ),
        Existing::External(spec) => (
            SecretSpec::External(*spec),
            SecretValues::from_pairs(Vec::new()),
        ),
    };
    let description = format!(
        "Brought under management from the existing {}.",
        kind.as_str()
    );
    let spec = check_common(UseCase::Generic, &description, &spec)?;
    check_values(&spec, &values)?;
    create_taking_over(
        db,
        keys,
        actor,
        (project_id, name, &what),
        &description,
        &spec,
        &values,
    )
    .await
}

/// Writes the project secret, its sealed values, its assignment marked to take over, the
/// rollup and the audit entries, in one transaction.
async fn create_taking_over(
    db: &Db,
    keys: &Keyring,
    actor: &Actor,
    (project_id, name, what): (i64, &str, &str),
    description: &str,
    spec: &SecretSpec,
    values: &SecretValues,
) -> Result<i64, ServiceError> {
    let mut tx = db.begin_write().await?;
    if namespace_collision(&mut tx, project_id, name, -1)
        .await?
        .is_some()
    {
        return Err(invalid(
            "name",
            format!(
                "the console already lands an object named `{name}` in this project's namespace"
            ),
        ));
    }
    let now = now_ms();
    let kind = spec.kind();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO secrets (name, kind, scope, project_id, use_case, description, spec, version, status, \
         deleting, created_by, created_at, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, 'Unassigned', FALSE, $8, $9, $8, $9) RETURNING id",
    )
    .bind(name)
    .bind(kind.as_str())
    .bind(Scope::Project.as_str())
    .bind(project_id)
    .bind(UseCase::Generic.as_str())
    .bind(description)
    .bind(spec_json(spec))
    .bind(&actor.email)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    if matches!(spec, SecretSpec::Kubernetes(_)) {
        // Sealed after the insert: the ciphertext is bound to the new row's id.
        store_values(&mut tx, id, &keys.seal(id, values)?, false).await?;
    }
    insert_assignment(&mut tx, id, project_id, false).await?;
    request_take_over(&mut tx, id, project_id).await?;
    refresh_rollup(&mut tx, id).await?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            action: "create",
            secret_id: Some(id),
            secret_name: Some(name),
            project_id: Some(project_id),
            after: Some(snapshot(UseCase::Generic, description, spec)),
            ..Entry::default()
        },
    )
    .await?;
    let taken = match spec {
        SecretSpec::Kubernetes(_) => "its values read once and sealed",
        SecretSpec::External(_) => "its spec taken as it is",
    };
    audit::record(
        &mut tx,
        actor,
        Entry {
            action: "manage existing",
            secret_id: Some(id),
            secret_name: Some(name),
            project_id: Some(project_id),
            detail: Some(format!(
                "{what} brought under management, {taken}; the console adds its labels without changing the data"
            )),
            ..Entry::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
