//! ESO's `ApplyTemplate` (`pkg/controllers/externalsecret/externalsecret_controller_template.go`)
//! and its v2 engine's `Execute` (`runtime/template/v2/template.go`) on a Secret as JSON: the
//! labels and annotations, the type, the data from the provider and from `template.data`,
//! `templateFrom` (literal, ConfigMap, Secret) and templated metadata, with ESO's error words.

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::{Map, Value, json};

use super::template::{self, Failure};

/// What `ApplyTemplate` needs besides the ExternalSecret and the Secret: a ConfigMap or Secret
/// of the ExternalSecret's namespace by kind and name (`templateFrom`).
pub(super) type Lookup<'a> = &'a dyn Fn(&str, &str) -> Option<Value>;

/// The keys of a Secret's `f:data`, `f:metadata.f:labels` or `f:metadata.f:annotations` that
/// `manager` owns (`getManagedFieldKeys`): ESO removes them before writing them again, so a key
/// it stops producing goes away while others' keys stay.
pub(super) fn managed_keys(secret: &Value, manager: &str, path: &[&str]) -> Vec<String> {
    let mut keys = Vec::new();
    let entries = secret
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for entry in entries.iter().filter(|e| e["manager"] == manager) {
        let mut fields = &entry["fieldsV1"];
        for part in path {
            fields = &fields[*part];
        }
        if let Some(map) = fields.as_object() {
            keys.extend(
                map.keys()
                    .filter(|k| *k != ".")
                    .map(|k| k.trim_start_matches("f:").to_owned()),
            );
        }
    }
    keys
}

/// ESO's `ApplyTemplate`. `data` is the provider's data (base64, as a Secret holds it). The
/// error is what ESO's mutation function returns ("could not apply template: …").
pub(super) fn apply_template(
    es: &Value,
    secret: &mut Value,
    data: &Map<String, Value>,
    manager: &str,
    lookup: Lookup<'_>,
) -> Result<(), String> {
    let template = es
        .pointer("/spec/target/template")
        .filter(|t| t.is_object());
    apply(es, template, secret, data, manager, lookup)
        .map_err(|error| format!("could not apply template: {error}"))
}

fn apply(
    es: &Value,
    template: Option<&Value>,
    secret: &mut Value,
    data: &Map<String, Value>,
    manager: &str,
    lookup: Lookup<'_>,
) -> Result<(), String> {
    // ValidateSecretTemplateFromTargets: a Secret's templateFrom writes data, labels or
    // annotations only (the webhook refuses the rest; the controller checks again).
    for item in template
        .and_then(|t| t.get("templateFrom"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let target = item["target"].as_str().unwrap_or("");
        if !["", "data", "annotations", "labels"].contains(&target.to_lowercase().as_str()) {
            return Err(format!(
                "templateFrom target={target:?} is not allowed when targeting a Secret, must be one of \"Data\", \"Annotations\" or \"Labels\""
            ));
        }
    }
    // setMetadata: the labels and annotations this ExternalSecret wrote go, then its own (no
    // template) or the template's are merged in.
    for (field, path) in [("labels", "f:labels"), ("annotations", "f:annotations")] {
        let stale = managed_keys(secret, manager, &["f:metadata", path]);
        let mut map = secret["metadata"][field]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for key in stale {
            map.remove(&key);
        }
        let source = match template {
            None => es.pointer(&format!("/metadata/{field}")),
            Some(t) => t.pointer(&format!("/metadata/{field}")),
        };
        if let Some(source) = source.and_then(Value::as_object) {
            map.extend(source.clone());
        }
        secret["metadata"][field] = Value::Object(map);
    }
    let creation = es
        .pointer("/spec/target/creationPolicy")
        .and_then(Value::as_str)
        .unwrap_or("Owner");
    // Only Merge and CreateOrMerge keep the Secret's other keys.
    if creation != "Merge" && creation != "CreateOrMerge" {
        secret["data"] = json!({});
    }
    if !secret["data"].is_object() {
        secret["data"] = json!({});
    }
    let Some(template) = template else {
        extend(secret, "data", data);
        return Ok(());
    };
    if let Some(kind) = template["type"].as_str().filter(|t| !t.is_empty()) {
        secret["type"] = json!(kind);
    }
    let has = |field: &str| {
        template.get(field).is_some_and(|v| {
            v.as_object().is_some_and(|m| !m.is_empty())
                || v.as_array().is_some_and(|a| !a.is_empty())
        })
    };
    if template["mergePolicy"] == "Merge" || (!has("data") && !has("templateFrom")) {
        extend(secret, "data", data);
    }
    if let Some(version) = template["engineVersion"].as_str()
        && version != "v2"
    {
        return Err(format!("unsupported template engine version: {version}"));
    }
    let dot = dot(data);
    // templateFrom first; template.data takes precedence over it.
    for item in template
        .get("templateFrom")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        template_from(item, &dot, secret, lookup)
            .map_err(|error| format!("error fetching templateFrom data: {error}"))?;
    }
    for (source, target) in [
        ("/data", "data"),
        ("/metadata/labels", "labels"),
        ("/metadata/annotations", "annotations"),
    ] {
        let templates: BTreeMap<String, String> = template
            .pointer(source)
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        // Parser.MergeMap and ApplyTemplate each wrap with errExecTpl.
        values_scope(&templates, &dot, target, secret, "None").map_err(|error| {
            format!("could not execute template: could not execute template: {error}")
        })?;
    }
    Ok(())
}

/// The provider's data as the templates see it: `map[string]string`.
fn dot(data: &Map<String, Value>) -> Value {
    let engine = base64::engine::general_purpose::STANDARD;
    let strings: Map<String, Value> = data
        .iter()
        .map(|(k, v)| {
            let bytes = v
                .as_str()
                .and_then(|s| engine.decode(s).ok())
                .unwrap_or_default();
            (k.clone(), json!(String::from_utf8_lossy(&bytes)))
        })
        .collect();
    Value::Object(strings)
}

fn extend(secret: &mut Value, field: &str, data: &Map<String, Value>) {
    if let Some(map) = secret[field].as_object_mut() {
        map.extend(data.clone());
    }
}

/// `applyToTarget` for a Secret: data holds bytes (base64 here), labels and annotations text.
fn set(secret: &mut Value, target: &str, key: &str, value: &[u8]) {
    let engine = base64::engine::general_purpose::STANDARD;
    match target.to_lowercase().as_str() {
        "labels" | "annotations" => {
            let field = target.to_lowercase();
            if !secret["metadata"][&field].is_object() {
                secret["metadata"][&field] = json!({});
            }
            secret["metadata"][&field][key] = json!(String::from_utf8_lossy(value));
        }
        _ => secret["data"][key] = json!(engine.encode(value)),
    }
}

/// ESO's `execute`: the template named after its key, `errParse` / `errExecute` around it.
fn run(key: &str, text: &str, dot: &Value) -> Result<String, String> {
    template::execute(key, text, dot).map_err(|failure| match failure {
        Failure::Parse(e) => format!("unable to parse template at key {key}: {e}"),
        Failure::Execute(e) => format!("unable to execute template at key {key}: {e}"),
    })
}

/// `decoding.Decode` for the rendered values of a `templateFrom` (`valuesDecodingStrategy`).
fn decode(strategy: &str, key: &str, value: String) -> Result<Vec<u8>, String> {
    super::strategies::decode(strategy, value.into_bytes())
        .map_err(|e| format!("failed to decode rendered template value for key {key}: {e}"))
}

/// `valueScopeApply`: each key's template renders that key's value.
fn values_scope(
    templates: &BTreeMap<String, String>,
    dot: &Value,
    target: &str,
    secret: &mut Value,
    strategy: &str,
) -> Result<(), String> {
    for (key, text) in templates {
        let value = run(key, text, dot)
            .map_err(|e| format!("unable to execute template at key {key}: {e}"))?;
        let value = decode(strategy, key, value)?;
        set(secret, target, key, &value);
    }
    Ok(())
}

/// `mapScopeApply`: the template renders YAML of keys and values.
fn keys_and_values_scope(
    text: &str,
    dot: &Value,
    target: &str,
    secret: &mut Value,
    strategy: &str,
) -> Result<(), String> {
    let rendered = run(text, text, dot)
        .map_err(|e| format!("unable to execute template at key {text}: {e}"))?;
    let parsed: Value = if rendered.trim().is_empty() {
        json!({})
    } else {
        serde_saphyr::from_str(&rendered).map_err(|e| {
            format!("could not unmarshal template to 'map[string][]byte': error converting YAML to JSON: {e}")
        })?
    };
    let Value::Object(map) = parsed else {
        return Err(
            "could not unmarshal template to 'map[string][]byte': json: cannot unmarshal into Go value of type map[string]string"
                .to_owned(),
        );
    };
    for (key, value) in map {
        let Value::String(value) = value else {
            return Err(format!(
                "could not unmarshal template to 'map[string][]byte': json: cannot unmarshal {} into Go value of type string",
                template::go_json(&value)
            ));
        };
        let value = decode(strategy, &key, value)?;
        set(secret, target, &key, &value);
    }
    Ok(())
}

/// One `templateFrom` item (`Parser.MergeConfigMap`, `MergeSecret`, `MergeLiteral`).
fn template_from(
    item: &Value,
    dot: &Value,
    secret: &mut Value,
    lookup: Lookup<'_>,
) -> Result<(), String> {
    let target = item["target"]
        .as_str()
        .filter(|t| !t.is_empty())
        .unwrap_or("Data");
    let strategy = item["valuesDecodingStrategy"].as_str().unwrap_or("None");
    let engine = base64::engine::general_purpose::STANDARD;
    for (field, kind, resource) in [
        ("configMap", "ConfigMap", "configmaps"),
        ("secret", "Secret", "secrets"),
    ] {
        let Some(source) = item.get(field).filter(|s| s.is_object()) else {
            continue;
        };
        let name = source["name"].as_str().unwrap_or_default();
        let Some(object) = lookup(kind, name) else {
            return Err(format!("{resource} {name:?} not found"));
        };
        for entry in source["items"].as_array().into_iter().flatten() {
            let key = entry["key"].as_str().unwrap_or_default();
            let value = match object["data"].get(key).and_then(Value::as_str) {
                Some(v) if kind == "Secret" => {
                    String::from_utf8_lossy(&engine.decode(v).unwrap_or_default()).into_owned()
                }
                Some(v) => v.to_owned(),
                None => {
                    let what = if kind == "Secret" {
                        "secret"
                    } else {
                        "configmap"
                    };
                    return Err(format!("error in {what} {name}: missing key {key}"));
                }
            };
            match entry["templateAs"].as_str().unwrap_or("Values") {
                "KeysAndValues" => keys_and_values_scope(&value, dot, target, secret, strategy)?,
                _ => {
                    let one = BTreeMap::from([(key.to_owned(), value)]);
                    values_scope(&one, dot, target, secret, strategy)?;
                }
            }
        }
    }
    if let Some(literal) = item["literal"].as_str() {
        keys_and_values_scope(literal, dot, target, secret, strategy)?;
    }
    Ok(())
}
