//! The kinds the simulated API server serves, and what discovery says about them.

use serde_json::{Value, json};

use super::schema::Schema;

/// One served resource: a group/version/kind with its REST names and behaviour.
#[derive(Debug)]
pub struct ResourceType {
    /// API group; empty for the core group.
    pub group: &'static str,
    /// API version within the group.
    pub version: &'static str,
    /// Kind, as in `kind:`.
    pub kind: &'static str,
    /// The lower-case plural used in URLs.
    pub plural: &'static str,
    /// The lower-case singular kubectl accepts (empty: the kind in lower case).
    pub singular: &'static str,
    /// Whether objects live in a namespace.
    pub namespaced: bool,
    /// Short names kubectl accepts (`es` for ExternalSecret).
    pub short_names: &'static [&'static str],
    /// Categories (`kubectl get external-secrets`).
    pub categories: &'static [&'static str],
    /// Whether `/status` is a separate subresource (the main resource then ignores status).
    pub status_subresource: bool,
    /// Whether `metadata.generation` tracks spec changes.
    pub has_generation: bool,
    /// Whether an update without `metadata.resourceVersion` is allowed (built-in kinds).
    pub unconditional_update: bool,
    /// Whether this is a custom resource (no strategic merge patch, schema pruning).
    pub custom: bool,
    /// The structural schema enforced for custom resources.
    pub schema: Option<fn() -> Schema>,
    /// Extra columns for `kubectl get` (name, JSONPath-like path into the object, type).
    pub columns: &'static [Column],
}

/// A printer column: its header, where its value comes from, and its type.
#[derive(Debug)]
pub struct Column {
    /// Header shown by kubectl.
    pub name: &'static str,
    /// Where the value is read from.
    pub source: ColumnSource,
    /// OpenAPI type of the cell (`string`, `integer`, `date`).
    pub kind: &'static str,
}

/// Where a printer column's value comes from.
#[derive(Debug)]
pub enum ColumnSource {
    /// A dotted path into the object (`spec.secretStoreRef.name`).
    Path(&'static str),
    /// A condition's field: (condition type, field), e.g. (`Ready`, `reason`).
    Condition(&'static str, &'static str),
    /// The number of keys in `data` and `binaryData`.
    DataCount,
    /// Age, from `metadata.creationTimestamp`.
    Age,
    /// Time since the timestamp at a dotted path (`status.refreshTime`).
    Since(&'static str),
    /// An Event's object as kubectl shows it: `externalsecret/db`.
    InvolvedObject,
    /// An integer at a dotted path, 0 when absent (a Go `int32` status field prints its zero).
    Count(&'static str),
    /// `a/b` of the integers at two dotted paths, absent ones 0 (a Deployment's READY).
    Ratio(&'static str, &'static str),
}

impl ResourceType {
    /// `group/version`, or just `version` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The `plural.group` name used in error messages (`externalsecrets.external-secrets.io`).
    pub fn qualified_plural(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_owned()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// The `Kind.group` name used in validation messages (`ExternalSecret.external-secrets.io`).
    pub fn qualified_kind(&self) -> String {
        if self.group.is_empty() {
            self.kind.to_owned()
        } else {
            format!("{}.{}", self.kind, self.group)
        }
    }

    /// The discovery entry for `/api/v1` or `/apis/<group>/<version>`.
    pub(crate) fn discovery(&self) -> Vec<Value> {
        let mut verbs = vec![
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch",
        ];
        verbs.sort_unstable();
        let singular = if self.singular.is_empty() {
            self.kind.to_ascii_lowercase()
        } else {
            self.singular.to_owned()
        };
        let mut entries = vec![json!({
            "name": self.plural,
            "singularName": singular,
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": verbs,
            "shortNames": self.short_names,
            "categories": self.categories,
            "storageVersionHash": format!("sim-{}", self.plural),
        })];
        if self.status_subresource {
            entries.push(json!({
                "name": format!("{}/status", self.plural),
                "singularName": "",
                "namespaced": self.namespaced,
                "kind": self.kind,
                "verbs": ["get", "patch", "update"],
            }));
        }
        entries
    }
}

const AGE: Column = Column {
    name: "Age",
    source: ColumnSource::Age,
    kind: "date",
};

/// A workload kind (`workloads.rs` admits them): stored with its status as a subresource, in
/// the `all` category as kube-apiserver lists it, with a generation, except Pods, whose
/// `metadata.generation` is the `PodObservedGenerationTracking` gate's, off in 1.33.
const fn workload(
    group: &'static str,
    kind: &'static str,
    plural: &'static str,
    short_names: &'static [&'static str],
    columns: &'static [Column],
) -> ResourceType {
    ResourceType {
        group,
        version: "v1",
        kind,
        plural,
        singular: "",
        namespaced: true,
        short_names,
        categories: &["all"],
        status_subresource: true,
        has_generation: !group.is_empty(),
        unconditional_update: true,
        custom: false,
        schema: None,
        columns,
    }
}

/// Every kind the simulated cluster serves.
pub static TYPES: &[ResourceType] = &[
    ResourceType {
        group: "",
        version: "v1",
        kind: "Namespace",
        plural: "namespaces",
        singular: "namespace",
        namespaced: false,
        short_names: &["ns"],
        categories: &[],
        status_subresource: true,
        has_generation: false,
        unconditional_update: true,
        custom: false,
        schema: None,
        columns: &[
            Column {
                name: "Status",
                source: ColumnSource::Path("status.phase"),
                kind: "string",
            },
            AGE,
        ],
    },
    ResourceType {
        group: "",
        version: "v1",
        kind: "Secret",
        plural: "secrets",
        singular: "secret",
        namespaced: true,
        short_names: &[],
        categories: &[],
        status_subresource: false,
        has_generation: false,
        unconditional_update: true,
        custom: false,
        schema: None,
        columns: &[
            Column {
                name: "Type",
                source: ColumnSource::Path("type"),
                kind: "string",
            },
            Column {
                name: "Data",
                source: ColumnSource::DataCount,
                kind: "string",
            },
            AGE,
        ],
    },
    // kubectl prints NAME DATA AGE, DATA counting `data` and `binaryData` (`printConfigMap`,
    // kubernetes `pkg/printers/internalversion/printers.go`); validated in `config_maps.rs`.
    ResourceType {
        group: "",
        version: "v1",
        kind: "ConfigMap",
        plural: "configmaps",
        singular: "configmap",
        namespaced: true,
        short_names: &["cm"],
        categories: &[],
        status_subresource: false,
        has_generation: false,
        unconditional_update: true,
        custom: false,
        schema: None,
        columns: &[
            Column {
                name: "Data",
                source: ColumnSource::DataCount,
                kind: "integer",
            },
            AGE,
        ],
    },
    ResourceType {
        group: "",
        version: "v1",
        kind: "Event",
        plural: "events",
        singular: "event",
        namespaced: true,
        short_names: &["ev"],
        categories: &[],
        status_subresource: false,
        has_generation: false,
        unconditional_update: true,
        custom: false,
        schema: None,
        columns: &[
            Column {
                name: "Last Seen",
                source: ColumnSource::Since("lastTimestamp"),
                kind: "date",
            },
            Column {
                name: "Type",
                source: ColumnSource::Path("type"),
                kind: "string",
            },
            Column {
                name: "Reason",
                source: ColumnSource::Path("reason"),
                kind: "string",
            },
            Column {
                name: "Object",
                source: ColumnSource::InvolvedObject,
                kind: "string",
            },
            Column {
                name: "Message",
                source: ColumnSource::Path("message"),
                kind: "string",
            },
        ],
    },
    ResourceType {
        group: "coordination.k8s.io",
        version: "v1",
        kind: "Lease",
        plural: "leases",
        singular: "lease",
        namespaced: true,
        short_names: &[],
        categories: &[],
        status_subresource: false,
        has_generation: false,
        unconditional_update: true,
        custom: false,
        schema: None,
        columns: &[
            Column {
                name: "Holder",
                source: ColumnSource::Path("spec.holderIdentity"),
                kind: "string",
            },
            AGE,
        ],
    },
    workload(
        "apps",
        "Deployment",
        "deployments",
        &["deploy"],
        &[
            Column {
                name: "Ready",
                source: ColumnSource::Ratio("status.readyReplicas", "spec.replicas"),
                kind: "string",
            },
            Column {
                name: "Up-to-date",
                source: ColumnSource::Count("status.updatedReplicas"),
                kind: "integer",
            },
            Column {
                name: "Available",
                source: ColumnSource::Count("status.availableReplicas"),
                kind: "integer",
            },
            AGE,
        ],
    ),
    workload(
        "apps",
        "StatefulSet",
        "statefulsets",
        &["sts"],
        &[
            Column {
                name: "Ready",
                source: ColumnSource::Ratio("status.readyReplicas", "spec.replicas"),
                kind: "string",
            },
            AGE,
        ],
    ),
    workload(
        "apps",
        "DaemonSet",
        "daemonsets",
        &["ds"],
        &[
            Column {
                name: "Desired",
                source: ColumnSource::Count("status.desiredNumberScheduled"),
                kind: "integer",
            },
            Column {
                name: "Current",
                source: ColumnSource::Count("status.currentNumberScheduled"),
                kind: "integer",
            },
            Column {
                name: "Ready",
                source: ColumnSource::Count("status.numberReady"),
                kind: "integer",
            },
            AGE,
        ],
    ),
    workload(
        "batch",
        "Job",
        "jobs",
        &[],
        &[
            Column {
                name: "Completions",
                source: ColumnSource::Ratio("status.succeeded", "spec.completions"),
                kind: "string",
            },
            AGE,
        ],
    ),
    workload(
        "batch",
        "CronJob",
        "cronjobs",
        &["cj"],
        &[
            Column {
                name: "Schedule",
                source: ColumnSource::Path("spec.schedule"),
                kind: "string",
            },
            Column {
                name: "Suspend",
                source: ColumnSource::Path("spec.suspend"),
                kind: "boolean",
            },
            Column {
                name: "Active",
                source: ColumnSource::Count("status.active"),
                kind: "integer",
            },
            Column {
                name: "Last Schedule",
                source: ColumnSource::Since("status.lastScheduleTime"),
                kind: "date",
            },
            AGE,
        ],
    ),
    workload(
        "",
        "Pod",
        "pods",
        &["po"],
        &[
            Column {
                name: "Status",
                source: ColumnSource::Path("status.phase"),
                kind: "string",
            },
            AGE,
        ],
    ),
    ResourceType {
        group: "external-secrets.io",
        version: "v1",
        kind: "ExternalSecret",
        plural: "externalsecrets",
        singular: "externalsecret",
        namespaced: true,
        short_names: &["es"],
        categories: &["external-secrets"],
        status_subresource: true,
        has_generation: true,
        unconditional_update: false,
        custom: true,
        schema: Some(super::es_schemas::external_secret_v1),
        columns: &[
            Column {
                name: "StoreType",
                source: ColumnSource::Path("spec.secretStoreRef.kind"),
                kind: "string",
            },
            Column {
                name: "Store",
                source: ColumnSource::Path("spec.secretStoreRef.name"),
                kind: "string",
            },
            Column {
                name: "Refresh Interval",
                source: ColumnSource::Path("spec.refreshInterval"),
                kind: "string",
            },
            Column {
                name: "Status",
                source: ColumnSource::Condition("Ready", "reason"),
                kind: "string",
            },
            Column {
                name: "Ready",
                source: ColumnSource::Condition("Ready", "status"),
                kind: "string",
            },
            Column {
                name: "Last Sync",
                source: ColumnSource::Since("status.refreshTime"),
                kind: "date",
            },
        ],
    },
    ResourceType {
        group: "external-secrets.io",
        version: "v1",
        kind: "ClusterSecretStore",
        plural: "clustersecretstores",
        singular: "clustersecretstore",
        namespaced: false,
        short_names: &["css"],
        categories: &["external-secrets"],
        status_subresource: true,
        has_generation: true,
        unconditional_update: false,
        custom: true,
        schema: Some(super::es_schemas::cluster_secret_store_v1),
        columns: &[
            AGE,
            Column {
                name: "Status",
                source: ColumnSource::Condition("Ready", "reason"),
                kind: "string",
            },
            Column {
                name: "Capabilities",
                source: ColumnSource::Path("status.capabilities"),
                kind: "string",
            },
            Column {
                name: "Ready",
                source: ColumnSource::Condition("Ready", "status"),
                kind: "string",
            },
        ],
    },
];

/// Index of a kind in [`TYPES`].
pub type TypeId = usize;

/// Finds a served kind by group, version and plural.
pub fn by_plural(group: &str, version: &str, plural: &str) -> Option<TypeId> {
    TYPES
        .iter()
        .position(|t| t.group == group && t.version == version && t.plural == plural)
}

/// Finds a served kind by group and kind.
pub fn by_kind(group: &str, kind: &str) -> Option<TypeId> {
    TYPES
        .iter()
        .position(|t| t.group == group && t.kind == kind)
}
