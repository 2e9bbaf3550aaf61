//! Clusters as the admin pages see them.

use serde::{Deserialize, Serialize};

/// Whether a cluster's API server answered the last probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reachability {
    /// Not probed yet (no replica reconciles it, or it just started).
    Unknown,
    /// It answered.
    Reachable,
    /// It did not; `error` says why.
    Unreachable,
}

impl Reachability {
    /// Parses the stored form.
    pub fn parse(stored: &str) -> Self {
        match stored {
            "reachable" => Reachability::Reachable,
            "unreachable" => Reachability::Unreachable,
            _ => Reachability::Unknown,
        }
    }

    /// The badge text.
    pub fn label(self) -> &'static str {
        match self {
            Reachability::Unknown => "Unknown",
            Reachability::Reachable => "Reachable",
            Reachability::Unreachable => "Unreachable",
        }
    }
}

/// A cluster in the admin pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterSummary {
    /// Its id in the database (`clusters.id`).
    pub id: i64,
    /// Unique name: its kubeconfig context's name, or a built-in simulated cluster's.
    pub name: String,
    /// `simulated` (built in) or `kubeconfig` (a context of the configured kubeconfig).
    pub connection: String,
    /// Whether its API server answered the last probe.
    pub reachability: Reachability,
    /// Why not, in words.
    pub error: Option<String>,
    /// The API server's version, when it answered.
    pub server_version: Option<String>,
    /// When it was last probed (Unix milliseconds).
    pub checked_at: Option<i64>,
    /// How many projects have a namespace on this cluster.
    pub project_count: i64,
    /// Its External Secrets Operator, as last discovered.
    pub eso: EsoSummary,
}

/// A cluster's External Secrets Operator as discovered (`server::cluster::eso_served`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EsoSummary {
    /// Whether discovery has answered yet.
    pub discovered: bool,
    /// The `external-secrets.io` version the console writes there (`v1`, `v1beta1`); `None`
    /// when the group is not served (ESO is not installed).
    pub api_version: Option<String>,
    /// The operator's release (`v2.9.0`), when its Deployment could be read.
    pub version: Option<String>,
}

impl EsoSummary {
    /// How the Projects and Stores pages say it: `ESO v2.9.0 · external-secrets.io/v1`.
    pub fn describe(&self) -> String {
        if !self.discovered {
            return "not discovered yet".to_owned();
        }
        let Some(api) = &self.api_version else {
            return "External Secrets Operator not installed".to_owned();
        };
        let release = self.version.as_deref().unwrap_or("version unknown");
        format!("ESO {release} · external-secrets.io/{api}")
    }
}

/// A ClusterSecretStore as the Stores page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreSummary {
    /// The store's name, which an External secret's spec references as its `store`.
    pub name: String,
    /// The provider kind (`fake`, `vault`, `aws`, …).
    pub provider: String,
    /// The `Ready` condition: `Some(true)` ready, `Some(false)` not, `None` not reported yet.
    pub ready: Option<bool>,
    /// The condition's reason (e.g. `Valid`, `InvalidProviderConfig`).
    pub reason: Option<String>,
    /// The condition's message.
    pub message: Option<String>,
}

/// One cluster's stores, or why they could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterStores {
    /// Name of the cluster the stores were read from (as in [`ClusterSummary::name`]).
    pub cluster: String,
    /// Why its stores could not be listed.
    pub error: Option<String>,
    /// Its stores, by name.
    pub stores: Vec<StoreSummary>,
    /// Its External Secrets Operator, as this replica last discovered it.
    pub eso: EsoSummary,
}

/// What a create form may offer: store names to pick from, and for team members the remote-key
/// prefixes their project allows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormOptions {
    /// Store names (the project's cluster, or every cluster for organization secrets; for team
    /// members, only what the project allows).
    pub stores: Vec<String>,
    /// Remote-key prefixes a team member may use (empty for admins: anything).
    pub key_prefixes: Vec<String>,
    /// Whether the choices are limited by the project's allowlist.
    pub limited: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operator_is_described_by_release_and_served_version() {
        let mut eso = EsoSummary::default();
        assert_eq!(eso.describe(), "not discovered yet");
        eso.discovered = true;
        assert_eq!(eso.describe(), "External Secrets Operator not installed");
        eso.api_version = Some("v1beta1".to_owned());
        assert_eq!(
            eso.describe(),
            "ESO version unknown · external-secrets.io/v1beta1"
        );
        eso.version = Some("v0.16.2".to_owned());
        assert_eq!(eso.describe(), "ESO v0.16.2 · external-secrets.io/v1beta1");
    }
}
