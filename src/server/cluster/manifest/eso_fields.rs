//! The canonical JSON of the ExternalSecret spec fields beyond store, interval and key rows
//! (see [`crate::model::external`]): every strategy and policy written out, even at ESO's
//! default, so what the console applies is what a cluster stores and a GitOps diff is empty.
//! Raw parts (`rewrite`, `sourceRef`, `templateFrom`, …) are written as stored; the CRD's
//! defaults inside them are filled by the caller from the schema.

use serde_json::{Map, Value, json};

use crate::model::external::{
    ExternalDataFrom, ExternalTarget, ExternalTemplate, MetadataPolicy, Strategies,
};
use crate::model::secret::ExternalDataEntry;

/// A remote reference (`data[].remoteRef`, `dataFrom[].extract`): the key, its optional
/// property and version, and every strategy.
pub fn remote_ref(
    key: &str,
    property: Option<&str>,
    version: Option<&str>,
    metadata_policy: MetadataPolicy,
    strategies: &Strategies,
) -> Value {
    let mut reference = json!({
        "key": key,
        "metadataPolicy": metadata_policy.as_str(),
    });
    write_strategies(&mut reference, strategies);
    if let Some(property) = property.filter(|p| !p.is_empty()) {
        reference["property"] = json!(property);
    }
    if let Some(version) = version.filter(|v| !v.is_empty()) {
        reference["version"] = json!(version);
    }
    reference
}

fn write_strategies(reference: &mut Value, strategies: &Strategies) {
    reference["conversionStrategy"] = json!(strategies.conversion_strategy.as_str());
    reference["decodingStrategy"] = json!(strategies.decoding_strategy.as_str());
    reference["nullBytePolicy"] = json!(strategies.null_byte_policy.as_str());
}

/// One `data[]` item.
pub fn data_entry(entry: &ExternalDataEntry) -> Value {
    let reference = remote_ref(
        &entry.remote_key,
        entry.property.as_deref(),
        entry.version.as_deref(),
        entry.metadata_policy,
        &entry.strategies,
    );
    let mut item = json!({"secretKey": entry.secret_key, "remoteRef": reference});
    if let Some(source) = &entry.source_ref {
        item["sourceRef"] = source.clone();
    }
    item
}

/// One `dataFrom[]` item.
pub fn data_from(item: &ExternalDataFrom) -> Value {
    let mut out = Map::new();
    if let Some(extract) = &item.extract {
        let reference = remote_ref(
            &extract.key,
            extract.property.as_deref(),
            extract.version.as_deref(),
            extract.metadata_policy,
            &extract.strategies,
        );
        out.insert("extract".into(), reference);
    }
    if let Some(find) = &item.find {
        let mut value = json!({});
        write_strategies(&mut value, &find.strategies);
        if let Some(path) = &find.path {
            value["path"] = json!(path);
        }
        if let Some(regexp) = &find.name_regexp {
            value["name"] = json!({"regexp": regexp});
        }
        if !find.tags.is_empty() {
            value["tags"] = json!(find.tags);
        }
        out.insert("find".into(), value);
    }
    if !item.rewrite.is_empty() {
        out.insert("rewrite".into(), json!(item.rewrite));
    }
    if let Some(source) = &item.source_ref {
        out.insert("sourceRef".into(), source.clone());
    }
    Value::Object(out)
}

/// `spec.target`: the name, the policies, and the template when the spec has one or the use
/// case needs a Secret type (`use_case_type`). A template replaces the ExternalSecret's labels
/// on the target with its own, so it carries `labels` (ours) over the user's.
pub fn target(
    name: &str,
    target: &ExternalTarget,
    use_case_type: Option<&str>,
    labels: &Value,
) -> Value {
    let mut out = json!({
        "name": name,
        "creationPolicy": target.creation_policy.as_str(),
        "deletionPolicy": target.deletion_policy.as_str(),
    });
    if target.immutable {
        out["immutable"] = json!(true);
    }
    let template = match (&target.template, use_case_type) {
        (Some(template), _) => Some(template.clone()),
        (None, Some(_)) => Some(ExternalTemplate::default()),
        (None, None) => None,
    };
    if let Some(template) = template {
        out["template"] = template_json(&template, use_case_type, labels);
    }
    if let Some(manifest) = &target.manifest {
        out["manifest"] = manifest.clone();
    }
    out
}

fn template_json(template: &ExternalTemplate, use_case_type: Option<&str>, ours: &Value) -> Value {
    let mut labels = json!(template.labels);
    if let (Some(labels), Some(ours)) = (labels.as_object_mut(), ours.as_object()) {
        labels.extend(ours.clone());
    }
    let mut metadata = json!({"labels": labels});
    if !template.annotations.is_empty() {
        metadata["annotations"] = json!(template.annotations);
    }
    if !template.finalizers.is_empty() {
        metadata["finalizers"] = json!(template.finalizers);
    }
    let mut out = json!({
        "engineVersion": "v2",
        "mergePolicy": template.merge_policy.as_str(),
        "metadata": metadata,
    });
    if let Some(secret_type) = template.secret_type.as_deref().or(use_case_type) {
        out["type"] = json!(secret_type);
    }
    if !template.data.is_empty() {
        out["data"] = json!(template.data);
    }
    if !template.template_from.is_empty() {
        out["templateFrom"] = json!(template.template_from);
    }
    out
}
