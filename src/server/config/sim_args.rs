//! Options of `secrets-console sim`, the standalone simulated cluster.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Options of `secrets-console sim`.
#[derive(Debug, Clone, clap::Args)]
pub struct SimArgs {
    /// Address of the first cluster's API server; further clusters take the next ports.
    /// Port 0 picks free ports.
    #[arg(
        long = "listen",
        env = "SECRETS_CONSOLE_SIM_LISTEN",
        default_value = "127.0.0.1:6443"
    )]
    pub listen: SocketAddr,
    /// Where to write the kubeconfig (one context per cluster).
    #[arg(
        long,
        env = "SECRETS_CONSOLE_SIM_KUBECONFIG",
        default_value = "sim.kubeconfig"
    )]
    pub kubeconfig: PathBuf,
    /// Cluster names (repeat the flag for several). Default: one cluster named `sim`.
    #[arg(long = "cluster", value_name = "NAME")]
    pub clusters: Vec<String>,
    /// Keep the clusters' objects in this directory across restarts (default: in memory).
    #[arg(long, env = "SECRETS_CONSOLE_SIM_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// Create the demo ClusterSecretStores (vault, aws-secrets-manager, gcp-secret-manager,
    /// azure-key-vault) with fake data in every cluster.
    #[arg(long, default_value_t = false)]
    pub demo_stores: bool,
    /// First retry of a failed ExternalSecret, doubling up to 7 minutes per further failure as
    /// ESO's rate limiter does (Go duration syntax).
    #[arg(long, default_value = "1s", value_parser = crate::domain::duration::parse_positive)]
    pub failure_backoff: Duration,
    /// The controller's writes to the API server a second, as ESO's `--client-qps` (burst 100).
    #[arg(long, default_value_t = 50.0)]
    pub client_qps: f64,
    /// Hold the kubeconfig's user to the roles these manifests (say, the output of `kubectl
    /// kustomize deploy/overlays/production`) bind to --rbac-service-account, as an API server
    /// would: anything else is 403 Forbidden. Requests without credentials stay unrestricted.
    #[arg(long, value_name = "FILE")]
    pub rbac: Option<PathBuf>,
    /// The service account whose roles --rbac enforces, as NAMESPACE:NAME.
    #[arg(
        long,
        value_name = "NAMESPACE:NAME",
        default_value = "secrets-console:secrets-console"
    )]
    pub rbac_service_account: String,
}
