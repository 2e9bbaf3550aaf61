//! The objects the console applies for one secret, as its page shows them: one per assigned
//! project, rendered as YAML. Never a value: a Kubernetes secret's data shows its key names
//! with a placeholder in place of each value.

use serde::{Deserialize, Serialize};

/// What stands in a Kubernetes secret's `data` for every value, in the page and the download.
pub const VALUE_PLACEHOLDER: &str = "<value not shown>";

/// The object applied for one assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedManifest {
    /// The project the secret is assigned to (`projects.id`).
    pub project_id: i64,
    /// Its name.
    pub project: String,
    /// The cluster the object lives on.
    pub cluster: String,
    /// Its namespace there.
    pub namespace: String,
    /// The object's name (the secret's).
    pub name: String,
    /// `ExternalSecret` or `Secret`.
    pub kind: String,
    /// `apiVersion`, as the cluster serves it (`external-secrets.io/v1`, `…/v1beta1`, `v1`).
    pub api_version: String,
    /// The object, as YAML.
    pub yaml: String,
}

impl AppliedManifest {
    /// Where the "Download manifest" link fetches this object as a file.
    pub fn download_href(secret_id: i64, project_id: i64) -> String {
        format!("/secrets/{secret_id}/manifest?project={project_id}")
    }

    /// The file name a download is saved under: `<namespace>-<name>.yaml`.
    pub fn file_name(namespace: &str, name: &str) -> String {
        format!("{namespace}-{name}.yaml")
    }
}
