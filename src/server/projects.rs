//! Clusters and projects: the places secrets land.

use sqlx::Row;

use crate::domain::validation::validate_secret_name;
use crate::model::account::ProjectSummary;
use crate::model::listing::ProjectRef;
use crate::server::db::Db;
use crate::server::now_ms;
use crate::server::secrets::ServiceError;
use crate::server::secrets::Visibility;
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

/// Creates a project bound to a namespace of a cluster; returns its id.
pub async fn create_project(
    db: &Db,
    name: &str,
    cluster_id: i64,
    namespace: &str,
) -> Result<i64, ServiceError> {
    validate_secret_name(name).map_err(|mut e| {
        e.field = "name".to_owned();
        e
    })?;
    validate_secret_name(namespace).map_err(|mut e| {
        e.field = "namespace".to_owned();
        e
    })?;
    Ok(sqlx::query_scalar(
        "INSERT INTO projects (name, cluster_id, namespace, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(name)
    .bind(cluster_id)
    .bind(namespace)
    .bind(now_ms())
    .fetch_one(db.pool())
    .await?)
}

/// Names of the given projects, by name.
pub async fn refs(db: &Db, ids: &[i64]) -> Result<Vec<ProjectRef>, ServiceError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("SELECT id, name FROM projects WHERE id IN ");
    sql.bind_list(ids).push(" ORDER BY name");
    Ok(sql
        .query_as::<(i64, String)>()
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .map(|(id, name)| ProjectRef { id, name })
        .collect())
}

/// The projects `visibility` allows, with their cluster and secret count.
pub async fn list(db: &Db, visibility: &Visibility) -> Result<Vec<ProjectSummary>, ServiceError> {
    let mut sql = Sql::new(
        "SELECT p.id, p.name, c.name AS cluster, p.namespace, \
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
            })
        })
        .collect()
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
