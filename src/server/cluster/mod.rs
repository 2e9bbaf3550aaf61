//! Talking to clusters: the objects we apply (`manifest`), a client per cluster (`registry`),
//! each cluster's ClusterSecretStores kept by a watch (`store_cache`), the workloads that use a
//! Secret (`workloads`).

pub mod manifest;
pub mod registry;
pub mod store_cache;
pub mod timeouts;
pub mod workloads;

/// The `Ready` condition in an object's `status.conditions` (an ExternalSecret's, a
/// ClusterSecretStore's), if it has one.
pub fn ready_condition(object: &serde_json::Value) -> Option<&serde_json::Value> {
    object["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == "Ready")
}
