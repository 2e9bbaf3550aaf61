//! Secrets as the browser sees them: metadata and spec, never values.

use serde::{Deserialize, Serialize};

use crate::model::external::{
    ExternalDataFrom, ExternalTarget, MetadataPolicy, RefreshPolicy, Strategies,
};

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
/// store (optionally one JSON `property` of it, optionally a pinned `version`), with the rest
/// of the v1 `remoteRef` and `sourceRef` (see [`crate::model::external`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalDataEntry {
    /// Key in the Kubernetes Secret that ESO creates.
    pub secret_key: String,
    /// Key in the external store.
    pub remote_key: String,
    /// A property of a JSON value in the store.
    pub property: Option<String>,
    /// A pinned version in the store.
    pub version: Option<String>,
    /// `remoteRef.metadataPolicy`.
    #[serde(default, skip_serializing_if = "MetadataPolicy::is_default")]
    pub metadata_policy: MetadataPolicy,
    /// `remoteRef`'s conversion, decoding and null-byte strategies.
    #[serde(default, skip_serializing_if = "Strategies::is_default")]
    pub strategies: Strategies,
    /// `sourceRef`, kept as written (a generator or another store; refused for members).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ref: Option<serde_json::Value>,
}

/// The spec of an External secret: the whole ExternalSecret v1 spec but the parts the console
/// owns (the store kind, the target's name, labels). The fields after `data` are optional in
/// storage (see [`crate::model::external`]), so specs stored before them still read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalSpec {
    /// The ClusterSecretStore to read from.
    pub store: String,
    /// How often ESO re-reads the store, in Go duration syntax (`1h0m0s`).
    pub refresh_interval: String,
    /// What to read, key by key.
    pub data: Vec<ExternalDataEntry>,
    /// `spec.dataFrom`: whole secrets to extract or find.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_from: Vec<ExternalDataFrom>,
    /// `spec.target` but its name: policies and template.
    #[serde(default, skip_serializing_if = "ExternalTarget::is_default")]
    pub target: ExternalTarget,
    /// `spec.refreshPolicy`.
    #[serde(default, skip_serializing_if = "RefreshPolicy::is_default")]
    pub refresh_policy: RefreshPolicy,
    /// `spec.syncWindows`, kept as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_windows: Option<serde_json::Value>,
}

impl ExternalSpec {
    /// The fields the form does not edit, as JSON for its hidden field: this spec without
    /// store, interval and the key rows' own fields (each row keeps its `secret_key`, to match
    /// its extras again). Empty when there are none.
    pub fn form_extras(&self) -> String {
        let data = self.data.iter().map(|e| ExternalDataEntry {
            secret_key: e.secret_key.clone(),
            metadata_policy: e.metadata_policy,
            strategies: e.strategies.clone(),
            source_ref: e.source_ref.clone(),
            ..Default::default()
        });
        let extras = ExternalSpec {
            data: data.filter(|e| *e != Self::bare(e)).collect(),
            store: String::new(),
            refresh_interval: String::new(),
            ..self.clone()
        };
        if extras == ExternalSpec::default() {
            return String::new();
        }
        serde_json::to_string(&extras).unwrap_or_default()
    }

    fn bare(entry: &ExternalDataEntry) -> ExternalDataEntry {
        ExternalDataEntry {
            secret_key: entry.secret_key.clone(),
            ..Default::default()
        }
    }

    /// This spec (from the form's rows) with the extras of [`Self::form_extras`] put back;
    /// a row's extras follow its `secret_key`. Unreadable extras are ignored.
    pub fn with_form_extras(mut self, extras: &str) -> Self {
        let Ok(extras) = serde_json::from_str::<ExternalSpec>(extras) else {
            return self;
        };
        for entry in &mut self.data {
            if let Some(extra) = extras
                .data
                .iter()
                .find(|e| e.secret_key == entry.secret_key)
            {
                entry.metadata_policy = extra.metadata_policy;
                entry.strategies = extra.strategies.clone();
                entry.source_ref = extra.source_ref.clone();
            }
        }
        ExternalSpec {
            store: self.store,
            refresh_interval: self.refresh_interval,
            data: self.data,
            ..extras
        }
    }
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
#[expect(
    clippy::large_enum_variant,
    reason = "a spec is one per secret, never in a hot collection; boxing would touch every match"
)]
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
    /// An RFC 1123 label (at most 63 characters); also the name of its object in each namespace.
    pub name: String,
    /// `Organization` (assignable to many projects, admins only) or `Project` (see `project_id`).
    pub scope: Scope,
    /// For project secrets, the project.
    pub project_id: Option<i64>,
    /// What it is for; decides which keys the spec must have (e.g. `HF_TOKEN` for HuggingFace).
    pub use_case: UseCase,
    /// Free text for people, at most 1000 characters; may be empty.
    pub description: String,
    /// What to create, by kind: store and keys (External) or type and key names (Kubernetes).
    pub spec: SecretSpec,
    /// Values of a Kubernetes secret (write-only).
    pub values: SecretValues,
    /// Organization secrets: projects (`projects.id`) to assign it to in the same step, in the
    /// same transaction (a project secret with any is refused).
    #[serde(default)]
    pub assign_to: Vec<i64>,
    /// Organization secrets: selectors to assign it by in the same step, one a line, in the
    /// syntax the detail page's selector form takes (`env=prod`); blank for none.
    #[serde(default)]
    pub selectors: String,
}

/// What the edit form sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateSecretInput {
    /// The version the user edited.
    pub version: i64,
    /// The new use case; the new spec must have the keys it requires.
    pub use_case: UseCase,
    /// The new description, at most 1000 characters.
    pub description: String,
    /// The new spec; it must be of the secret's kind, which never changes.
    pub spec: SecretSpec,
    /// Replacement values; keys left out keep their value.
    pub replace_values: SecretValues,
}

/// The create form as a browser posts it (also without JavaScript): flat fields, rows as
/// indexed lists. Blank rows are ignored. Values are zeroized on drop and never shown by `Debug`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SecretForm {
    /// As typed; trimmed, then checked as an RFC 1123 label of at most 63 characters.
    pub name: String,
    /// `Organization` or `Project`.
    pub scope: String,
    /// The project, for project secrets.
    pub project_id: Option<i64>,
    /// A [`UseCase`] variant name (`Generic`, `Database`, …); anything else is refused.
    pub use_case: String,
    /// Free text, trimmed when read; at most 1000 characters.
    pub description: String,
    /// `External` or `Kubernetes`.
    pub kind: String,
    /// External: the ClusterSecretStore.
    pub store: String,
    /// External: refresh interval (Go duration; blank means `1h0m0s`).
    pub refresh_interval: String,
    /// External rows: target keys.
    pub secret_key: Vec<String>,
    /// External rows: remote keys.
    pub remote_key: Vec<String>,
    /// External rows: JSON properties (blank for none).
    pub property: Vec<String>,
    /// External rows: versions (blank for latest).
    pub version: Vec<String>,
    /// Kubernetes: the Secret type (blank means `Opaque`).
    pub secret_type: String,
    /// Kubernetes rows: keys.
    pub key: Vec<String>,
    /// Kubernetes rows: values (write-only).
    pub value: FormValues,
    /// Create form, organization secrets: the ticked projects to assign it to at once.
    pub assign_to: Vec<i64>,
    /// Create form, organization secrets: selectors to assign it by, one a line.
    pub selectors: String,
    /// External: the spec's fields the form does not edit (`dataFrom`, template, policies,
    /// per-key strategies), as [`ExternalSpec::form_extras`] writes them; a hidden field, so
    /// saving the form never drops what a manifest set.
    pub external_extra: String,
}

/// Sets row `i` of one of a form's row lists, growing the list with blank rows as needed (the
/// browser adds rows before anything is typed into them).
pub fn set_row(list: &mut Vec<String>, i: usize, value: String) {
    if list.len() <= i {
        list.resize(i + 1, String::new());
    }
    list[i] = value;
}

/// A value as it was typed or pasted: a browser posts a multi-line field's line breaks as
/// CRLF (the HTML form encoding does), and a certificate or key pasted with LF must reach the
/// cluster byte for byte. (A browser cannot hold a lone CR in a text field either.)
pub fn posted_line_breaks(value: &str) -> String {
    value.replace("\r\n", "\n")
}

/// Values as a form posts them; zeroized on drop.
#[derive(
    Clone, Default, PartialEq, Eq, Serialize, Deserialize, zeroize::Zeroize, zeroize::ZeroizeOnDrop,
)]
#[serde(transparent)]
pub struct FormValues(pub Vec<String>);

impl std::fmt::Debug for SecretForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretForm")
            .field("name", &self.name)
            .field("scope", &self.scope)
            .field("kind", &self.kind)
            .field("keys", &self.key)
            .field("values", &format!("<{} redacted>", self.value.0.len()))
            .finish_non_exhaustive()
    }
}

impl SecretForm {
    /// The edit form as an update: values left blank keep what they were.
    pub fn into_update(&self, version: i64) -> Result<UpdateSecretInput, crate::error::FieldError> {
        let input = self.into_input()?;
        Ok(UpdateSecretInput {
            version,
            use_case: input.use_case,
            description: input.description.clone(),
            replace_values: SecretValues::from_pairs(
                input
                    .values
                    .iter()
                    .filter(|(_, value)| !value.is_empty())
                    .map(|(k, v)| (k.to_owned(), v.to_owned())),
            ),
            spec: input.spec.clone(),
        })
    }

    /// The form filled with a secret as it is (values are never filled in).
    pub fn of(
        name: &str,
        scope: Scope,
        project_id: Option<i64>,
        use_case: UseCase,
        description: &str,
        spec: &SecretSpec,
    ) -> Self {
        let mut form = SecretForm {
            name: name.to_owned(),
            scope: scope.as_str().to_owned(),
            project_id,
            use_case: use_case.as_str().to_owned(),
            description: description.to_owned(),
            kind: spec.kind().as_str().to_owned(),
            refresh_interval: "1h0m0s".to_owned(),
            secret_type: "Opaque".to_owned(),
            ..SecretForm::default()
        };
        match spec {
            SecretSpec::External(external) => {
                form.store = external.store.clone();
                form.refresh_interval = external.refresh_interval.clone();
                form.external_extra = external.form_extras();
                for entry in &external.data {
                    form.secret_key.push(entry.secret_key.clone());
                    form.remote_key.push(entry.remote_key.clone());
                    form.property
                        .push(entry.property.clone().unwrap_or_default());
                    form.version.push(entry.version.clone().unwrap_or_default());
                }
            }
            SecretSpec::Kubernetes(k8s) => {
                form.secret_type = k8s.secret_type.clone();
                form.key = k8s.keys.clone();
                form.value = FormValues(vec![String::new(); k8s.keys.len()]);
            }
        }
        form
    }

    /// Whether row `i` of the External rows has anything in it (blank rows are left out).
    fn external_row_filled(&self, i: usize) -> bool {
        let filled = |list: &[String]| list.get(i).is_some_and(|s| !s.trim().is_empty());
        filled(&self.secret_key)
            || filled(&self.remote_key)
            || filled(&self.property)
            || filled(&self.version)
    }

    /// Whether row `i` of the Kubernetes rows has a key or a value (blank rows are left out).
    fn kubernetes_row_filled(&self, i: usize) -> bool {
        self.key.get(i).is_some_and(|k| !k.trim().is_empty())
            || self.value.0.get(i).is_some_and(|v| !v.is_empty())
    }

    /// The External row that entry `entry` of the spec comes from: blank rows are left out of
    /// the spec, so `data[1]` is the second filled row, wherever it is in the form.
    pub fn external_row(&self, entry: usize) -> Option<usize> {
        (0..self.rows(true))
            .filter(|&i| self.external_row_filled(i))
            .nth(entry)
    }

    /// The Kubernetes row that key `entry` of the spec comes from (`keys[1]`: the second
    /// filled row).
    pub fn kubernetes_row(&self, entry: usize) -> Option<usize> {
        (0..self.rows(false))
            .filter(|&i| self.kubernetes_row_filled(i))
            .nth(entry)
    }

    /// How many External (`external`) or Kubernetes rows the form holds.
    fn rows(&self, external: bool) -> usize {
        if external {
            self.secret_key
                .len()
                .max(self.remote_key.len())
                .max(self.property.len())
                .max(self.version.len())
        } else {
            self.key.len().max(self.value.0.len())
        }
    }

    /// The typed input; a field that cannot be read is named.
    pub fn into_input(&self) -> Result<CreateSecretInput, crate::error::FieldError> {
        use crate::error::FieldError;
        let scope = Scope::parse(&self.scope)
            .ok_or_else(|| FieldError::new("scope", "choose Organization or Project"))?;
        let use_case = UseCase::parse(&self.use_case).ok_or_else(|| {
            FieldError::new(
                "use_case",
                "choose one of Generic, Database, HuggingFace, S3, ImagePullSecret",
            )
        })?;
        let cell = |list: &[String], i: usize| {
            list.get(i).map(|s| s.trim().to_owned()).unwrap_or_default()
        };
        let optional = |text: String| (!text.is_empty()).then_some(text);
        let (spec, values) = match self.kind.as_str() {
            "External" => {
                let data = (0..self.rows(true))
                    .filter(|&i| self.external_row_filled(i))
                    .map(|i| ExternalDataEntry {
                        secret_key: cell(&self.secret_key, i),
                        remote_key: cell(&self.remote_key, i),
                        property: optional(cell(&self.property, i)),
                        version: optional(cell(&self.version, i)),
                        ..Default::default()
                    })
                    .collect();
                let refresh = self.refresh_interval.trim();
                (
                    SecretSpec::External(
                        ExternalSpec {
                            store: self.store.trim().to_owned(),
                            refresh_interval: if refresh.is_empty() {
                                "1h0m0s".to_owned()
                            } else {
                                refresh.to_owned()
                            },
                            data,
                            ..Default::default()
                        }
                        .with_form_extras(&self.external_extra),
                    ),
                    SecretValues::default(),
                )
            }
            "Kubernetes" => {
                let pairs: Vec<(String, String)> = (0..self.rows(false))
                    .filter(|&i| self.kubernetes_row_filled(i))
                    .map(|i| {
                        (
                            cell(&self.key, i),
                            posted_line_breaks(self.value.0.get(i).map_or("", String::as_str)),
                        )
                    })
                    .collect();
                let secret_type = self.secret_type.trim();
                (
                    SecretSpec::Kubernetes(KubernetesSpec {
                        secret_type: if secret_type.is_empty() {
                            "Opaque".to_owned()
                        } else {
                            secret_type.to_owned()
                        },
                        keys: pairs.iter().map(|(k, _)| k.clone()).collect(),
                    }),
                    SecretValues::from_pairs(pairs),
                )
            }
            _ => return Err(FieldError::new("kind", "choose External or Kubernetes")),
        };
        Ok(CreateSecretInput {
            name: self.name.trim().to_owned(),
            scope,
            project_id: if scope == Scope::Project {
                self.project_id
            } else {
                None
            },
            use_case,
            description: self.description.trim().to_owned(),
            spec,
            values,
            assign_to: self.assign_to.clone(),
            selectors: self.selectors.trim().to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posted_crlf_line_breaks_become_the_pasted_lf() {
        let pem = "-----BEGIN KEY-----\r\nAAAA\r\n-----END KEY-----\r\n";
        assert_eq!(
            posted_line_breaks(pem),
            "-----BEGIN KEY-----\nAAAA\n-----END KEY-----\n"
        );
        assert_eq!(posted_line_breaks("one line"), "one line");
    }

    #[test]
    fn a_spec_entry_is_found_at_its_row_whatever_blank_rows_come_before() {
        let form = SecretForm {
            kind: "External".into(),
            scope: "Organization".into(),
            use_case: "Generic".into(),
            secret_key: vec!["".into(), "a".into(), "".into(), "".into()],
            remote_key: vec!["".into(), "x/a".into(), "  ".into(), "".into()],
            property: vec!["".into(), "".into(), "".into(), "p".into()],
            key: vec!["".into(), "K".into()],
            value: FormValues(vec!["v".into(), "".into()]),
            ..SecretForm::default()
        };
        assert_eq!(form.external_row(0), Some(1));
        assert_eq!(form.external_row(1), Some(3), "the blank row 2 is skipped");
        assert_eq!(form.external_row(2), None);
        let input = form.into_input().unwrap();
        let SecretSpec::External(external) = &input.spec else {
            panic!("external")
        };
        assert_eq!(external.data.len(), 2, "as many entries as filled rows");
        assert_eq!(external.data[1].property.as_deref(), Some("p"));
        assert_eq!(form.kubernetes_row(0), Some(0), "a value alone fills a row");
        assert_eq!(form.kubernetes_row(1), Some(1));
    }

    #[test]
    fn debug_output_never_shows_values() {
        let values = SecretValues::from_pairs([("password".to_owned(), "canary-77".to_owned())]);
        let shown = format!("{values:?} {:?}", values.0[0]);
        assert!(shown.contains("password"));
        assert!(!shown.contains("canary-77"));
    }
}
