//! What kube-apiserver checks of a core/v1 ConfigMap before storing it: `validateConfigMap` and
//! `ValidateConfigMapUpdate` (kubernetes `pkg/registry/core/configmap/strategy.go`, formerly
//! `ValidateConfigMap` in `pkg/apis/core/validation/validation.go`):
//!
//! - every key of `data` and `binaryData` is a config key (`IsConfigMapKey`, apimachinery
//!   `pkg/util/validation/validation.go`: at most 253 characters, `[-._a-zA-Z0-9]+`, not `.`,
//!   not `..`, not starting with `..`), each problem its own `Invalid` cause;
//! - a key may not be in both (`data[k]: Invalid value: "k": duplicate of key present in
//!   binaryData`);
//! - `data` values and decoded `binaryData` together at most 1 MiB (`corev1.MaxSecretSize`),
//!   else `field.TooLong(field.NewPath(""), …)`: a cause with an empty field, so the message
//!   reads `ConfigMap "x" is invalid: : Too long: may not be more than 1048576 bytes`;
//! - once `immutable: true` is stored, `immutable`, `data` and `binaryData` may not change
//!   (`Forbidden: field is immutable when `immutable` is set`, each field its own cause).
//!
//! Names are DNS subdomains (`ValidateConfigMapName = NameIsDNSSubdomain`), as
//! [`super::kinds::validate_name`] checks for every kind but Namespace. A `binaryData` value that
//! is not base64, or a `data` value that is not a string, is a decode error on a real server
//! (400 `ConfigMap in version "v1" cannot be handled as a ConfigMap: illegal base64 data at input
//! byte N`), which `strict.rs` answers before this runs; the `Invalid` causes here only catch what
//! reaches validation another way.

use base64::Engine;
use serde_json::{Map, Value};

use super::schema::FieldError;

/// `corev1.MaxSecretSize`, which bounds ConfigMaps too.
const MAX_SIZE: usize = 1024 * 1024;

const KEY_REGEX_MESSAGE: &str = "a valid config key must consist of alphanumeric characters, \
    '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for \
    validation is '[-._a-zA-Z0-9]+')";

const IMMUTABLE: &str = "Forbidden: field is immutable when `immutable` is set";

/// What `IsConfigMapKey` says of a key (nothing when it is valid).
pub fn config_key_problems(key: &str) -> Vec<&'static str> {
    let mut problems = Vec::new();
    if key.len() > 253 {
        problems.push("must be no more than 253 characters");
    }
    let matches = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c));
    if !matches {
        problems.push(KEY_REGEX_MESSAGE);
    }
    match key {
        "." => problems.push("must not be '.'"),
        ".." => problems.push("must not be '..'"),
        _ if key.starts_with("..") => problems.push("must not start with '..'"),
        _ => {}
    }
    problems
}

fn invalid(field: String, key: &str, detail: &str) -> FieldError {
    FieldError {
        field,
        reason: "FieldValueInvalid",
        message: format!("Invalid value: \"{key}\": {detail}"),
    }
}

fn forbidden(field: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        reason: "FieldValueForbidden",
        message: IMMUTABLE.to_owned(),
    }
}

/// Validates a ConfigMap being created (`old` is `None`) or replacing `old`; returns every
/// problem found, immutability first as `ValidateConfigMapUpdate` orders them.
pub fn validate(object: &Value, old: Option<&Value>, errors: &mut Vec<FieldError>) {
    if let Some(old) = old
        && old.get("immutable") == Some(&Value::Bool(true))
    {
        if object.get("immutable") != Some(&Value::Bool(true)) {
            errors.push(forbidden("immutable"));
        }
        for field in ["data", "binaryData"] {
            if non_empty(old.get(field)) != non_empty(object.get(field)) {
                errors.push(forbidden(field));
            }
        }
    }
    let empty = Map::new();
    let map = |field: &str| object.get(field).and_then(Value::as_object);
    let (data, binary) = (
        map("data").unwrap_or(&empty),
        map("binaryData").unwrap_or(&empty),
    );
    let mut total = 0_usize;
    for (key, value) in data {
        let field = format!("data[{key}]");
        for problem in config_key_problems(key) {
            errors.push(invalid(field.clone(), key, problem));
        }
        if binary.contains_key(key) {
            errors.push(invalid(
                field.clone(),
                key,
                "duplicate of key present in binaryData",
            ));
        }
        match value.as_str() {
            Some(text) => total += text.len(),
            None => errors.push(FieldError {
                field,
                reason: "FieldValueInvalid",
                message: format!("Invalid value: {value}: must be a string"),
            }),
        }
    }
    let engine = base64::engine::general_purpose::STANDARD;
    for (key, value) in binary {
        let field = format!("binaryData[{key}]");
        for problem in config_key_problems(key) {
            errors.push(invalid(field.clone(), key, problem));
        }
        match value.as_str().map(|v| engine.decode(v)) {
            Some(Ok(bytes)) => total += bytes.len(),
            _ => errors.push(FieldError {
                field,
                reason: "FieldValueInvalid",
                message: "Invalid value: must be base64-encoded bytes".to_owned(),
            }),
        }
    }
    if total > MAX_SIZE {
        errors.push(FieldError {
            field: String::new(),
            reason: "FieldValueTooLong",
            message: format!("Too long: may not be more than {MAX_SIZE} bytes"),
        });
    }
}

/// A map as Go's `reflect.DeepEqual` sees it after decoding: absent, null and `{}` are all a
/// nil or empty map (`omitempty` writes neither), so they compare equal.
fn non_empty(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| v.as_object().is_some_and(|m| !m.is_empty()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn problems(object: Value, old: Option<Value>) -> Vec<String> {
        let mut errors = Vec::new();
        validate(&object, old.as_ref(), &mut errors);
        errors
            .into_iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect()
    }

    #[test]
    fn keys_are_config_keys_and_not_in_both_maps() {
        assert!(problems(json!({"data": {"a.b_C-1": "x"}}), None).is_empty());
        let found = problems(
            json!({"data": {"bad key": "x", "..hidden": "y", "both": "z"},
                   "binaryData": {"both": "eg==", ".": ""}}),
            None,
        );
        assert_eq!(
            found,
            [
                "data[..hidden]: Invalid value: \"..hidden\": must not start with '..'".to_owned(),
                format!("data[bad key]: Invalid value: \"bad key\": {KEY_REGEX_MESSAGE}"),
                "data[both]: Invalid value: \"both\": duplicate of key present in binaryData"
                    .to_owned(),
                "binaryData[.]: Invalid value: \".\": must not be '.'".to_owned(),
            ]
        );
        let long = "k".repeat(254);
        assert_eq!(
            problems(json!({"data": {long.clone(): ""}}), None),
            [format!(
                "data[{long}]: Invalid value: \"{long}\": must be no more than 253 characters"
            )]
        );
    }

    #[test]
    fn data_and_binary_data_together_are_at_most_one_mebibyte() {
        let half = "x".repeat(MAX_SIZE / 2);
        let binary = base64::engine::general_purpose::STANDARD.encode(vec![0u8; MAX_SIZE / 2]);
        let exact = json!({"data": {"a": half}, "binaryData": {"b": binary}});
        assert!(problems(exact, None).is_empty());
        let over = json!({"data": {"a": format!("{half}!")}, "binaryData": {"b": binary}});
        assert_eq!(
            problems(over, None),
            [": Too long: may not be more than 1048576 bytes"]
        );
    }

    #[test]
    fn an_immutable_config_map_keeps_its_data_and_flag() {
        let old = json!({"immutable": true, "data": {"a": "1"}});
        assert!(problems(old.clone(), Some(old.clone())).is_empty());
        let changed = json!({"immutable": false, "data": {"a": "2"}, "binaryData": {"b": ""}});
        assert_eq!(
            problems(changed, Some(old)),
            [
                format!("immutable: {IMMUTABLE}"),
                format!("data: {IMMUTABLE}"),
                format!("binaryData: {IMMUTABLE}"),
            ]
        );
        let mutable = json!({"data": {"a": "1"}});
        assert!(problems(json!({"data": {"a": "2"}}), Some(mutable)).is_empty());
    }
}
