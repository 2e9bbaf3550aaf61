//! One `kube::Client` per registered cluster, built from a kubeconfig context: the configured
//! kubeconfig for real clusters, `<data dir>/sim/kubeconfig` for the built-in simulated ones.
//! The same code path either way.

use std::path::Path;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::server::db::Db;

pub use super::timeouts::{Timeouts, WATCH_TIMEOUT_SECS};

/// A cluster the reconciler works on.
#[derive(Clone)]
pub struct ClusterHandle {
    /// Its id in the database.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// A client for single requests to its API server (each with a deadline).
    pub client: kube::Client,
    /// A client for its watches, which may be quiet for minutes.
    pub watch_client: kube::Client,
    /// Whether the console creates a project's namespace when it is missing. Only on the
    /// built-in simulated clusters: on a real cluster namespaces belong to its platform team,
    /// and the console's role may not create them.
    pub creates_namespaces: bool,
    /// Its ClusterSecretStores, kept by a watch that start-up starts on every replica.
    pub stores: super::store_cache::StoreCache,
    /// The External Secrets Operator it runs and the API version it serves, discovered by
    /// the store watch each time it (re)starts.
    pub eso: super::eso_served::EsoServed,
}

impl std::fmt::Debug for ClusterHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterHandle")
            .field("id", &self.id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Why a cluster has no client.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The kubeconfig could not be read or parsed.
    #[error("cannot read the kubeconfig {path}: {source}")]
    Kubeconfig {
        /// Which file.
        path: String,
        /// Why.
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// The context is missing or unusable.
    #[error("cluster {cluster}: {source}")]
    Context {
        /// Which cluster.
        cluster: String,
        /// Why.
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// The client could not be built.
    #[error("cluster {cluster}: {source}")]
    Client {
        /// Which cluster.
        cluster: String,
        /// Why.
        #[source]
        source: kube::Error,
    },
    /// A kubeconfig context has the name of a built-in simulated cluster.
    #[error(
        "kubeconfig context `{cluster}` has the name of a built-in simulated cluster; rename the context"
    )]
    NameTaken {
        /// Which name.
        cluster: String,
    },
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// The two clients of one cluster: both from the same context, differing in how long they
/// wait for an answer.
#[derive(Clone)]
pub struct Clients {
    /// For single requests: every call has [`Timeouts::request`] as its deadline.
    pub requests: kube::Client,
    /// For watches: silent for at most [`Timeouts::watch_idle`].
    pub watches: kube::Client,
}

/// A client for single requests to one context of a kubeconfig (see [`clients_for_context`]).
pub async fn client_for_context(
    kubeconfig: &Kubeconfig,
    cluster: &str,
    context: &str,
) -> Result<kube::Client, RegistryError> {
    let config = config_for_context(kubeconfig, cluster, context).await?;
    client_with(config, Timeouts::default().request, cluster)
}

/// Clients for one context of a kubeconfig. Requests time out (every call has a deadline),
/// watches only when silent past their own timeout; kube's own retries are off: the
/// reconciler has its own back-off.
pub async fn clients_for_context(
    kubeconfig: &Kubeconfig,
    cluster: &str,
    context: &str,
    timeouts: Timeouts,
) -> Result<Clients, RegistryError> {
    let config = config_for_context(kubeconfig, cluster, context).await?;
    Ok(Clients {
        requests: client_with(config.clone(), timeouts.request, cluster)?,
        watches: client_with(config, timeouts.watch_idle, cluster)?,
    })
}

/// The configuration of one context, with the console's connect and write timeouts and
/// kube's own retries off.
async fn config_for_context(
    kubeconfig: &Kubeconfig,
    cluster: &str,
    context: &str,
) -> Result<kube::Config, RegistryError> {
    let mut config = kube::Config::from_custom_kubeconfig(
        kubeconfig.clone(),
        &KubeConfigOptions {
            context: Some(context.to_owned()),
            ..KubeConfigOptions::default()
        },
    )
    .await
    .map_err(|source| RegistryError::Context {
        cluster: cluster.to_owned(),
        source,
    })?;
    config.connect_timeout = Some(Duration::from_secs(5));
    config.write_timeout = Some(Duration::from_secs(30));
    config.default_retry = false;
    Ok(config)
}

/// A client that waits at most `read_timeout` for each read.
fn client_with(
    mut config: kube::Config,
    read_timeout: Duration,
    cluster: &str,
) -> Result<kube::Client, RegistryError> {
    config.read_timeout = Some(read_timeout);
    kube::Client::try_from(config).map_err(|source| RegistryError::Client {
        cluster: cluster.to_owned(),
        source,
    })
}

/// Clients for every cluster registered as simulated, from the simulated clusters' kubeconfig.
pub async fn simulated(db: &Db, kubeconfig: &Path) -> Result<Vec<ClusterHandle>, RegistryError> {
    let file = Kubeconfig::read_from(kubeconfig).map_err(|source| RegistryError::Kubeconfig {
        path: kubeconfig.display().to_string(),
        source,
    })?;
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM clusters WHERE connection = 'simulated' ORDER BY id")
            .fetch_all(db.pool())
            .await?;
    let mut handles = Vec::new();
    for (id, name) in rows {
        let clients = clients_for_context(&file, &name, &name, Timeouts::default()).await?;
        handles.push(ClusterHandle {
            id,
            name,
            client: clients.requests,
            watch_client: clients.watches,
            creates_namespaces: true,
            stores: super::store_cache::StoreCache::default(),
            eso: super::eso_served::EsoServed::default(),
        });
    }
    Ok(handles)
}

/// Registers every context of a kubeconfig as a cluster named after the context, and returns
/// a client for each. A name already taken by a simulated cluster is refused.
pub async fn from_kubeconfig(db: &Db, path: &Path) -> Result<Vec<ClusterHandle>, RegistryError> {
    let file = Kubeconfig::read_from(path).map_err(|source| RegistryError::Kubeconfig {
        path: path.display().to_string(),
        source,
    })?;
    let mut handles = Vec::new();
    for context in &file.contexts {
        let name = context.name.clone();
        let existing: Option<String> =
            sqlx::query_scalar("SELECT connection FROM clusters WHERE name = $1")
                .bind(&name)
                .fetch_optional(db.pool())
                .await?;
        match existing.as_deref() {
            Some("simulated") => return Err(RegistryError::NameTaken { cluster: name }),
            Some(_) => {
                sqlx::query("UPDATE clusters SET context = $1 WHERE name = $1")
                    .bind(&name)
                    .execute(db.pool())
                    .await?;
            }
            None => {
                sqlx::query(
                    "INSERT INTO clusters (name, connection, context, created_at) \
                     VALUES ($1, 'kubeconfig', $1, $2) ON CONFLICT (name) DO NOTHING",
                )
                .bind(&name)
                .bind(crate::server::clock::now_ms())
                .execute(db.pool())
                .await?;
            }
        }
        let id: i64 = sqlx::query_scalar("SELECT id FROM clusters WHERE name = $1")
            .bind(&name)
            .fetch_one(db.pool())
            .await?;
        let clients = clients_for_context(&file, &name, &name, Timeouts::default()).await?;
        handles.push(ClusterHandle {
            id,
            name,
            client: clients.requests,
            watch_client: clients.watches,
            creates_namespaces: false,
            stores: super::store_cache::StoreCache::default(),
            eso: super::eso_served::EsoServed::default(),
        });
    }
    // Clusters registered from an earlier kubeconfig that no longer has their context.
    let names: Vec<&str> = handles.iter().map(|h| h.name.as_str()).collect();
    let registered: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM clusters WHERE connection = 'kubeconfig'")
            .fetch_all(db.pool())
            .await?;
    for (id, name) in registered {
        if !names.contains(&name.as_str()) {
            record_health(
                db,
                id,
                Err(format!(
                    "context `{name}` is not in the configured kubeconfig {}",
                    path.display()
                )),
            )
            .await?;
        }
    }
    Ok(handles)
}

/// Records what the last probe of a cluster's API server found: its version, or why it could
/// not be reached.
pub async fn record_health(
    db: &Db,
    cluster_id: i64,
    outcome: Result<String, String>,
) -> Result<(), sqlx::Error> {
    let (health, version, error) = match outcome {
        Ok(version) => ("reachable", Some(version), None),
        Err(error) => ("unreachable", None, Some(error)),
    };
    sqlx::query(
        "UPDATE clusters SET health = $1, server_version = COALESCE($2, server_version), \
         health_error = $3, health_checked_at = $4 WHERE id = $5",
    )
    .bind(health)
    .bind(version)
    .bind(error)
    .bind(crate::server::clock::now_ms())
    .bind(cluster_id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Records what discovery found about a cluster's External Secrets Operator (`eso_served`):
/// the API version the console uses there (NULL: not installed) and the operator's release.
pub async fn record_eso(
    db: &Db,
    cluster_id: i64,
    install: &super::eso_served::EsoInstall,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE clusters SET eso_api_version = $1, eso_version = $2, eso_checked_at = $3 \
         WHERE id = $4",
    )
    .bind(install.api_version)
    .bind(install.eso_version.as_deref())
    .bind(crate::server::clock::now_ms())
    .bind(cluster_id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Asks the API server for its version (with a deadline); the error in words.
pub async fn probe(client: &kube::Client) -> Result<String, String> {
    match tokio::time::timeout(Duration::from_secs(5), client.apiserver_version()).await {
        Ok(Ok(info)) => Ok(info.git_version),
        Ok(Err(kube::Error::Api(status))) => Err(format!(
            "the API server answered {} {}: {}",
            status.code, status.reason, status.message
        )),
        Ok(Err(error)) => Err(format!("cannot reach the API server: {error}")),
        Err(_) => Err("the API server did not answer within 5 s".to_owned()),
    }
}

/// Every ClusterSecretStore of one cluster with its Ready condition, from the cluster's store
/// cache (waiting at most 5 s for its first list), or why they cannot be shown.
pub async fn stores(
    handle: &ClusterHandle,
) -> Result<Vec<crate::model::cluster::StoreSummary>, String> {
    handle.stores.summaries().await
}

/// The names of every ClusterSecretStore any of `clusters` offers, and whether every cluster
/// answered (when one did not, a name missing here may still exist there).
pub async fn store_names(clusters: &[ClusterHandle]) -> (Vec<String>, bool) {
    let lists = futures::future::join_all(clusters.iter().map(stores)).await;
    let complete = lists.iter().all(Result::is_ok);
    let mut names: Vec<String> = lists
        .into_iter()
        .flat_map(Result::unwrap_or_default)
        .map(|store| store.name)
        .collect();
    names.sort();
    names.dedup();
    (names, complete)
}
