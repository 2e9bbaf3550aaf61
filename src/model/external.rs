//! The parts of an External secret's spec beyond store, refresh interval and key rows: the rest
//! of the ExternalSecret `external-secrets.io/v1` spec, so a manifest pasted as YAML keeps every
//! field it had (issue 23).
//!
//! What the console reasons about is typed: remote keys and `find` paths (the member allowlist
//! checks them), target keys (`template.data`, the use-case rules read them), and every policy
//! and strategy (each an enum whose default is ESO's, pinned in the canonical object). What it
//! only keeps and writes back is raw JSON: `rewrite` rules, `sourceRef`s, `templateFrom` items,
//! `target.manifest` and `syncWindows`; the CRD schema checks those on the server.
//!
//! Every field has `#[serde(default, skip_serializing_if = …)]`: specs stored before these
//! fields existed still deserialize, and a spec that uses none of them stores as it did.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A fieldless enum whose variants are the CRD's enum values, with ESO's default as
/// [`Default`], plus `ALL`, `as_str`, `parse` and `is_default` (for `skip_serializing_if`).
macro_rules! crd_enum {
    ($(#[$doc:meta])* $ty:ident default $default:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $ty {
            #[default]
            #[doc = "ESO's default."]
            $default,
            $(
                #[doc = concat!("`", stringify!($variant), "`.")]
                $variant
            ),+
        }

        impl $ty {
            /// Every variant, the default first.
            pub const ALL: &'static [$ty] = &[$ty::$default, $($ty::$variant),+];

            /// The value as the CRD spells it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $ty::$default => stringify!($default),
                    $($ty::$variant => stringify!($variant)),+
                }
            }

            /// Parses [`Self::as_str`]'s output.
            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text)
            }

            /// Whether this is ESO's default (not stored, always written out).
            pub fn is_default(&self) -> bool {
                *self == Self::default()
            }
        }
    };
}

crd_enum!(
    /// `spec.target.creationPolicy`: whether ESO creates and owns the target Secret.
    CreationPolicy default Owner { Orphan, Merge, None, CreateOrMerge }
);
crd_enum!(
    /// `spec.target.deletionPolicy`: what happens to the target when the provider's secret goes.
    DeletionPolicy default Retain { Delete, Merge }
);
crd_enum!(
    /// `spec.refreshPolicy`. The CRD has no default; ESO treats an empty one as `Periodic`,
    /// which the canonical object pins.
    RefreshPolicy default Periodic { CreatedOnce, OnChange }
);
crd_enum!(
    /// `spec.target.template.mergePolicy`: whether templated keys replace or join the fetched.
    MergePolicy default Replace { Merge }
);
crd_enum!(
    /// `conversionStrategy` of a remote reference (`Default` keeps key names as they are).
    ConversionStrategy default Default { Unicode }
);
crd_enum!(
    /// `decodingStrategy` of a remote reference.
    DecodingStrategy default None { Auto, Base64, Base64URL }
);
crd_enum!(
    /// `metadataPolicy` of a remote reference: `Fetch` reads tags/labels instead of the value.
    MetadataPolicy default None { Fetch }
);
crd_enum!(
    /// `nullBytePolicy` of a remote reference.
    NullBytePolicy default Ignore { Fail }
);

/// True for an empty map (`skip_serializing_if`).
fn is_empty_map(map: &BTreeMap<String, String>) -> bool {
    map.is_empty()
}

/// True for `false` (`skip_serializing_if`).
fn is_false(value: &bool) -> bool {
    !*value
}

/// How a fetched value is converted, decoded and guarded: the strategy fields every remote
/// reference (`data[].remoteRef`, `dataFrom[].extract`, `dataFrom[].find`) may carry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Strategies {
    /// `conversionStrategy`.
    #[serde(default, skip_serializing_if = "ConversionStrategy::is_default")]
    pub conversion_strategy: ConversionStrategy,
    /// `decodingStrategy`.
    #[serde(default, skip_serializing_if = "DecodingStrategy::is_default")]
    pub decoding_strategy: DecodingStrategy,
    /// `nullBytePolicy`.
    #[serde(default, skip_serializing_if = "NullBytePolicy::is_default")]
    pub null_byte_policy: NullBytePolicy,
}

impl Strategies {
    /// Whether every strategy is ESO's default (`skip_serializing_if`).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// `dataFrom[].extract`: one remote secret whose JSON properties each become a key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalExtract {
    /// `key`: the remote key (checked against a member's allowlist like a data entry's).
    pub key: String,
    /// `property`: a JSON property of the value whose own properties are extracted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    /// `version`: a pinned version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `metadataPolicy`.
    #[serde(default, skip_serializing_if = "MetadataPolicy::is_default")]
    pub metadata_policy: MetadataPolicy,
    /// The strategies.
    #[serde(default, skip_serializing_if = "Strategies::is_default")]
    pub strategies: Strategies,
}

/// `dataFrom[].find`: every remote secret under `path` whose name matches `name_regexp` and
/// that carries all `tags`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalFind {
    /// `path`: where to search (a member's must lie inside an allowed key prefix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `name.regexp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_regexp: Option<String>,
    /// `tags`: every one must match.
    #[serde(default, skip_serializing_if = "is_empty_map")]
    pub tags: BTreeMap<String, String>,
    /// The strategies.
    #[serde(default, skip_serializing_if = "Strategies::is_default")]
    pub strategies: Strategies,
}

/// One item of `spec.dataFrom`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalDataFrom {
    /// `extract`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extract: Option<ExternalExtract>,
    /// `find`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub find: Option<ExternalFind>,
    /// `rewrite`: kept as written (regexp, transform and merge rules).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rewrite: Vec<Value>,
    /// `sourceRef`: kept as written (a generator or another store; refused for members).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ref: Option<Value>,
}

/// `spec.target.template` (engine `v2`, the only one the v1 CRD allows).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalTemplate {
    /// `type`: the target Secret's type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_type: Option<String>,
    /// `mergePolicy`.
    #[serde(default, skip_serializing_if = "MergePolicy::is_default")]
    pub merge_policy: MergePolicy,
    /// `metadata.labels`, the user's (the console adds its own when writing).
    #[serde(default, skip_serializing_if = "is_empty_map")]
    pub labels: BTreeMap<String, String>,
    /// `metadata.annotations`.
    #[serde(default, skip_serializing_if = "is_empty_map")]
    pub annotations: BTreeMap<String, String>,
    /// `metadata.finalizers`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub finalizers: Vec<String>,
    /// `data`: target key → template text.
    #[serde(default, skip_serializing_if = "is_empty_map")]
    pub data: BTreeMap<String, String>,
    /// `templateFrom`: kept as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub template_from: Vec<Value>,
}

/// `spec.target` beyond its name (the console's: the secret's name): policies, `immutable` and
/// `manifest` (kept as written).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalTarget {
    /// `creationPolicy`.
    #[serde(default, skip_serializing_if = "CreationPolicy::is_default")]
    pub creation_policy: CreationPolicy,
    /// `deletionPolicy`.
    #[serde(default, skip_serializing_if = "DeletionPolicy::is_default")]
    pub deletion_policy: DeletionPolicy,
    /// `immutable`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub immutable: bool,
    /// `template`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<ExternalTemplate>,
    /// `manifest`: a non-Secret target kind, kept as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<Value>,
}

impl ExternalTarget {
    /// Whether nothing differs from ESO's defaults (`skip_serializing_if`).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}
