//! What the API server does to an object of each kind before storing it: defaults, pruning
//! and validation (built-in kinds by hand, custom resources through their structural schema).

use base64::Engine;
use serde_json::{Value, json};

use super::resources::ResourceType;
use super::schema::FieldError;

fn invalid(field: &str, message: String) -> FieldError {
    FieldError {
        field: field.to_owned(),
        reason: "FieldValueInvalid",
        message,
    }
}

fn required(field: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        reason: "FieldValueRequired",
        message: "Required value".to_owned(),
    }
}

fn is_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// An RFC 1123 subdomain: dot-separated labels, at most 253 characters.
pub fn is_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_label)
}

/// Validates `metadata.name` for a kind: namespaces are RFC 1123 labels, the rest subdomains.
pub fn validate_name(t: &ResourceType, name: &str) -> Vec<FieldError> {
    if name.is_empty() {
        return vec![required("metadata.name")];
    }
    if t.kind == "Namespace" {
        if !is_label(name) {
            return vec![invalid(
                "metadata.name",
                format!(
                    "Invalid value: \"{name}\": a lowercase RFC 1123 label must consist of lower \
                     case alphanumeric characters or '-', and must start and end with an \
                     alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for \
                     validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
                ),
            )];
        }
    } else if !is_subdomain(name) {
        return vec![invalid(
            "metadata.name",
            format!(
                "Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower \
                 case alphanumeric characters, '-' or '.', and must start and end with an \
                 alphanumeric character (e.g. 'example.com', regex used for validation is \
                 '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
            ),
        )];
    }
    Vec::new()
}

fn validate_metadata_maps(object: &Value, errors: &mut Vec<FieldError>) {
    for field in ["labels", "annotations"] {
        let Some(map) = object.pointer(&format!("/metadata/{field}")) else {
            continue;
        };
        let Some(map) = map.as_object() else {
            errors.push(invalid(
                &format!("metadata.{field}"),
                "Invalid value: must be a map of strings".to_owned(),
            ));
            continue;
        };
        for (key, value) in map {
            let (prefix, name) = key.rsplit_once('/').unwrap_or(("", key));
            let name_ok = !name.is_empty()
                && name.len() <= 63
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                && name.starts_with(|c: char| c.is_ascii_alphanumeric())
                && name.ends_with(|c: char| c.is_ascii_alphanumeric());
            if !name_ok || (!prefix.is_empty() && !is_subdomain(prefix)) {
                errors.push(invalid(
                    &format!("metadata.{field}"),
                    format!("Invalid value: \"{key}\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"),
                ));
            }
            if !value.is_string() {
                errors.push(invalid(
                    &format!("metadata.{field}"),
                    format!("Invalid value: {value}: must be a string"),
                ));
            } else if field == "labels" {
                let v = value.as_str().unwrap_or_default();
                let ok = v.len() <= 63
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                    && (v.is_empty()
                        || (v.starts_with(|c: char| c.is_ascii_alphanumeric())
                            && v.ends_with(|c: char| c.is_ascii_alphanumeric())));
                if !ok {
                    errors.push(invalid(
                        "metadata.labels",
                        format!("Invalid value: \"{v}\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"),
                    ));
                }
            }
        }
    }
}

fn valid_config_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 253
        && key != "."
        && key != ".."
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
}

/// Normalizes a Secret (folds `stringData` into `data`, defaults `type`) and validates it.
fn secret(object: &mut Value, old: Option<&Value>, errors: &mut Vec<FieldError>) {
    let engine = base64::engine::general_purpose::STANDARD;
    if let Some(Value::Object(string_data)) =
        object.as_object_mut().and_then(|o| o.remove("stringData"))
    {
        let data = object
            .as_object_mut()
            .map(|o| o.entry("data").or_insert_with(|| json!({})));
        if let Some(Value::Object(data)) = data {
            for (key, value) in string_data {
                let text = value.as_str().unwrap_or_default();
                data.insert(key, json!(engine.encode(text)));
            }
        }
    }
    if object
        .get("type")
        .is_none_or(|t| t.as_str().is_none_or(str::is_empty))
    {
        object["type"] = json!("Opaque");
    }
    let mut total = 0_usize;
    if let Some(data) = object.get("data").and_then(Value::as_object) {
        for (key, value) in data {
            if !valid_config_key(key) {
                errors.push(invalid(
                    &format!("data[{key}]"),
                    format!("Invalid value: \"{key}\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"),
                ));
            }
            match value.as_str().map(|v| engine.decode(v)) {
                Some(Ok(bytes)) => total += bytes.len(),
                _ => errors.push(invalid(
                    &format!("data[{key}]"),
                    "Invalid value: must be base64-encoded bytes".to_owned(),
                )),
            }
        }
    }
    if total > 1024 * 1024 {
        errors.push(FieldError {
            field: "data".to_owned(),
            reason: "FieldValueTooLong",
            message: format!("Too long: may not be more than 1048576 bytes (got {total})"),
        });
    }
    let secret_type = object["type"].as_str().unwrap_or_default().to_owned();
    errors.extend(typed_secret(&secret_type, object));
    if let Some(old) = old {
        if old["type"] != object["type"] {
            errors.push(invalid(
                "type",
                format!("Invalid value: \"{secret_type}\": field is immutable"),
            ));
        }
        if old["immutable"] == json!(true) && (old.get("data") != object.get("data")) {
            errors.push(FieldError {
                field: "data".to_owned(),
                reason: "FieldValueForbidden",
                message: "Forbidden: field is immutable when `immutable` is set".to_owned(),
            });
        }
    }
}

/// What `ValidateSecret` (kubernetes pkg/apis/core/validation/validation.go) demands of each
/// Secret type: the well-known keys, a Docker config that `json.Unmarshal` reads into a
/// `map[string]interface{}` (a JSON object), a non-empty ssh private key, the service
/// account annotation. Basic auth needs only one of its two keys, as there.
fn typed_secret(secret_type: &str, object: &Value) -> Vec<FieldError> {
    let engine = base64::engine::general_purpose::STANDARD;
    let value = |key: &str| {
        object
            .pointer(&format!(
                "/data/{}",
                key.replace('~', "~0").replace('/', "~1")
            ))
            .and_then(Value::as_str)
            .and_then(|v| engine.decode(v).ok())
    };
    let json_object = |key: &str| -> Vec<FieldError> {
        match value(key) {
            None => vec![required(&format!("data[{key}]"))],
            Some(bytes) => match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(_)) => Vec::new(),
                Ok(other) => vec![invalid(
                    &format!("data[{key}]"),
                    format!(
                        "Invalid value: \"<secret contents redacted>\": json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                        match other {
                            Value::Array(_) => "array",
                            Value::String(_) => "string",
                            Value::Number(_) => "number",
                            _ => "bool",
                        }
                    ),
                )],
                Err(_) => vec![invalid(
                    &format!("data[{key}]"),
                    "Invalid value: \"<secret contents redacted>\": invalid character looking for beginning of value".to_owned(),
                )],
            },
        }
    };
    match secret_type {
        "kubernetes.io/service-account-token"
            if object
                .pointer("/metadata/annotations/kubernetes.io~1service-account.name")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty) =>
        {
            vec![required(
                "metadata.annotations[kubernetes.io/service-account.name]",
            )]
        }
        "kubernetes.io/dockercfg" => json_object(".dockercfg"),
        "kubernetes.io/dockerconfigjson" => json_object(".dockerconfigjson"),
        "kubernetes.io/basic-auth"
            if value("username").is_none() && value("password").is_none() =>
        {
            vec![required("data[username]"), required("data[password]")]
        }
        "kubernetes.io/ssh-auth" if value("ssh-privatekey").is_none_or(|v| v.is_empty()) => {
            vec![required("data[ssh-privatekey]")]
        }
        "kubernetes.io/tls" => ["tls.crt", "tls.key"]
            .into_iter()
            .filter(|key| value(key).is_none())
            .map(|key| required(&format!("data[{key}]")))
            .collect(),
        _ => Vec::new(),
    }
}

/// Applies the server's defaults and checks for one kind. Returns every problem found.
pub fn admit(t: &ResourceType, object: &mut Value, old: Option<&Value>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    validate_metadata_maps(object, &mut errors);
    match t.kind {
        "Secret" => secret(object, old, &mut errors),
        "ConfigMap" => super::config_maps::validate(object, old, &mut errors),
        "Namespace" => {
            let name = object
                .pointer("/metadata/name")
                .cloned()
                .unwrap_or_default();
            object["metadata"]["labels"]["kubernetes.io/metadata.name"] = name;
            if object.pointer("/spec/finalizers").is_none() {
                object["spec"] = json!({"finalizers": ["kubernetes"]});
            }
            if object.pointer("/status/phase").is_none() {
                object["status"] = json!({"phase": "Active"});
            }
        }
        "Deployment" | "StatefulSet" | "DaemonSet" | "Job" | "CronJob" | "Pod" => {
            super::workloads::admit(t.kind, object, old, &mut errors);
        }
        "Event" if object.get("involvedObject").is_none() => {
            errors.push(required("involvedObject"));
        }
        _ => {}
    }
    if let Some(schema) = t.schema {
        let schema = schema();
        schema.prune(object);
        schema.apply_defaults(object);
        errors.extend(schema.validate(object));
    }
    errors
}

/// The fields a custom resource's schema would prune, as dotted paths (`spec.foo`), for
/// `fieldValidation=Strict`.
pub fn unknown_fields(t: &ResourceType, object: &Value) -> Vec<String> {
    fn diff(before: &Value, after: &Value, prefix: &str, out: &mut Vec<String>) {
        match (before, after) {
            (Value::Object(b), Value::Object(a)) => {
                for (key, value) in b {
                    let path = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    match a.get(key) {
                        None => out.push(path),
                        Some(kept) => diff(value, kept, &path, out),
                    }
                }
            }
            (Value::Array(b), Value::Array(a)) => {
                for (i, (x, y)) in b.iter().zip(a).enumerate() {
                    diff(x, y, &format!("{prefix}[{i}]"), out);
                }
            }
            _ => {}
        }
    }
    let Some(schema) = t.schema else {
        return Vec::new();
    };
    let mut pruned = object.clone();
    schema().prune(&mut pruned);
    let mut out = Vec::new();
    diff(object, &pruned, "", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::resources::{TYPES, by_kind};

    #[test]
    fn typed_secrets_are_held_to_validate_secret() {
        let t = &TYPES[by_kind("", "Secret").unwrap()];
        let fields = |secret_type: &str, string_data: Value| {
            let mut secret =
                json!({"metadata": {"name": "s"}, "type": secret_type, "stringData": string_data});
            admit(t, &mut secret, None)
                .into_iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
        };
        let docker = "kubernetes.io/dockerconfigjson";
        assert_eq!(
            fields(docker, json!({".dockerconfigjson": "{\"auths\":{}}"})),
            Vec::<String>::new()
        );
        assert_eq!(
            fields(docker, json!({})),
            ["data[.dockerconfigjson]: Required value"]
        );
        let not_object = fields(docker, json!({".dockerconfigjson": "[1]"}));
        assert!(
            not_object[0].starts_with(
                "data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\""
            ),
            "{not_object:?}"
        );
        assert_eq!(
            fields(docker, json!({".dockerconfigjson": "nope"})).len(),
            1
        );
        assert_eq!(
            fields("kubernetes.io/tls", json!({"tls.crt": "c"})),
            ["data[tls.key]: Required value"]
        );
        assert!(fields("kubernetes.io/basic-auth", json!({"password": ""})).is_empty());
        assert_eq!(
            fields("kubernetes.io/basic-auth", json!({"user": "x"})).len(),
            2
        );
        assert_eq!(
            fields("kubernetes.io/ssh-auth", json!({"ssh-privatekey": ""})),
            ["data[ssh-privatekey]: Required value"]
        );
        assert_eq!(
            fields("kubernetes.io/service-account-token", json!({})),
            ["metadata.annotations[kubernetes.io/service-account.name]: Required value"]
        );
    }

    #[test]
    fn string_data_is_folded_into_base64_data() {
        let t = &TYPES[by_kind("", "Secret").unwrap()];
        let mut secret = json!({"metadata": {"name": "s"}, "stringData": {"user": "admin"}});
        assert!(admit(t, &mut secret, None).is_empty());
        assert_eq!(secret["data"]["user"], "YWRtaW4=");
        assert_eq!(secret["type"], "Opaque");
        assert!(secret.get("stringData").is_none());
    }

    #[test]
    fn bad_secret_key_and_non_base64_value_are_named() {
        let t = &TYPES[by_kind("", "Secret").unwrap()];
        let mut secret = json!({"metadata": {"name": "s"}, "data": {"bad key": "%%%"}});
        let errors = admit(t, &mut secret, None);
        assert!(
            errors.iter().all(|e| e.field == "data[bad key]"),
            "{errors:?}"
        );
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn names_follow_rfc_1123() {
        let ns = &TYPES[by_kind("", "Namespace").unwrap()];
        assert!(validate_name(ns, "team-a").is_empty());
        assert!(!validate_name(ns, "team.a").is_empty());
        let secret = &TYPES[by_kind("", "Secret").unwrap()];
        assert!(validate_name(secret, "tls.example.com").is_empty());
        assert_eq!(validate_name(secret, "Bad_Name")[0].field, "metadata.name");
    }
}
