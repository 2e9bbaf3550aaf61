//! Secrets as the browser sees them: metadata and spec, never values.

use serde::{Deserialize, Serialize};

/// Gives a fieldless enum `ALL`, `as_str` (the variant's name, as stored and sent) and `parse`.
macro_rules! named_variants {
    ($ty:ident { $($variant:ident),+ $(,)? }) => {
        impl $ty {
            /// Every variant, in display order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The variant's name, as stored in the database and used in URLs.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => stringify!($variant)),+
                }
            }

            /// Parses [`Self::as_str`]'s output.
            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }
    };
}

/// Where a secret's data comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SecretKind {
    /// An External Secrets Operator `ExternalSecret` that pulls from a ClusterSecretStore.
    External,
    /// A native Kubernetes `Secret` whose values we hold (encrypted) and write.
    Kubernetes,
}

/// Who a secret belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    /// Defined by an admin, assignable to many projects.
    Organization,
    /// Bound to one project, never shared.
    Project,
}

/// What the secret is for; some use cases require certain keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UseCase {
    /// No particular shape.
    Generic,
    /// Database credentials.
    Database,
    /// A Hugging Face token.
    HuggingFace,
    /// S3-compatible object storage credentials.
    S3,
    /// Registry credentials for pulling images.
    ImagePullSecret,
}

named_variants!(SecretKind {
    External,
    Kubernetes
});
named_variants!(Scope {
    Organization,
    Project
});
named_variants!(UseCase {
    Generic,
    Database,
    HuggingFace,
    S3,
    ImagePullSecret
});

/// One entry of an External secret: `secret_key` in the target Secret ← `remote_key` in the
/// store (optionally one JSON `property` of it, optionally a pinned `version`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalDataEntry {
    /// Key in the Kubernetes Secret that ESO creates.
    pub secret_key: String,
    /// Key in the external store.
    pub remote_key: String,
    /// A property of a JSON value in the store.
    pub property: Option<String>,
    /// A pinned version in the store.
    pub version: Option<String>,
}

/// The spec of an External secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalSpec {
    /// The ClusterSecretStore to read from.
    pub store: String,
    /// How often ESO re-reads the store, in Go duration syntax (`1h0m0s`).
    pub refresh_interval: String,
    /// What to read.
    pub data: Vec<ExternalDataEntry>,
}

/// The spec of a Kubernetes secret: its type and key names. Values are write-only and never
/// part of this type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KubernetesSpec {
    /// The Secret `type`: `Opaque`, `kubernetes.io/dockerconfigjson`, …
    pub secret_type: String,
    /// The key names, in display order.
    pub keys: Vec<String>,
}

/// A secret's spec, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum SecretSpec {
    /// See [`ExternalSpec`].
    External(ExternalSpec),
    /// See [`KubernetesSpec`].
    Kubernetes(KubernetesSpec),
}

impl SecretSpec {
    /// The kind this spec belongs to.
    pub fn kind(&self) -> SecretKind {
        match self {
            SecretSpec::External(_) => SecretKind::External,
            SecretSpec::Kubernetes(_) => SecretKind::Kubernetes,
        }
    }
}

/// One key and its value, as typed into a form. Zeroized when dropped.
#[derive(
    Clone, PartialEq, Eq, Serialize, Deserialize, zeroize::Zeroize, zeroize::ZeroizeOnDrop,
)]
pub struct SecretValue {
    /// The key name in the Kubernetes Secret.
    pub key: String,
    /// The value. Write-only: travels from a form to the server, never back.
    pub value: String,
}

/// The values of a Kubernetes secret. Write-only: deserialized from requests, never part of a
/// response. `Debug` shows key names and sizes, never values.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretValues(Vec<SecretValue>);

impl SecretValues {
    /// Builds values from key/value pairs, in order.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        SecretValues(
            pairs
                .into_iter()
                .map(|(key, value)| SecretValue { key, value })
                .collect(),
        )
    }

    /// Iterates over `(key, value)`.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|v| (v.key.as_str(), v.value.as_str()))
    }

    /// The key names, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|v| v.key.as_str())
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Total size of the values in bytes (what the 1 MiB limit counts).
    pub fn total_bytes(&self) -> usize {
        self.0.iter().map(|v| v.value.len()).sum()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for SecretValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(
                self.0
                    .iter()
                    .map(|v| (&v.key, format!("<redacted, {} bytes>", v.value.len()))),
            )
            .finish()
    }
}

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SecretValue {{ key: {:?}, value: <redacted> }}",
            self.key
        )
    }
}

/// What the create forms send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateSecretInput {
    /// Name.
    pub name: String,
    /// Scope.
    pub scope: Scope,
    /// For project secrets, the project.
    pub project_id: Option<i64>,
    /// Use case.
    pub use_case: UseCase,
    /// Description.
    pub description: String,
    /// Spec.
    pub spec: SecretSpec,
    /// Values of a Kubernetes secret (write-only).
    pub values: SecretValues,
}

/// What the edit form sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateSecretInput {
    /// The version the user edited.
    pub version: i64,
    /// Use case.
    pub use_case: UseCase,
    /// Description.
    pub description: String,
    /// Spec.
    pub spec: SecretSpec,
    /// Replacement values; keys left out keep their value.
    pub replace_values: SecretValues,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_values() {
        let values = SecretValues::from_pairs([("password".to_owned(), "canary-77".to_owned())]);
        let shown = format!("{values:?} {:?}", values.0[0]);
        assert!(shown.contains("password"));
        assert!(!shown.contains("canary-77"));
    }
}
