//! What ESO does to the keys and values a provider returns, before they reach the Secret:
//! decoding strategies (`runtime/decoding/decoding.go`), key conversion, rewrites and key
//! validation (`runtime/esutils/utils.go`), with their error words. Maps hold raw bytes.

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::{Value, json};

use super::template::{self, Failure};

/// Key to bytes, as ESO's `map[string][]byte` (sorted, so errors come in a stable order).
pub(super) type ByteMap = BTreeMap<String, Vec<u8>>;

/// `decoding.Decode`: None (or empty), Base64, Base64URL, Auto; anything else is refused.
pub(super) fn decode(strategy: &str, input: Vec<u8>) -> Result<Vec<u8>, String> {
    let standard = base64::engine::general_purpose::STANDARD;
    let url = base64::engine::general_purpose::URL_SAFE;
    match strategy {
        "" | "None" => Ok(input),
        "Base64" => standard
            .decode(&input)
            .map_err(|e| template::go_base64_error(&e)),
        "Base64URL" => url
            .decode(&input)
            .map_err(|e| template::go_base64_error(&e)),
        "Auto" => Ok(standard
            .decode(&input)
            .or_else(|_| url.decode(&input))
            .unwrap_or(input)),
        other => Err(format!("decoding strategy {other} is not supported")),
    }
}

/// `decoding.DecodeMap`.
pub(super) fn decode_map(strategy: &str, map: ByteMap) -> Result<ByteMap, String> {
    map.into_iter()
        .map(|(k, v)| match decode(strategy, v) {
            Ok(v) => Ok((k, v)),
            Err(e) => Err(format!("failure decoding key {k}: {e}")),
        })
        .collect()
}

/// `esutils.ConvertKeys`: characters a Secret key cannot hold become `_` (Default) or
/// `_Uxxxx_` (Unicode); a collision is an error.
pub(super) fn convert_keys(strategy: &str, map: ByteMap) -> Result<ByteMap, String> {
    let mut out = ByteMap::new();
    for (key, value) in map {
        let converted: String = key
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || matches!(c, '-' | '.' | '_') {
                    c.to_string()
                } else {
                    match strategy {
                        "" | "Default" => "_".to_owned(),
                        "Unicode" => format!("_U{:04x}_", c as u32),
                        _ => c.to_string(),
                    }
                }
            })
            .collect();
        if out.contains_key(&converted) {
            return Err(format!(
                "secret name collision during conversion: {converted}"
            ));
        }
        out.insert(converted, value);
    }
    Ok(out)
}

/// `esutils.ValidateKeys`: empty keys are dropped, long or ill-formed ones refused.
pub(super) fn validate_keys(map: &mut ByteMap) -> Result<(), String> {
    map.remove("");
    for key in map.keys() {
        if key.len() > 253 {
            let mut cut = 253;
            while !key.is_char_boundary(cut) {
                cut -= 1;
            }
            return Err(format!(
                "key has length {} but max is 253: (following is truncated): {}",
                key.len(),
                &key[..cut]
            ));
        }
        if let Some(c) = key
            .chars()
            .find(|c| !c.is_alphanumeric() && !matches!(c, '-' | '.' | '_'))
        {
            return Err(format!(
                "key has invalid character {c}, only alphanumeric, '-', '.' and '_' are allowed: {key}"
            ));
        }
    }
    Ok(())
}

/// `esutils.RewriteMap`: each `rewrite[]` operation in turn (regexp, transform, merge).
pub(super) fn rewrite(operations: &[Value], map: ByteMap) -> Result<ByteMap, String> {
    let mut map = map;
    for (i, operation) in operations.iter().enumerate() {
        map = rewrite_one(operation, map)
            .map_err(|e| format!("failed rewrite operation[{i}]: {e}"))?;
    }
    Ok(map)
}

fn rewrite_one(operation: &Value, map: ByteMap) -> Result<ByteMap, String> {
    if let Some(merge) = operation.get("merge").filter(|m| m.is_object()) {
        return rewrite_merge(merge, map);
    }
    if let Some(op) = operation.get("regexp").filter(|m| m.is_object()) {
        let source = op["source"].as_str().unwrap_or_default();
        let target = op["target"].as_str().unwrap_or_default();
        let re = regex::Regex::new(source)
            .map_err(|e| format!("regexp failed with failed to compile: {e}"))?;
        // Go's ReplaceAllString expands `$1` and `${name}` as the regex crate does.
        return Ok(map
            .into_iter()
            .map(|(k, v)| (re.replace_all(&k, target).into_owned(), v))
            .collect());
    }
    if let Some(op) = operation.get("transform").filter(|m| m.is_object()) {
        let text = op["template"].as_str().unwrap_or_default();
        let mut out = ByteMap::new();
        for (key, value) in map {
            let renamed = template::execute("transform", text, &json!({"value": key})).map_err(
                |failure| match failure {
                    Failure::Parse(e) => {
                        format!("transform failed with failed to parse template: {e}")
                    }
                    Failure::Execute(e) => format!(
                        "transform failed with failed to execute template for key {key:?}: {e}"
                    ),
                },
            )?;
            out.insert(renamed, value);
        }
        return Ok(out);
    }
    Ok(map)
}

/// `esutils.RewriteMerge`: the values, JSON objects, merged into one (priority keys last).
fn rewrite_merge(op: &Value, map: ByteMap) -> Result<ByteMap, String> {
    let priority: Vec<String> = op["priority"]
        .as_array()
        .map(|p| {
            p.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let mut keys: Vec<String> = map
        .keys()
        .filter(|k| !priority.contains(k))
        .cloned()
        .collect();
    keys.extend(priority);
    let mut merged = serde_json::Map::new();
    let mut conflicts = Vec::new();
    for key in keys {
        let Some(value) = map.get(&key) else {
            if op["priorityPolicy"] == "IgnoreNotFound" {
                continue;
            }
            return Err(format!(
                "merge failed with key {key:?} not found in input map"
            ));
        };
        let object: serde_json::Map<String, Value> = serde_json::from_slice(value)
            .map_err(|e| format!("merge failed with failed to unmarshal JSON: {e}"))?;
        for (k, v) in object {
            if merged.contains_key(&k) {
                conflicts.push(k.clone());
            }
            merged.insert(k, v);
        }
    }
    if op["conflictPolicy"] != "Ignore" && !conflicts.is_empty() {
        return Err(format!(
            "merge failed with conflicts: {}",
            conflicts.join(", ")
        ));
    }
    if op["strategy"] == "JSON" {
        let into = op["into"].as_str().unwrap_or_default();
        if into.is_empty() {
            return Err("merge failed with missing 'into' field".to_owned());
        }
        let mut out = map;
        out.insert(
            into.to_owned(),
            template::go_json(&Value::Object(merged)).into_bytes(),
        );
        return Ok(out);
    }
    // GetByteValue: strings as they are, numbers and booleans printed, the rest as JSON.
    Ok(merged
        .into_iter()
        .map(|(k, v)| {
            let bytes = match v {
                Value::String(s) => s.into_bytes(),
                Value::Null => Vec::new(),
                Value::Number(n) => n.to_string().into_bytes(),
                Value::Bool(b) => b.to_string().into_bytes(),
                other => template::go_json(&other).into_bytes(),
            };
            (k, bytes)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> ByteMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn keys_are_converted_rewritten_and_validated_as_eso_does() {
        let converted = convert_keys("Default", map(&[("shared/db/user", "u")])).unwrap();
        assert_eq!(converted, map(&[("shared_db_user", "u")]));
        let unicode = convert_keys("Unicode", map(&[("a/b", "u")])).unwrap();
        assert_eq!(unicode, map(&[("a_U002f_b", "u")]));
        let rewritten = rewrite(
            &[
                json!({"regexp": {"source": "^shared/(.*)$", "target": "$1"}}),
                json!({"transform": {"template": "{{ .value | upper }}"}}),
            ],
            map(&[("shared/db", "x")]),
        )
        .unwrap();
        assert_eq!(rewritten, map(&[("DB", "x")]));
        let mut bad = map(&[("a/b", "x"), ("", "y")]);
        assert_eq!(
            validate_keys(&mut bad).unwrap_err(),
            "key has invalid character /, only alphanumeric, '-', '.' and '_' are allowed: a/b"
        );
        assert_eq!(decode("Base64", b"YQ==".to_vec()).unwrap(), b"a");
        assert_eq!(
            decode("Auto", b"not base64!".to_vec()).unwrap(),
            b"not base64!"
        );
    }
}
