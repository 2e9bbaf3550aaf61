//! Clusters and projects: the places secrets land.

use sqlx::Row;

use crate::domain::labels::{Labels, format_labels};
use crate::domain::permissions::Visibility;
use crate::domain::validation::{FieldError, validate_secret_name};
use crate::model::account::ProjectSummary;
use crate::model::cluster::{ClusterSummary, EsoSummary, Reachability};
use crate::model::listing::ProjectRef;
use crate::server::audit::{self, Actor};
use crate::server::clock::now_ms;
use crate::server::db::Db;
use crate::server::errors::ServiceError;
use crate::server::sql::Sql;

/// How a cluster is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    /// The built-in simulated cluster.
    Simulated,
    /// A context in the configured kubeconfig.
    Kubeconfig,
}

impl Connection {
    fn as_str(self) -> &'static str {
        match self {
            Connection::Simulated => "simulated",
            Connection::Kubeconfig => "kubeconfig",
        }
    }
}

/// Registers a cluster; returns its id. Idempotent by name.
pub async fn ensure_cluster(
    db: &Db,
    name: &str,
    connection: Connection,
    context: Option<&str>,
) -> Result<i64, ServiceError> {
    sqlx::query(
        "INSERT INTO clusters (name, connection, context, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(connection.as_str())
    .bind(context)
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(
        sqlx::query_scalar("SELECT id FROM clusters WHERE name = $1")
            .bind(name)
            .fetch_one(db.pool())
            .await?,
    )
}

/// Creates a project bound to a namespace of a cluster; returns its id. The name must be free,
/// the cluster registered, and no other project may use that namespace of that cluster (two
/// projects in one namespace could land two objects with one name).
pub async fn create_project(
    db: &Db,
    name: &str,
    cluster_id: i64,
    namespace: &str,
) -> Result<i64, ServiceError> {
    create_labelled_project(
        db,
        &Actor::new("system"),
        name,
        cluster_id,
        namespace,
        &Labels::new(),
    )
    .await
}

/// Creates a project carrying `labels`; every organization secret whose selectors match them
/// is assigned to it in the same transaction (each assignment audited). Returns its id.
pub async fn create_labelled_project(
    db: &Db,
    actor: &Actor,
    name: &str,
    cluster_id: i64,
    namespace: &str,
    labels: &Labels,
) -> Result<i64, ServiceError> {
    validate_secret_name(name).map_err(|mut e| {
        e.field = "name".to_owned();
        e
    })?;
    validate_secret_name(namespace).map_err(|mut e| {
        e.field = "namespace".to_owned();
        e
    })?;
    let mut tx = db.begin_write().await?;
    let cluster: Option<String> = sqlx::query_scalar("SELECT name FROM clusters WHERE id = $1")
        .bind(cluster_id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(cluster) = cluster else {
        return Err(FieldError::new("cluster", "choose one of the registered clusters").into());
    };
    let taken: Option<String> = sqlx::query_scalar("SELECT name FROM projects WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(FieldError::new(
            "name",
            format!("a project named `{name}` already exists; choose another name"),
        )
        .into());
    }
    let sharing: Option<String> =
        sqlx::query_scalar("SELECT name FROM projects WHERE cluster_id = $1 AND namespace = $2")
            .bind(cluster_id)
            .bind(namespace)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some(other) = sharing {
        return Err(FieldError::new(
            "namespace",
            format!(
                "namespace `{namespace}` on cluster {cluster} already belongs to project `{other}`; \
                 each project needs its own namespace"
            ),
        )
        .into());
    }
    let id = sqlx::query_scalar(
        "INSERT INTO projects (name, cluster_id, namespace, labels, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(name)
    .bind(cluster_id)
    .bind(namespace)
    .bind(labels_json(labels))
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        audit::Entry {
            action: "project-create",
            project_id: Some(id),
            detail: Some(format!(
                "created project `{name}` on cluster {cluster}, namespace `{namespace}`"
            )),
            ..audit::Entry::default()
        },
    )
    .await?;
    if !labels.is_empty() {
        audit::record(
            &mut tx,
            actor,
            audit::Entry {
                action: "project-labels",
                project_id: Some(id),
                after: Some(labels_json(labels)),
                detail: Some(format!(
                    "created project `{name}` labelled {}",
                    format_labels(labels)
                )),
                ..audit::Entry::default()
            },
        )
        .await?;
        crate::server::secrets::follow_project_labels(&mut tx, actor).await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// Labels as stored: a JSON object, keys sorted.
fn labels_json(labels: &Labels) -> String {
    serde_json::to_string(labels).unwrap_or_else(|_| "{}".to_owned())
}

/// Replaces a project's labels; the organization secrets whose selectors match (or no longer
/// match) follow in the same transaction: assigned, or unassigned where only a selector had
/// assigned them. Audited, with each assignment it caused.
pub async fn set_labels(
    db: &Db,
    actor: &Actor,
    project_id: i64,
    labels: &Labels,
) -> Result<(), ServiceError> {
    let mut tx = db.begin_write().await?;
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT name, labels FROM projects WHERE id = $1")
            .bind(project_id)
            .fetch_optional(&mut *tx)
            .await?;
    let (name, before) = row.ok_or(ServiceError::NotFound)?;
    let old: Labels = serde_json::from_str(&before).unwrap_or_default();
    if &old == labels {
        return Ok(());
    }
    sqlx::query("UPDATE projects SET labels = $1 WHERE id = $2")
        .bind(labels_json(labels))
        .bind(project_id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        audit::Entry {
            action: "project-labels",
            project_id: Some(project_id),
            before: Some(before),
            after: Some(labels_json(labels)),
            detail: Some(format!(
                "relabelled project `{name}`: {}",
                if labels.is_empty() {
                    "no labels".to_owned()
                } else {
                    format_labels(labels)
                }
            )),
            ..audit::Entry::default()
        },
    )
    .await?;
    crate::server::secrets::follow_project_labels(&mut tx, actor).await?;
    tx.commit().await?;
    Ok(())
}

/// The namespaces of one cluster's projects, as the database has them now.
pub async fn namespaces_on(
    db: &Db,
    cluster_id: i64,
) -> Result<std::collections::BTreeSet<String>, ServiceError> {
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT namespace FROM projects WHERE cluster_id = $1")
            .bind(cluster_id)
            .fetch_all(db.pool())
            .await?;
    Ok(rows.into_iter().collect())
}

/// Every cluster with its reachability and project count.
pub async fn clusters(db: &Db) -> Result<Vec<ClusterSummary>, ServiceError> {
    let rows = sqlx::query(
        "SELECT c.id, c.name, c.connection, c.health, c.health_error, c.server_version, \
         c.health_checked_at, c.eso_api_version, c.eso_version, c.eso_checked_at, (SELECT COUNT(*) FROM projects p WHERE p.cluster_id = c.id) AS project_count \
         FROM clusters c ORDER BY c.name",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let health: String = row.try_get("health")?;
            Ok(ClusterSummary {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                connection: row.try_get("connection")?,
                reachability: Reachability::parse(&health),
                error: row.try_get("health_error")?,
                server_version: row.try_get("server_version")?,
                checked_at: row.try_get("health_checked_at")?,
                project_count: row.try_get("project_count")?,
                eso: EsoSummary {
                    discovered: row.try_get::<Option<i64>, _>("eso_checked_at")?.is_some(),
                    api_version: row.try_get("eso_api_version")?,
                    version: row.try_get("eso_version")?,
                },
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(ServiceError::from)
}

/// The names of the projects `visibility` allows, by name: what a filter or a choice of
/// projects shows, without the counts and labels of [`list`]. Read on every view of the
/// Secrets page, so it comes as one row of JSON (`Sql::json_rows`).
pub async fn names(db: &Db, visibility: &Visibility) -> Result<Vec<ProjectRef>, ServiceError> {
    let mut sql = Sql::json_rows(db.backend(), "id, name", "name");
    sql.push(" FROM projects");
    if let Visibility::Projects(ids) = visibility {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        sql.push(" WHERE id IN ").bind_list(ids);
    }
    Ok(sql
        .fetch_json_rows::<(i64, String)>(db.pool())
        .await?
        .into_iter()
        .map(|(id, name)| ProjectRef { id, name })
        .collect())
}

/// The projects `visibility` allows, with their cluster and secret count.
pub async fn list(db: &Db, visibility: &Visibility) -> Result<Vec<ProjectSummary>, ServiceError> {
    let mut sql = Sql::new(
        "SELECT p.id, p.name, c.name AS cluster, p.namespace, p.labels, \
         (SELECT COUNT(*) FROM assignments a WHERE a.project_id = p.id) AS secret_count \
         FROM projects p JOIN clusters c ON c.id = p.cluster_id",
    );
    if let Visibility::Projects(ids) = visibility {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        sql.push(" WHERE p.id IN ").bind_list(ids);
    }
    sql.push(" ORDER BY p.name");
    let rows = sql.query().fetch_all(db.pool()).await?;
    rows.iter()
        .map(|row| {
            Ok(ProjectSummary {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                cluster: row.try_get("cluster")?,
                namespace: row.try_get("namespace")?,
                secret_count: row.try_get("secret_count")?,
                labels: serde_json::from_str(row.try_get::<&str, _>("labels")?).unwrap_or_default(),
            })
        })
        .collect()
}

/// The namespace of a project, if it exists.
pub async fn namespace_of(db: &Db, project_id: i64) -> Result<Option<String>, ServiceError> {
    Ok(
        sqlx::query_scalar("SELECT namespace FROM projects WHERE id = $1")
            .bind(project_id)
            .fetch_optional(db.pool())
            .await?,
    )
}

/// The name of a project's cluster, if the project exists.
pub async fn cluster_of(db: &Db, project_id: i64) -> Result<Option<String>, ServiceError> {
    Ok(sqlx::query_scalar(
        "SELECT c.name FROM projects p JOIN clusters c ON c.id = p.cluster_id WHERE p.id = $1",
    )
    .bind(project_id)
    .fetch_optional(db.pool())
    .await?)
}

/// The id of the project named `name`, if any.
pub async fn id_by_name(db: &Db, name: &str) -> Result<Option<i64>, ServiceError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM projects WHERE name = $1")
            .bind(name)
            .fetch_optional(db.pool())
            .await?,
    )
}

/// Names of the clusters reached through the built-in simulation.
pub async fn simulated_clusters(db: &Db) -> Result<Vec<String>, ServiceError> {
    Ok(
        sqlx::query_scalar("SELECT name FROM clusters WHERE connection = 'simulated' ORDER BY id")
            .fetch_all(db.pool())
            .await?,
    )
}

/// (cluster, namespace) of every project on a simulated cluster.
pub async fn simulated_namespaces(db: &Db) -> Result<Vec<(String, String)>, ServiceError> {
    let rows = sqlx::query(
        "SELECT c.name AS cluster, p.namespace AS namespace FROM projects p \
         JOIN clusters c ON c.id = p.cluster_id WHERE c.connection = 'simulated' ORDER BY p.id",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("cluster")?, row.try_get("namespace")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(ServiceError::from)
}

/// Renames a project (its name is only how people and URLs know it: its cluster objects carry
/// secret and assignment ids, never the project's name, so nothing in a cluster changes). The
/// cluster and namespace stay: every object of the project lives there, and moving them is
/// deleting and re-creating each one, which is what a new project is for. Audited.
pub async fn rename_project(
    db: &Db,
    actor: &Actor,
    project_id: i64,
    new_name: &str,
) -> Result<(), ServiceError> {
    validate_secret_name(new_name).map_err(|mut e| {
        e.field = "name".to_owned();
        e
    })?;
    let mut tx = db.begin_write().await?;
    let old: Option<String> = sqlx::query_scalar("SELECT name FROM projects WHERE id = $1")
        .bind(project_id)
        .fetch_optional(&mut *tx)
        .await?;
    let old = old.ok_or(ServiceError::NotFound)?;
    if old == new_name {
        return Ok(());
    }
    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM projects WHERE name = $1")
        .bind(new_name)
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(FieldError::new(
            "name",
            format!("a project named `{new_name}` already exists; choose another name"),
        )
        .into());
    }
    sqlx::query("UPDATE projects SET name = $1 WHERE id = $2")
        .bind(new_name)
        .bind(project_id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        audit::Entry {
            action: "project-rename",
            project_id: Some(project_id),
            detail: Some(format!("renamed project `{old}` to `{new_name}`")),
            ..audit::Entry::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes a project once nothing of it is left in its namespace: refused (in words naming
/// what is left) while it has project secrets or assigned organization secrets, or cluster
/// work still queued for it, so no object is orphaned in a cluster and nothing is half
/// removed. `confirm` must repeat the project's name. Deleting removes the project, its
/// members' membership of it and its allowlist; the audit log keeps its history. Audited.
pub async fn delete_project(
    db: &Db,
    actor: &Actor,
    project_id: i64,
    confirm: &str,
) -> Result<(), ServiceError> {
    let mut tx = db.begin_write().await?;
    let name: Option<String> = sqlx::query_scalar("SELECT name FROM projects WHERE id = $1")
        .bind(project_id)
        .fetch_optional(&mut *tx)
        .await?;
    let name = name.ok_or(ServiceError::NotFound)?;
    if confirm.trim() != name {
        return Err(FieldError::new(
            "confirm",
            format!("type the project's name, `{name}`, to delete it"),
        )
        .into());
    }
    let own: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM secrets WHERE scope = 'Project' AND project_id = $1",
    )
    .bind(project_id)
    .fetch_one(&mut *tx)
    .await?;
    let assigned: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM assignments a JOIN secrets s ON s.id = a.secret_id \
         WHERE a.project_id = $1 AND s.scope = 'Organization'",
    )
    .bind(project_id)
    .fetch_one(&mut *tx)
    .await?;
    let queued = crate::server::work_queue::queued_for_project(&mut tx, project_id).await?;
    if let Some(message) = delete_refusal(&name, own, assigned, queued) {
        return Err(ServiceError::Conflict(message));
    }
    sqlx::query("DELETE FROM projects WHERE id = $1")
        .bind(project_id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        audit::Entry {
            action: "project-delete",
            project_id: Some(project_id),
            detail: Some(format!("deleted project `{name}`")),
            ..audit::Entry::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Why project `name` cannot be deleted yet, in words saying what to do first; None when
/// nothing of it is left.
fn delete_refusal(name: &str, own: i64, assigned: i64, queued: i64) -> Option<String> {
    let mut left = Vec::new();
    if own > 0 {
        left.push(format!("{own} project secret(s)"));
    }
    if assigned > 0 {
        left.push(format!("{assigned} assigned organization secret(s)"));
    }
    if !left.is_empty() {
        return Some(format!(
            "project `{name}` still has {}: delete its secrets and unassign the organization secrets first, so nothing is left behind in its namespace",
            left.join(" and ")
        ));
    }
    (queued > 0).then(|| {
        format!(
            "objects of project `{name}` are still being removed from its namespace; try again when they are gone"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::delete_refusal;

    #[test]
    fn a_project_with_anything_left_is_not_deleted() {
        assert_eq!(delete_refusal("p", 0, 0, 0), None);
        let own = delete_refusal("p", 2, 0, 0).unwrap_or_default();
        assert!(own.contains("2 project secret(s)"), "{own}");
        let both = delete_refusal("p", 1, 3, 0).unwrap_or_default();
        assert!(
            both.contains("1 project secret(s) and 3 assigned organization secret(s)"),
            "{both}"
        );
        let queued = delete_refusal("p", 0, 0, 1).unwrap_or_default();
        assert!(queued.contains("still being removed"), "{queued}");
    }
}
