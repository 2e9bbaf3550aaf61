//! The kinds served beside the stored ones, as data only: the self-reviews (`reviews.rs`
//! answers them) and the kinds kubectl's default prune list needs discoverable
//! (`unmodelled.rs` serves them empty). Discovery and the OpenAPI documents list them from
//! here, without depending on the handlers (which depend on the request layer).

use serde_json::{Value, json};

use super::resources::{Column, ColumnSource, ResourceType};

// The self-reviews: `authorization.k8s.io` and `authentication.k8s.io`.

const fn review(group: &'static str, kind: &'static str, plural: &'static str) -> ResourceType {
    ResourceType {
        group,
        version: "v1",
        kind,
        plural,
        singular: "",
        namespaced: false,
        short_names: &[],
        categories: &[],
        status_subresource: false,
        has_generation: false,
        unconditional_update: true,
        custom: false,
        schema: None,
        columns: &[],
    }
}

/// `authorization.k8s.io/v1` SelfSubjectAccessReview.
pub(crate) static ACCESS_REVIEW: ResourceType = review(
    "authorization.k8s.io",
    "SelfSubjectAccessReview",
    "selfsubjectaccessreviews",
);

/// `authorization.k8s.io/v1` SelfSubjectRulesReview.
pub(crate) static RULES_REVIEW: ResourceType = review(
    "authorization.k8s.io",
    "SelfSubjectRulesReview",
    "selfsubjectrulesreviews",
);

/// `authentication.k8s.io/v1` SelfSubjectReview.
pub(crate) static SELF_REVIEW: ResourceType = review(
    "authentication.k8s.io",
    "SelfSubjectReview",
    "selfsubjectreviews",
);

/// The three, in the order their groups are listed by discovery.
pub(crate) static REVIEW_KINDS: [&ResourceType; 3] = [&SELF_REVIEW, &ACCESS_REVIEW, &RULES_REVIEW];

/// The discovery entries of `group/version`: create only, cluster-scoped, no storage version
/// (they are not stored), singular names from each storage's `GetSingularName`.
pub(crate) fn review_discovery(group: &str, version: &str) -> Vec<Value> {
    REVIEW_KINDS
        .iter()
        .filter(|t| t.group == group && t.version == version)
        .map(|t| {
            json!({
                "name": t.plural,
                "singularName": t.kind.to_ascii_lowercase(),
                "namespaced": false,
                "kind": t.kind,
                "verbs": ["create"],
            })
        })
        .collect()
}

// kubectl's default prune allowlist less what is modelled.

const AGE: Column = Column {
    name: "Age",
    source: ColumnSource::Age,
    kind: "date",
};

const fn kind(
    group: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
    all: bool,
) -> ResourceType {
    ResourceType {
        group,
        version: "v1",
        kind,
        plural,
        singular: "",
        namespaced,
        short_names,
        categories: if all { &["all"] } else { &[] },
        status_subresource: false,
        has_generation: false,
        unconditional_update: true,
        custom: false,
        schema: None,
        columns: &[AGE],
    }
}

/// kubectl's default prune allowlist less what is modelled (the workload kinds are, in
/// `resources.rs`), with the short names and the `all` category kube-apiserver gives them.
pub(crate) static UNMODELLED_KINDS: [ResourceType; 7] = [
    kind("", "Endpoints", "endpoints", true, &["ep"], false),
    kind(
        "",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        true,
        &["pvc"],
        false,
    ),
    kind(
        "",
        "ReplicationController",
        "replicationcontrollers",
        true,
        &["rc"],
        true,
    ),
    kind("", "Service", "services", true, &["svc"], true),
    kind(
        "",
        "PersistentVolume",
        "persistentvolumes",
        false,
        &["pv"],
        false,
    ),
    kind("apps", "ReplicaSet", "replicasets", true, &["rs"], true),
    kind(
        "networking.k8s.io",
        "Ingress",
        "ingresses",
        true,
        &["ing"],
        false,
    ),
];

/// Their discovery entries in `group/version`.
pub(crate) fn unmodelled_discovery(group: &str, version: &str) -> Vec<Value> {
    UNMODELLED_KINDS
        .iter()
        .filter(|t| t.group == group && t.version == version)
        .map(|t| {
            json!({
                "name": t.plural,
                "singularName": t.kind.to_ascii_lowercase(),
                "namespaced": t.namespaced,
                "kind": t.kind,
                "verbs": ["get", "list"],
                "shortNames": t.short_names,
                "categories": t.categories,
            })
        })
        .collect()
}
