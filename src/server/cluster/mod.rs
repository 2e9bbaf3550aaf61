//! Talking to clusters: the objects we apply (`manifest`), a client per cluster (`registry`),
//! each cluster's ClusterSecretStores kept by a watch (`store_cache`), the External Secrets
//! Operator it runs (`eso_served`), the workloads that use a Secret (`workloads`), the objects
//! in a namespace the console does not manage (`unmanaged`).

pub mod eso_served;
pub mod manifest;
pub mod registry;
pub mod store_cache;
pub mod timeouts;
pub mod unmanaged;
pub mod workloads;

/// The `Ready` condition in an object's `status.conditions` (an ExternalSecret's, a
/// ClusterSecretStore's), if it has one.
pub fn ready_condition(object: &serde_json::Value) -> Option<&serde_json::Value> {
    object["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == "Ready")
}
