//! Clusters and projects: the places secrets land.

use crate::domain::validation::validate_secret_name;
use crate::server::db::Db;
use crate::server::now_ms;
use crate::server::secrets::ServiceError;

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
