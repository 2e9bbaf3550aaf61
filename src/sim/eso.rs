//! What External Secrets Operator computes the same way everywhere: its conditions, the hashes
//! it records, owner references, JSON pointers, and the field manager's write context.

use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha224};

use super::status::ApiError;
use super::store::WriteContext;
use super::time::now_rfc3339;

/// The field manager and event source of the simulated controller.
pub const MANAGER: &str = "external-secrets";
/// Label ESO puts on the Secrets it manages.
pub const MANAGED_LABEL: &str = "reconcile.external-secrets.io/managed";
/// Label ESO puts on Secrets it owns: a hash of the ExternalSecret's `namespace/name`.
pub const CREATED_BY_LABEL: &str = "reconcile.external-secrets.io/created-by";
/// Annotation holding a hash of the Secret's data.
pub const DATA_HASH_ANNOTATION: &str = "reconcile.external-secrets.io/data-hash";
/// Changing this annotation's value forces a resync.
pub const FORCE_SYNC_ANNOTATION: &str = "force-sync";
/// The finalizer this controller holds ExternalSecrets' deletion behind.
pub const FINALIZER: &str = "externalsecrets.external-secrets.io/externalsecret-cleanup";

pub(crate) fn ctx() -> WriteContext {
    WriteContext::new(MANAGER)
}

pub(crate) fn condition<'a>(object: &'a Value, kind: &str) -> Option<&'a Value> {
    object
        .pointer("/status/conditions")
        .and_then(Value::as_array)?
        .iter()
        .find(|c| c["type"] == kind)
}

/// A Ready condition, keeping `lastTransitionTime` when the status did not change.
pub(crate) fn ready(previous: Option<&Value>, status: &str, reason: &str, message: &str) -> Value {
    let transition = previous
        .filter(|p| p["status"] == status)
        .and_then(|p| p.get("lastTransitionTime").cloned())
        .unwrap_or_else(|| json!(now_rfc3339()));
    json!({
        "type": "Ready",
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": transition,
    })
}

/// Hex SHA-224. ESO hashes with SHA3-224; the shape (56 hex characters) is what clients see,
/// and nothing compares these hashes across implementations.
pub(crate) fn sha224_hex(text: &str) -> String {
    Sha224::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Go's `%+v` of a `map[string]string` (sorted keys, raw values).
pub(crate) fn go_string_map(map: Option<&Value>) -> String {
    let mut pairs: Vec<(String, String)> = map
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    pairs.sort();
    let inner: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    format!("map[{}]", inner.join(" "))
}

/// ESO's `syncedResourceVersion`: `<generation>-<hash of labels and annotations>`, so a
/// metadata change (a force-sync annotation) triggers a resync.
pub(crate) fn synced_resource_version(es: &Value) -> String {
    let generation = es
        .pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let meta = format!(
        "{{annotations:{} labels:{}}}",
        go_string_map(es.pointer("/metadata/annotations")),
        go_string_map(es.pointer("/metadata/labels"))
    );
    format!("{generation}-{}", sha224_hex(&meta))
}

/// ESO's data-hash annotation: a hash of Go's `%+v` of the Secret's `map[string][]byte`.
pub(crate) fn data_hash(data: &serde_json::Map<String, Value>) -> String {
    let engine = base64::engine::general_purpose::STANDARD;
    let mut keys: Vec<&String> = data.keys().collect();
    keys.sort();
    let inner: Vec<String> = keys
        .iter()
        .map(|k| {
            let bytes = data[*k]
                .as_str()
                .and_then(|v| engine.decode(v).ok())
                .unwrap_or_default();
            let list: Vec<String> = bytes.iter().map(u8::to_string).collect();
            format!("{k}:[{}]", list.join(" "))
        })
        .collect();
    sha224_hex(&format!("map[{}]", inner.join(" ")))
}

/// Follows a gjson-style dotted path (`a.b.0`) into a JSON document.
pub(crate) fn json_property<'a>(document: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(document, |v, part| match v {
        Value::Array(items) => part.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => v.get(part),
    })
}

pub(crate) fn controller_ref(object: &Value) -> Option<&Value> {
    object
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)?
        .iter()
        .find(|r| r["controller"] == true)
}

pub(crate) fn controller_uid(object: &Value) -> Option<&str> {
    controller_ref(object).and_then(|r| r["uid"].as_str())
}

pub(crate) fn pointer_to_label(label: &str) -> String {
    format!(
        "/metadata/labels/{}",
        label.replace('~', "~0").replace('/', "~1")
    )
}

pub(crate) fn pointer_to_annotation(annotation: &str) -> String {
    format!(
        "/metadata/annotations/{}",
        annotation.replace('~', "~0").replace('/', "~1")
    )
}

pub(crate) fn api_message(error: &ApiError) -> String {
    error.message.clone()
}
