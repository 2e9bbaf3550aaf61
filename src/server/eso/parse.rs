//! Reading a validated, defaulted `ExternalSecret` v1 object into the console's model: the
//! secret's name, its [`ExternalSpec`] with every field kept, and a note for each field the
//! console owns that the manifest set differently.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::domain::validation::{FieldError, validate_refresh_interval};
use crate::model::external::{
    ConversionStrategy, CreationPolicy, DecodingStrategy, DeletionPolicy, ExternalDataFrom,
    ExternalExtract, ExternalFind, ExternalTarget, ExternalTemplate, MergePolicy, MetadataPolicy,
    NullBytePolicy, RefreshPolicy, Strategies,
};
use crate::model::secret::{ExternalDataEntry, ExternalSpec};
use crate::server::cluster::manifest::{
    LABEL_ASSIGNMENT_ID, LABEL_MANAGED_BY, LABEL_SCOPE, LABEL_SECRET_ID,
};

/// The labels the console puts on the objects it applies (and into a template's metadata): a
/// manifest carrying them was written by the console; they are not the user's.
pub const OUR_LABELS: [&str; 4] = [
    LABEL_MANAGED_BY,
    LABEL_SECRET_ID,
    LABEL_ASSIGNMENT_ID,
    LABEL_SCOPE,
];

/// What a manifest holds for the console.
#[derive(Debug)]
pub struct Read {
    /// `metadata.name`.
    pub name: String,
    /// The spec.
    pub spec: ExternalSpec,
    /// Console-owned fields that differ, one sentence each.
    pub notes: Vec<String>,
}

/// Reads `object` (schema-valid and defaulted, `external-secrets.io/v1`). Errors name paths.
pub fn read(object: &Value) -> Result<Read, Vec<FieldError>> {
    let mut notes = Vec::new();
    let metadata = &object["metadata"];
    let name = text(&metadata["name"]).unwrap_or_default();
    if name.is_empty() {
        let message = "required: the secret's name, e.g. postgres-credentials";
        return Err(vec![FieldError::new("metadata.name", message)]);
    }
    if let Some(namespace) = text(&metadata["namespace"]) {
        notes.push(format!(
            "metadata.namespace `{namespace}` is not kept: the ExternalSecret goes to the \
             namespace of each project it is assigned to."
        ));
    }
    let theirs = |field: &str| {
        metadata[field]
            .as_object()
            .is_some_and(|m| m.keys().any(|k| !OUR_LABELS.contains(&k.as_str())))
    };
    if theirs("labels")
        || metadata["annotations"]
            .as_object()
            .is_some_and(|m| !m.is_empty())
    {
        notes.push(
            "metadata.labels and metadata.annotations are not kept: the console sets its own \
             labels, to find and watch the objects it manages."
                .to_owned(),
        );
    }
    let spec = &object["spec"];
    let store_ref = &spec["secretStoreRef"];
    let store = text(&store_ref["name"]).unwrap_or_default();
    if store.is_empty() {
        let message = "required: the ClusterSecretStore to read from";
        return Err(vec![FieldError::new("spec.secretStoreRef.name", message)]);
    }
    if text(&store_ref["kind"]) != Some("ClusterSecretStore") {
        notes.push(format!(
            "spec.secretStoreRef.kind {} becomes ClusterSecretStore: the console reads only from \
             ClusterSecretStores, so `{store}` must be one.",
            text(&store_ref["kind"])
                .map_or("(absent, which ESO reads as SecretStore)".into(), |k| {
                    format!("`{k}`")
                }),
        ));
    }
    let interval = text(&spec["refreshInterval"]).unwrap_or("1h0m0s");
    let refresh_interval = validate_refresh_interval(interval)
        .map_err(|e| vec![FieldError::new("spec.refreshInterval", e.message)])?;
    let target = &spec["target"];
    if let Some(target_name) = text(&target["name"]).filter(|t| *t != name) {
        notes.push(format!(
            "spec.target.name `{target_name}` becomes `{name}`: the Secret ESO writes has the \
             secret's name."
        ));
    }
    let spec = ExternalSpec {
        store: store.to_owned(),
        refresh_interval,
        data: items(&spec["data"]).iter().map(data_entry).collect(),
        data_from: items(&spec["dataFrom"]).iter().map(data_from).collect(),
        target: ExternalTarget {
            creation_policy: choice(&target["creationPolicy"], CreationPolicy::parse),
            deletion_policy: choice(&target["deletionPolicy"], DeletionPolicy::parse),
            immutable: target["immutable"].as_bool().unwrap_or(false),
            template: target.get("template").map(template),
            manifest: target.get("manifest").cloned(),
        },
        refresh_policy: choice(&spec["refreshPolicy"], RefreshPolicy::parse),
        sync_windows: spec.get("syncWindows").cloned(),
    };
    Ok(Read {
        name: name.to_owned(),
        spec,
        notes,
    })
}

fn text(value: &Value) -> Option<&str> {
    value.as_str()
}

/// A non-empty string (ESO reads an empty `property` or `version` as none).
fn filled(value: &Value) -> Option<String> {
    text(value).filter(|s| !s.is_empty()).map(str::to_owned)
}

fn items(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

fn choice<T: Default>(value: &Value, parse: fn(&str) -> Option<T>) -> T {
    text(value).and_then(parse).unwrap_or_default()
}

fn strings(value: &Value) -> BTreeMap<String, String> {
    value
        .as_object()
        .map(Map::iter)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
        .collect()
}

fn strategies(reference: &Value) -> Strategies {
    Strategies {
        conversion_strategy: choice(&reference["conversionStrategy"], ConversionStrategy::parse),
        decoding_strategy: choice(&reference["decodingStrategy"], DecodingStrategy::parse),
        null_byte_policy: choice(&reference["nullBytePolicy"], NullBytePolicy::parse),
    }
}

fn data_entry(item: &Value) -> ExternalDataEntry {
    let reference = &item["remoteRef"];
    ExternalDataEntry {
        secret_key: text(&item["secretKey"]).unwrap_or_default().to_owned(),
        remote_key: text(&reference["key"]).unwrap_or_default().to_owned(),
        property: filled(&reference["property"]),
        version: filled(&reference["version"]),
        metadata_policy: choice(&reference["metadataPolicy"], MetadataPolicy::parse),
        strategies: strategies(reference),
        source_ref: item.get("sourceRef").cloned(),
    }
}

fn data_from(item: &Value) -> ExternalDataFrom {
    let extract = item.get("extract").map(|reference| ExternalExtract {
        key: text(&reference["key"]).unwrap_or_default().to_owned(),
        property: filled(&reference["property"]),
        version: filled(&reference["version"]),
        metadata_policy: choice(&reference["metadataPolicy"], MetadataPolicy::parse),
        strategies: strategies(reference),
    });
    let find = item.get("find").map(|find| ExternalFind {
        path: text(&find["path"]).map(str::to_owned),
        name_regexp: text(&find["name"]["regexp"]).map(str::to_owned),
        tags: strings(&find["tags"]),
        strategies: strategies(find),
    });
    ExternalDataFrom {
        extract,
        find,
        rewrite: items(&item["rewrite"]).to_vec(),
        source_ref: item.get("sourceRef").cloned(),
    }
}

fn template(template: &Value) -> ExternalTemplate {
    let metadata = &template["metadata"];
    let mut labels = strings(&metadata["labels"]);
    labels.retain(|k, _| !OUR_LABELS.contains(&k.as_str()));
    ExternalTemplate {
        secret_type: text(&template["type"]).map(str::to_owned),
        merge_policy: choice(&template["mergePolicy"], MergePolicy::parse),
        labels,
        annotations: strings(&metadata["annotations"]),
        finalizers: items(&metadata["finalizers"])
            .iter()
            .filter_map(|f| Some(f.as_str()?.to_owned()))
            .collect(),
        data: strings(&template["data"]),
        template_from: items(&template["templateFrom"]).to_vec(),
    }
}

/// The manifest path of a form field that [`crate::domain::validation`] names (`store`,
/// `data[0].remote_key`, …), so a pasted manifest's errors point into the YAML.
pub fn manifest_path(field: &str) -> String {
    let renamed = [
        ("name", "metadata.name"),
        ("store", "spec.secretStoreRef.name"),
        ("refresh_interval", "spec.refreshInterval"),
        ("data", "spec.data"),
    ];
    if let Some((_, path)) = renamed.iter().find(|(f, _)| *f == field) {
        return (*path).to_owned();
    }
    if field.starts_with("data[") {
        let suffixes = [
            (".secret_key", ".secretKey"),
            (".remote_key", ".remoteRef.key"),
            (".property", ".remoteRef.property"),
            (".version", ".remoteRef.version"),
        ];
        for (suffix, path) in suffixes {
            if let Some(entry) = field.strip_suffix(suffix) {
                return format!("spec.{entry}{path}");
            }
        }
        return format!("spec.{field}");
    }
    field.to_owned()
}
