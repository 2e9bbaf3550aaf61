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
    /// Id.
    pub id: i64,
    /// Name.
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
    /// Projects on it.
    pub project_count: i64,
}
