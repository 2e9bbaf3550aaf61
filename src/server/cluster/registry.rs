//! One `kube::Client` per registered cluster, built from a kubeconfig context: the configured
//! kubeconfig for real clusters, `<data dir>/sim/kubeconfig` for the built-in simulated ones.
//! The same code path either way.

use std::path::Path;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::server::db::Db;

/// A cluster the reconciler works on.
#[derive(Clone)]
pub struct ClusterHandle {
    /// Its id in the database.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// A client for its API server.
    pub client: kube::Client,
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
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// A client for one context of a kubeconfig. Requests time out (every call has a deadline)
/// and kube's own retries are off: the reconciler has its own back-off.
pub async fn client_for_context(
    kubeconfig: &Kubeconfig,
    cluster: &str,
    context: &str,
) -> Result<kube::Client, RegistryError> {
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
    config.read_timeout = Some(Duration::from_secs(30));
    config.write_timeout = Some(Duration::from_secs(30));
    config.default_retry = false;
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
        let client = client_for_context(&file, &name, &name).await?;
        handles.push(ClusterHandle { id, name, client });
    }
    Ok(handles)
}
