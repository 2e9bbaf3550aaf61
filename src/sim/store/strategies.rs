//! The patch strategies of the workload kinds' fields, for strategic merge patch: the
//! `patchStrategy:"merge"` lists and their `patchMergeKey`, as the struct tags of k8s.io/api
//! v1.33 declare them (`core/v1/types.go`: PodSpec, Container, EphemeralContainerCommon,
//! PodStatus; `apps/v1/types.go` and `batch/v1/types.go`: the statuses' conditions) and
//! apimachinery's ObjectMeta. Keyed by the Go struct's name, as the tags sit on the struct's
//! fields; the structs themselves are those traced from k8s-openapi (`strict/traced.rs`),
//! which carry no tags. Every other list is atomic.

use crate::sim::strict::{GoStruct, Ty};

/// The merge key of a `merge` list field of a struct ("" for a list of primitives), `None`
/// for an atomic list.
pub(super) fn merge_key(within: &str, field: &str) -> Option<&'static str> {
    let key = match (within, field) {
        ("ObjectMeta", "finalizers") => "",
        ("ObjectMeta", "ownerReferences") => "uid",
        (
            "PodSpec",
            "volumes"
            | "initContainers"
            | "containers"
            | "ephemeralContainers"
            | "imagePullSecrets"
            | "resourceClaims"
            | "schedulingGates",
        ) => "name",
        ("PodSpec", "hostAliases") => "ip",
        ("PodSpec", "topologySpreadConstraints") => "topologyKey",
        ("Container" | "EphemeralContainer", "ports") => "containerPort",
        ("Container" | "EphemeralContainer", "env") => "name",
        ("Container" | "EphemeralContainer", "volumeMounts") => "mountPath",
        ("Container" | "EphemeralContainer", "volumeDevices") => "devicePath",
        ("PodStatus", "podIPs" | "hostIPs") => "ip",
        ("PodStatus", "resourceClaimStatuses") => "name",
        (
            "PodStatus" | "DeploymentStatus" | "StatefulSetStatus" | "DaemonSetStatus"
            | "JobStatus",
            "conditions",
        ) => "type",
        _ => return None,
    };
    Some(key)
}

/// The struct a field holds (itself, or each element of its list), if it is a struct.
pub(super) fn field_struct(within: &GoStruct, field: &str) -> Option<&'static GoStruct> {
    match within.field(field)? {
        Ty::Struct(s) | Ty::List(Ty::Struct(s)) => Some(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_merge_key_is_a_field_of_the_traced_element_struct() {
        for s in crate::sim::strict::traced_structs() {
            for (field, ty) in s.fields {
                let Some(key) = merge_key(s.name, field) else {
                    continue;
                };
                match ty {
                    Ty::List(Ty::Struct(element)) => assert!(
                        element.field(key).is_some(),
                        "{}.{field}: {} has no {key}",
                        s.name,
                        element.name
                    ),
                    Ty::List(_) => assert_eq!(key, "", "{}.{field}", s.name),
                    other => panic!("{}.{field} is no list: {other:?}", s.name),
                }
            }
        }
    }
}
